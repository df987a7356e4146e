# SPDX-License-Identifier: Apache-2.0
"""Hostile git repositories: their config runs nothing, their odd shapes give clean outcomes.

Each executable setting is first shown live (plain git, in the same repository,
runs the marker script: ``test_plain_git_runs_the_setting``); then each attrib
command is run on that repository and must leave no marker
(``test_attrib_runs_nothing``).  The other cases are real odd repositories:
blobless and shallow clones, submodules, a ``.git`` that leads out of the tree,
git's ownership refusal, file names that are not UTF-8, a tree of a million
entries.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, write_tree

T0 = 1_700_000_000
DAY = 86_400
SIG = ("gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAFAmVVVVUACgkQAAAAAAAA\n"
       " AAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n =AAAA\n"
       " -----END PGP SIGNATURE-----\n")


def git(cwd: Path, *args: str, env: dict | None = None, check: bool = True,
        input: str | None = None) -> subprocess.CompletedProcess:
    base = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, env={**base, **(env or {})}, check=check,
                          capture_output=True, text=True, input=input, timeout=120)


def commit_all(repo: Path, message: str, date: int) -> None:
    stamp = f"{date} +0000"
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message,
        env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})


def attrib(*args: str, env: dict | None = None, cwd: Path | None = None):
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=600)
    return done.returncode, done.stdout, done.stderr


def one_line(err: str) -> bool:
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("Indexing")]
    return len(lines) == 1 and "Traceback" not in err and "internal error" not in err


def sign_head(repo: Path) -> None:
    """Give HEAD a (fake) signature, so log.showSignature would call the signature program."""
    raw = git(repo, "cat-file", "commit", "HEAD").stdout
    head, _, body = raw.partition("\n\n")
    signed = head + "\n" + SIG.rstrip("\n") + "\n\n" + body
    sha = git(repo, "hash-object", "-t", "commit", "-w", "--stdin", input=signed).stdout.strip()
    git(repo, "update-ref", "refs/heads/main", sha)


def make_origin(root: Path, attributes: str = "") -> Path:
    """Two commits: an unrelated module, then a copy of the indexed upstream (signed)."""
    write_tree(root, {"README.md": "A project.\n", "a.py": UNRELATED_PY})
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "start", T0)
    files = {"pool.py": COPY_PY, "a.py": UNRELATED_PY + "\nVERSION = 2\n"}
    if attributes:
        files[".gitattributes"] = attributes
    write_tree(root, files)
    commit_all(root, "more", T0 + DAY)
    sign_head(root)
    return root


# ---- the settings --------------------------------------------------------------------------

def _marker_script(tmp: Path) -> tuple[Path, Path]:
    marker = tmp / "MARKER"
    script = tmp / "evil.sh"
    script.write_text(f"#!/bin/sh\necho \"$0 $*\" >> '{marker}'\nexit 1\n")
    script.chmod(0o755)
    return script, marker


# id -> (config given the script path, .gitattributes, partial clone?, trigger: git args)
SETTINGS = {
    "log.showSignature+gpg.program": (
        lambda s: {"log.showSignature": "true", "gpg.program": s}, "", False, ["log", "-1"]),
    "core.fsmonitor": (lambda s: {"core.fsmonitor": s}, "", False, ["status"]),
    "diff.external": (lambda s: {"diff.external": s}, "", False, ["diff", "HEAD~1", "HEAD"]),
    "diff.textconv": (lambda s: {"diff.evil.textconv": s}, "*.py diff=evil\n", False,
                      ["diff", "HEAD~1", "HEAD"]),
    "filter.smudge+clean": (lambda s: {"filter.evil.smudge": s, "filter.evil.clean": s},
                            "* filter=evil\n", False, ["cat-file", "--filters", "HEAD:a.py"]),
    "filter.process": (lambda s: {"filter.evil.process": s}, "* filter=evil\n", False,
                       ["cat-file", "--filters", "HEAD:a.py"]),
    "credential.helper": (lambda s: {"credential.helper": f"!{s}"}, "", False,
                          ["credential", "fill"]),
    "include.path": (lambda s: {"include.path": str(Path(s).parent / "included.cfg")}, "",
                     False, ["status"]),
    "core.hooksPath": (lambda s: {"core.hooksPath": str(Path(s).parent / "hooks")}, "", False,
                       ["update-ref", "refs/heads/tmp", "HEAD"]),
    "remote.uploadpack (partial clone)": (
        lambda s: {"remote.origin.uploadpack": s}, "", True, ["cat-file", "-p", "MISSING"]),
    "core.sshCommand (partial clone)": (
        lambda s: {"remote.origin.url": "ssh://example.invalid/r", "core.sshCommand": s}, "",
        True, ["cat-file", "-p", "MISSING"]),
    "protocol.ext.allow (partial clone)": (
        lambda s: {"remote.origin.url": f"ext::{s} %S", "protocol.ext.allow": "always"}, "",
        True, ["cat-file", "-p", "MISSING"]),
    "core.gitProxy (partial clone)": (
        lambda s: {"remote.origin.url": "git://example.invalid/r", "core.gitProxy": s}, "",
        True, ["cat-file", "-p", "MISSING"]),
}

# id -> (attrib arguments given the repository, expected exit: full repository, partial clone)
COMMANDS = {
    "scan PATH": (lambda r: ["scan", str(r)], 1, 0),
    "scan --ref": (lambda r: ["scan", str(r), "--ref", "HEAD"], 1, 0),
    "index add PATH": (lambda r: ["index", "add", str(r), "--name", "x"], 0, 0),
    "index add --ref": (lambda r: ["index", "add", str(r), "--ref", "HEAD", "--name", "x"], 0, 0),
    "index add file://": (lambda r: ["index", "add", f"file://{r}", "--name", "x"], 0, 0),
    "audit PATH": (lambda r: ["audit", str(r), "--format", "json"], 1, 0),
    "audit --ref": (lambda r: ["audit", str(r), "--ref", "HEAD", "--format", "json"], 1, 0),
    "audit file://": (lambda r: ["audit", f"file://{r}", "--format", "json"], 1, 0),
    "check --diff": (lambda r: ["check", str(r), "--diff", "HEAD~1"], 1, 0),
    "check --staged": (lambda r: ["check", str(r), "--staged"], 1, 0),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An index holding the upstream the repositories copy, and a private cache."""
    root = tmp_path_factory.mktemp("world")
    env = {**os.environ, "ATTRIB_CACHE": str(root / "cache"), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull}
    up = write_tree(root / "up", {"grid.py": UPSTREAM_PY})
    index = str(root / "idx.sqlite")
    code, _, err = attrib("index", "add", str(up), "--name", "grid", "--license", "MIT",
                          "--index", index, env=env)
    assert code == 0, err
    origin = make_origin(root / "origin")
    git(origin, "config", "uploadpack.allowFilter", "true")
    return {"root": root, "env": env, "index": index, "origin": origin}


