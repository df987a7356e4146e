# SPDX-License-Identifier: Apache-2.0
"""attrib.gitsafe: repositories read as data, on real repositories made here."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from attrib import gitsafe
from attrib.errors import SourceError
from attrib.engine.sources import open_source

from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, write_tree

T0 = 1_700_000_000


def git(cwd: Path, *args: str, env: dict | None = None, input: str | bytes | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    base = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "GIT_AUTHOR_DATE": f"{T0} +0000", "GIT_COMMITTER_DATE": f"{T0} +0000"}
    return subprocess.run(["git", *args], cwd=cwd, env={**base, **(env or {})}, check=check,
                          capture_output=True, input=input, timeout=120)


def repo_with(root: Path, files: dict, *init: str) -> Path:
    write_tree(root, files)
    git(root, "init", "-q", "-b", "main", *init)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "c")
    return root


def attrib(*args: str, env: dict | None = None, cwd: Path | None = None):
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture()
def idx(tmp_path):
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    index = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(up), "--name", "grid", "--index", index)[0] == 0
    return index


@pytest.mark.parametrize("raw,shown", [
    (b"plain/name.py", "plain/name.py"),
    ("modèles/ü.py".encode(), "modèles/ü.py"),
    (b"caf\xe9.py", "caf\\xe9.py"),
    (b"bell\x07\x1b[2J.py", "bell\\x07\\x1b[2J.py"),
])
def test_display_keeps_utf8_and_escapes_the_rest(raw, shown):
    assert gitsafe.display(raw) == shown
    gitsafe.display(raw).encode("utf-8")  # never a surrogate


def test_the_private_directory_is_removed_after_a_read(tmp_path, monkeypatch):
    repo = repo_with(tmp_path / "r", {"a.py": "x = 1\n"})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert [f.path for f in open_source(repo, ref="HEAD").files] == ["a.py"]
    assert list(scratch.iterdir()) == []


def test_the_repository_config_is_not_copied(tmp_path):
    repo = repo_with(tmp_path / "r", {"a.py": "x = 1\n"})
    git(repo, "config", "gpg.program", "/bin/false")
    with gitsafe.open_repo(repo) as opened:
        assert "gpg" not in (opened.git_dir / "config").read_text()
        assert opened.run("config", "--get", "gpg.program", ok=(0, 1)) == b""


def test_sha256_repository_opens(tmp_path):
    repo = repo_with(tmp_path / "r", {"a.py": COPY_PY}, "--object-format=sha256")
    source = open_source(repo, ref="HEAD")
    assert [f.path for f in source.files] == ["a.py"] and len(source.commit) == 64
    assert source.files[0].date == T0


def test_a_symlinked_ref_is_not_followed(tmp_path):
    outside = repo_with(tmp_path / "outside", {"secret.py": "k = 1\n"})
    repo = repo_with(tmp_path / "r", {"a.py": "x = 1\n"})
    os.symlink(outside / ".git" / "refs" / "heads" / "main", repo / ".git" / "refs" / "heads" / "x")
    with pytest.raises(SourceError, match="unknown git ref 'x'"):
        open_source(repo, ref="x")


def test_an_invalid_head_is_an_unknown_ref(tmp_path):
    repo = repo_with(tmp_path / "r", {"a.py": "x = 1\n"})
    (repo / ".git" / "HEAD").write_text("ref: ../../../etc/passwd\n")
    with pytest.raises(SourceError, match="unknown git ref 'HEAD'"):
        open_source(repo, ref="HEAD")


def test_a_forged_tree_entry_with_a_slash_is_a_skip(tmp_path):
    repo = repo_with(tmp_path / "r", {"a.py": "x = 1\n"})
    blob = git(repo, "rev-parse", "HEAD:a.py").stdout.strip().decode()
    tree = (b"100644 ../evil.py\0" + bytes.fromhex(blob) + b"100644 a.py\0" + bytes.fromhex(blob))
    sha = git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin",
              input=tree).stdout.strip().decode()
    commit = git(repo, "commit-tree", sha, "-m", "forged").stdout.strip().decode()
    source = open_source(repo, ref=commit)
    assert [f.path for f in source.files] == ["a.py"]
    assert {s.path: s.reason for s in source.skipped} == {
        "../evil.py": "invalid name in the git tree (not read)"}


def test_a_truncated_tree_stops_where_it_stops_parsing():
    blob = bytes(20)
    data = b"100644 a.py\0" + blob + b"100644 b.py\0" + blob[:5]
    assert [name for _, name, _ in gitsafe.objects._tree_entries(data, 40)] == [b"a.py"]


def test_inherited_git_variables_run_nothing(tmp_path, idx):
    """A CI environment's GIT_EXTERNAL_DIFF or GIT_CONFIG_PARAMETERS is not handed to git."""
    marker = tmp_path / "MARKER"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n")
    script.chmod(0o755)
    repo = repo_with(tmp_path / "r", {"a.py": UNRELATED_PY})
    write_tree(repo, {"pool.py": COPY_PY})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "copy")
    env = {**os.environ, "GIT_EXTERNAL_DIFF": str(script),
           "GIT_CONFIG_PARAMETERS": f"'core.fsmonitor'='{script}'"}
    git(repo, "diff", "HEAD~1", env=env, check=False)
    assert marker.exists()  # live: plain git runs it
    marker.unlink()
    code, _, err = attrib("check", str(repo), "--diff", "HEAD~1", "--index", idx, env=env)
    assert code == 1, err
    assert not marker.exists()