def hostile_repo(world: dict, setting: str) -> tuple[Path, Path]:
    """A repository configured with ``setting`` pointing at a marker script; (repo, marker)."""
    config, attributes, partial, _ = SETTINGS[setting]
    safe = setting.replace(" ", "_").replace("(", "").replace(")", "")
    tmp = world["root"] / safe
    if (tmp / "repo").exists():
        return tmp / "repo", tmp / "MARKER"
    tmp.mkdir()
    script, marker = _marker_script(tmp)
    (tmp / "included.cfg").write_text(f"[core]\n\tfsmonitor = {script}\n")
    hooks = tmp / "hooks"
    hooks.mkdir()
    for name in ("reference-transaction", "post-checkout", "post-index-change", "pre-commit",
                 "post-commit", "pre-auto-gc"):
        shutil.copy(script, hooks / name)
    repo = tmp / "repo"
    if partial:
        git(tmp, "clone", "-q", "--no-checkout", "--filter=blob:none",
            f"file://{world['origin']}", str(repo))
    else:
        make_origin(repo, attributes)
        write_tree(repo, {"more.py": COPY_PY})
        git(repo, "add", "more.py")
    for key, value in config(str(script)).items():
        git(repo, "config", key, value)
    return repo, marker


def trigger_args(repo: Path, setting: str) -> list[str]:
    args = list(SETTINGS[setting][3])
    if "MISSING" in args:
        missing = git(repo, "rev-parse", "HEAD:pool.py").stdout.strip()
        args[args.index("MISSING")] = missing
    return args


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_plain_git_runs_the_setting(world, setting):
    """The case is live: git itself, in that repository, runs the script."""
    repo, marker = hostile_repo(world, setting)
    stdin = "protocol=https\nhost=example.invalid\n\n" if setting == "credential.helper" else ""
    git(repo, *trigger_args(repo, setting), check=False, input=stdin,
        env={"GIT_TERMINAL_PROMPT": "0"})
    if setting == "core.hooksPath":
        git(repo, "update-ref", "-d", "refs/heads/tmp", check=False)
    assert marker.exists()
    marker.unlink()


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("setting", list(SETTINGS))
def test_attrib_runs_nothing(world, setting, command):
    repo, marker = hostile_repo(world, setting)
    if marker.exists():
        marker.unlink()
    args, full, partial = COMMANDS[command]
    index = world["index"] if command.split()[0] != "index" else str(marker.parent / "own.sqlite")
    code, out, err = attrib(*args(repo), "--index", index, env=world["env"])
    assert not marker.exists(), marker.read_text()
    assert code == (partial if SETTINGS[setting][2] else full), err
    assert "Traceback" not in err


# ---- odd repositories ----------------------------------------------------------------------

def scan_json(world: dict, *args: str) -> tuple[int, dict, str]:
    code, out, err = attrib("scan", *args, "--index", world["index"], "--format", "json",
                            env=world["env"])
    return code, (json.loads(out) if out.strip() else {}), err


def reasons(report: dict) -> dict[str, str]:
    return {s["path"]: s["reason"] for s in report.get("skipped", [])}


@pytest.fixture(scope="module")
def blobless(world):
    bare = world["root"] / "blobless.git"
    git(world["root"], "clone", "-q", "--bare", "--filter=blob:none",
        f"file://{world['origin']}", str(bare))
    assert "promisor = true" in (bare / "config").read_text()
    return bare


def test_blobless_clone_scan_at_ref_records_missing_blobs(world, blobless):
    code, report, err = scan_json(world, str(blobless), "--ref", "HEAD")
    assert code == 0, err
    assert reasons(report)["pool.py"] == "blob not present: partial clone"


def test_blobless_clone_index_add_at_ref_goes_on(world, blobless, tmp_path):
    code, _, err = attrib("index", "add", str(blobless), "--ref", "HEAD", "--name", "b",
                          "--index", str(tmp_path / "i.sqlite"), env=world["env"])
    assert code == 0, err


def test_blobless_clone_with_some_blobs_present_reads_those(world, tmp_path):
    clone = tmp_path / "c"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{world['origin']}", str(clone))
    # the checkout fetched HEAD's blobs; the first a.py is still missing
    code, report, err = scan_json(world, str(clone), "--ref", "HEAD~1")
    assert code == 0, err
    assert reasons(report)["a.py"] == "blob not present: partial clone"
    code, report, err = scan_json(world, str(clone), "--ref", "HEAD")
    assert code == 1 and {m["path"] for m in report["matches"]} == {"pool.py"}, err


def test_blobless_clone_check_diff_goes_on(world, tmp_path):
    clone = tmp_path / "c"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{world['origin']}", str(clone))
    code, out, err = attrib("check", str(clone), "--diff", "HEAD~1", "--index", world["index"],
                            "--format", "json", env=world["env"])
    assert code == 1, err  # pool.py is new and present; a.py's old side is missing
    report = json.loads(out)
    assert {m["path"] for m in report["matches"]} == {"pool.py"}


@pytest.fixture(scope="module")
def with_submodule(world):
    sub = world["root"] / "sub"
    write_tree(sub, {"s.py": UNRELATED_PY})
    git(sub, "init", "-q", "-b", "main")
    commit_all(sub, "sub", T0)
    repo = world["root"] / "withsub"
    write_tree(repo, {"pool.py": COPY_PY})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendor_sub")
    commit_all(repo, "with a submodule", T0)
    return repo


@pytest.mark.parametrize("command", [
    ["scan", "{repo}", "--ref", "HEAD", "--format", "json"],
    ["audit", "{repo}", "--ref", "HEAD", "--format", "json"],
    ["audit", "file://{repo}", "--format", "json"],
    ["scan", "{repo}", "--format", "json"],
], ids=["scan --ref", "audit --ref", "audit file://", "scan PATH"])
def test_submodule_is_a_skip(world, with_submodule, command):
    args = [a.format(repo=with_submodule) for a in command]
    code, out, err = attrib(*args, "--index", world["index"], env=world["env"])
    assert code == 1, err
    report = json.loads(out)
    assert {m["path"] for m in report["matches"]} == {"pool.py"}
    if "--ref" in args or "file://" in args[1]:
        assert reasons(report)["vendor_sub"] == "submodule (not followed)"


def test_submodule_index_add_by_url_is_a_skip(world, with_submodule, tmp_path):
    code, out, err = attrib("index", "add", f"file://{with_submodule}", "--index",
                            str(tmp_path / "i.sqlite"), env=world["env"])
    assert code == 0, err


@pytest.fixture(scope="module")
def shallow(world):
    clone = world["root"] / "shallow"
    git(world["root"], "clone", "-q", "--depth", "1", f"file://{world['origin']}", str(clone))
    return clone