def test_check_staged_in_a_linked_worktree(tmp_path, idx):
    """The user's own repository is found the way git finds it, .git file and all ..."""
    main = repo_with(tmp_path / "main", {"README.md": "x\n"})
    wt = tmp_path / "wt"
    git(main, "worktree", "add", "-q", str(wt))
    write_tree(wt, {"pool.py": COPY_PY})
    git(wt, "add", "pool.py")
    code, out, err = attrib("check", str(wt), "--staged", "--index", idx, "--format", "json")
    assert code == 1, err
    assert {m["path"] for m in json.loads(out)["matches"]} == {"pool.py"}
    # ... while a scanned tree's .git file that leads out of it is refused
    code, _, err = attrib("scan", str(wt), "--ref", "HEAD", "--index", idx)
    assert code == 2 and "outside the tree" in err


def test_check_staged_reads_the_index_git_names(tmp_path, idx):
    """During ``git commit -a`` a hook's GIT_INDEX_FILE names the index being committed."""
    repo = repo_with(tmp_path / "r", {"README.md": "x\n"})
    write_tree(repo, {"pool.py": COPY_PY})
    other = tmp_path / "next-index"
    git(repo, "add", "pool.py", env={"GIT_INDEX_FILE": str(other)}, check=False)
    git(repo, "read-tree", "HEAD", env={"GIT_INDEX_FILE": str(other)})
    git(repo, "add", "pool.py", env={"GIT_INDEX_FILE": str(other)})
    code, out, _ = attrib("check", str(repo), "--staged", "--index", idx, "--format", "json")
    assert code == 0 and json.loads(out)["matches"] == []  # the repository's own index
    env = {**os.environ, "GIT_INDEX_FILE": str(other)}
    code, out, err = attrib("check", str(repo), "--staged", "--index", idx, "--format", "json",
                            env=env)
    assert code == 1, err
    assert {m["path"] for m in json.loads(out)["matches"]} == {"pool.py"}


def test_unknown_ref_in_a_shallow_clone_says_so(tmp_path):
    origin = repo_with(tmp_path / "o", {"a.py": "x = 1\n"})
    write_tree(origin, {"a.py": "x = 2\n"})
    git(origin, "commit", "-qam", "two")
    clone = tmp_path / "c"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    with pytest.raises(SourceError, match="shallow clone"):
        open_source(clone, ref="HEAD~1")


def test_clone_refuses_a_transport_that_runs_programs(tmp_path):
    marker = tmp_path / "MARKER"
    with pytest.raises(SourceError, match="cannot clone"):
        gitsafe.clone(f"ext::sh -c touch% {marker}", tmp_path / "dest")
    assert not marker.exists()