def test_shallow_clone_head_is_read(world, shallow):
    code, report, err = scan_json(world, str(shallow), "--ref", "HEAD")
    assert code == 1, err


@pytest.mark.parametrize("command", ["scan", "audit"])
def test_shallow_clone_older_commit_is_one_line(world, shallow, command):
    code, _, err = attrib(command, str(shallow), "--ref", "HEAD~1", "--index", world["index"],
                          env=world["env"])
    assert code == 2 and one_line(err) and "shallow clone" in err, err


# ---- ownership ------------------------------------------------------------------------------

def _foreign(world: dict, how: str, tmp: Path) -> tuple[Path, dict]:
    repo = tmp / "r"
    shutil.copytree(world["origin"], repo)
    env = dict(world["env"])
    if how == "chown":
        if os.geteuid() != 0:
            pytest.skip("changing a repository's owner needs root")
        for dirpath, dirnames, filenames in os.walk(repo):
            for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                os.lchown(name, 65534, 65534)
    else:
        env["GIT_TEST_ASSUME_DIFFERENT_OWNER"] = "1"  # git's own knob: every repository is foreign
    return repo, env


@pytest.mark.parametrize("how", ["chown", "GIT_TEST_ASSUME_DIFFERENT_OWNER"])
def test_plain_git_refuses_a_foreign_repository(world, how, tmp_path):
    repo, env = _foreign(world, how, tmp_path)
    done = subprocess.run(["git", "-C", str(repo), "log", "-1"], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 128 and "dubious ownership" in done.stderr


@pytest.mark.parametrize("command", [
    (["scan", "{repo}", "--ref", "HEAD"], 1),
    (["scan", "{repo}"], 1),
    (["audit", "{repo}", "--format", "json"], 1),
    (["check", "{repo}", "--diff", "HEAD~1"], 1),
], ids=["scan --ref", "scan PATH", "audit", "check --diff"])
@pytest.mark.parametrize("how", ["chown", "GIT_TEST_ASSUME_DIFFERENT_OWNER"])
def test_foreign_repository_is_read_as_data(world, how, command, tmp_path):
    """attrib never asks git to trust the repository's config, so ownership does not matter."""
    repo, env = _foreign(world, how, tmp_path)
    args, expected = command
    code, out, err = attrib(*[a.format(repo=repo) for a in args], "--index", world["index"],
                            env=env)
    assert code == expected, err
    assert "dubious" not in err and "unknown git ref" not in err


def test_ownership_refusal_is_named_with_its_fix(tmp_path):
    from attrib.gitsafe import failure

    git(tmp_path, "init", "-q")
    done = git(tmp_path, "status", env={"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"}, check=False)
    message = failure(done.stderr, str(tmp_path))
    assert "dubious ownership" in message and "\n" not in message
    assert f"git config --global --add safe.directory {tmp_path}" in message


# ---- containment ----------------------------------------------------------------------------

@pytest.fixture()
def private(tmp_path):
    """A repository outside the scanned tree, holding a secret."""
    repo = tmp_path / "elsewhere" / "private"
    write_tree(repo, {"secret.py": "API_KEY = 'do-not-leak-1234'\n" + UNRELATED_PY})
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "secret", T0)
    return repo


def _pointing_out(tmp_path: Path, private: Path, how: str) -> Path:
    tree = write_tree(tmp_path / "tree", {"pool.py": COPY_PY})
    if how == ".git file":
        (tree / ".git").write_text(f"gitdir: {private / '.git'}\n")
    elif how == ".git symlink":
        os.symlink(private / ".git", tree / ".git")
    elif how == "alternates":
        git(tree, "init", "-q", "-b", "main")
        alt = tree / ".git" / "objects" / "info" / "alternates"
        alt.write_text(f"{private / '.git' / 'objects'}\n")
        git(tree, "update-ref", "refs/heads/main",
            git(private, "rev-parse", "HEAD").stdout.strip())
    else:  # commondir
        git(tree, "init", "-q", "-b", "main")
        (tree / ".git" / "commondir").write_text(f"{private / '.git'}\n")
    return tree


@pytest.mark.parametrize("command", [
    ["scan", "{tree}", "--ref", "HEAD"],
    ["index", "add", "{tree}", "--ref", "HEAD"],
    ["index", "add", "file://{tree}"],
    ["audit", "{tree}", "--ref", "HEAD"],
], ids=["scan --ref", "index add --ref", "index add file://", "audit --ref"])
@pytest.mark.parametrize("how", [".git file", ".git symlink", "alternates", "commondir"])
def test_git_pointing_out_of_the_tree_is_refused(world, private, tmp_path, how, command):
    tree = _pointing_out(tmp_path, private, how)
    index = world["index"] if command[0] != "index" else str(tmp_path / "i.sqlite")
    code, out, err = attrib(*[a.format(tree=tree) for a in command], "--index", index,
                            env=world["env"])
    assert code == 2 and one_line(err) and "outside the tree" in err, err
    assert "do-not-leak" not in out + err and "secret.py" not in out


@pytest.mark.parametrize("how", [".git file", ".git symlink", "alternates", "commondir"])
def test_git_pointing_out_scan_path_reads_no_history(world, private, tmp_path, how):
    tree = _pointing_out(tmp_path, private, how)
    code, report, err = scan_json(world, str(tree))
    assert code == 1, err
    assert "history not read" in reasons(report)[".git"]
    assert all(m["date"] is None for m in report["matches"])
    assert "do-not-leak" not in json.dumps(report)


# ---- file names and sizes -------------------------------------------------------------------

@pytest.fixture(scope="module")
def latin1(world):
    repo = world["root"] / "latin1"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / os.fsdecode(b"caf\xe9.py")).write_text(COPY_PY)
    (repo / os.fsdecode(b"ok\x1b[31m.py")).write_text(UNRELATED_PY)
    commit_all(repo, "latin-1 names", T0)
    return repo


@pytest.mark.parametrize("command,fmt", [("scan", "json"), ("scan", "sarif"), ("scan", "text"),
                                         ("audit", "html"), ("audit", "json")])
def test_non_utf8_names_at_ref_are_shown_escaped(world, latin1, command, fmt):
    code, out, err = attrib(command, str(latin1), "--ref", "HEAD", "--index", world["index"],
                            "--format", fmt, env=world["env"])
    assert code == 1, err
    assert "caf\\xe9.py" in out.replace("\\\\", "\\")
    assert "\x1b" not in out


def test_non_utf8_names_index_add_by_url(world, latin1, tmp_path):
    index = str(tmp_path / "i.sqlite")
    code, _, err = attrib("index", "add", f"file://{latin1}", "--name", "l", "--index", index,
                          env=world["env"])
    assert code == 0, err
    code, out, err = attrib("index", "list", "--index", index, "--format", "json",
                            env=world["env"])
    assert code == 0 and json.loads(out)["upstreams"][0]["files"] == 2, err


def test_non_utf8_names_check_diff(world, latin1, tmp_path):
    repo = tmp_path / "r"
    shutil.copytree(latin1, repo)
    (repo / os.fsdecode(b"d\xe9j\xe0.py")).write_text(COPY_PY)
    commit_all(repo, "another", T0 + DAY)
    code, out, err = attrib("check", str(repo), "--diff", "HEAD~1", "--index", world["index"],
                            "--format", "json", env=world["env"])
    assert code == 1, err
    assert {m["path"] for m in json.loads(out)["matches"]} == {"d\\xe9j\\xe0.py"}


def test_missing_file_url_is_reported_missing(world, tmp_path):
    code, _, err = attrib("index", "add", f"file://{tmp_path}/nothing-here", "--index",
                          str(tmp_path / "i.sqlite"), env=world["env"])
    assert code == 2 and one_line(err) and "no such repository" in err, err
    assert "cannot clone" not in err


@pytest.fixture(scope="module")
def million(world):
    """One tree of 1,000,000 entries, all the same small blob (a few MB of objects)."""
    repo = world["root"] / "million"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    blob = git(repo, "hash-object", "-w", "--stdin", input="x = 1\n").stdout.strip()
    listing = "".join(f"100644 blob {blob}\tf{i:07d}.py\n" for i in range(1_000_000))
    tree = git(repo, "mktree", input=listing).stdout.strip()
    stamp = {"GIT_AUTHOR_DATE": f"{T0} +0000", "GIT_COMMITTER_DATE": f"{T0} +0000"}
    commit = git(repo, "commit-tree", tree, "-m", "wide", env=stamp).stdout.strip()
    git(repo, "update-ref", "refs/heads/main", commit)
    return repo


def test_million_entry_tree_stops_at_the_file_limit(world, million):
    code, out, err = attrib("audit", str(million), "--ref", "HEAD", "--max-files", "1000",
                            "--format", "json", "--index", world["index"], env=world["env"])
    assert code == 0, err
    report = json.loads(out)
    limit = [s for s in report["skipped"] if s["reason"].startswith("file limit reached")]
    assert len(limit) == 1 and len(report["skipped"]) == 1
    assert len(out) < 5_000_000
