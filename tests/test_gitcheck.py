# SPDX-License-Identifier: Apache-2.0
"""attrib check on real repositories: what a commit or a pull request adds, and bad repositories."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, git_repo, write_tree


def attrib(*args: str, cwd: Path | None = None, env: dict | None = None):
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, env=env)
    return done.returncode, done.stdout, done.stderr


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid",
                           *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture()
def idx(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTRIB_CACHE", str(tmp_path / "cache"))
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    index = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(up), "--name", "grid", "--license", "MIT",
                  "--index", index)[0] == 0
    return index


def check(repo: Path, idx: str, *extra: str) -> tuple[int, dict, str]:
    code, out, err = attrib("check", str(repo), *extra, "--index", idx, "--format", "json")
    return code, (json.loads(out) if out.strip() else {}), err


def test_staged_copy_on_an_unborn_branch_is_flagged(tmp_path, idx):
    repo = tmp_path / "r"
    git_repo(repo, [])
    write_tree(repo, {"pool.py": COPY_PY})
    git(repo, "add", "pool.py")
    code, report, err = check(repo, idx, "--staged")
    assert code == 1, err
    assert {m["path"] for m in report["matches"]} == {"pool.py"}


def test_only_added_lines_count_old_code_is_not_reflagged(tmp_path, idx):
    repo = tmp_path / "r"
    git_repo(repo, [({"pool.py": COPY_PY}, "old copy, triaged long ago", 1_700_000_000)])
    (repo / "pool.py").write_text(COPY_PY + "\n\ndef extra(values):\n    return list(values)\n")
    (repo / "other.py").write_text(UNRELATED_PY)
    git(repo, "add", ".")
    code, report, err = check(repo, idx, "--staged")
    assert code == 0, err
    assert report["matches"] == []


def test_the_working_tree_is_not_what_is_checked(tmp_path, idx):
    repo = tmp_path / "r"
    git_repo(repo, [({"README.md": "x\n"}, "init", 1_700_000_000)])
    (repo / "pool.py").write_text(UNRELATED_PY)
    git(repo, "add", "pool.py")
    (repo / "pool.py").write_text(COPY_PY)  # unstaged: not part of the commit
    assert check(repo, idx, "--staged")[0] == 0


def test_second_run_parses_nothing_and_the_hook_changes_nothing(tmp_path, idx):
    repo = tmp_path / "r"
    git_repo(repo, [({"README.md": "x\n"}, "init", 1_700_000_000)])
    write_tree(repo, {"pool.py": COPY_PY})
    git(repo, "add", "pool.py")
    before = (git(repo, "status", "--porcelain"), (repo / ".git" / "index").read_bytes())
    _, first, _ = check(repo, idx, "--staged")
    _, second, _ = check(repo, idx, "--staged")
    assert first["stats"]["files_parsed"] == 1 and second["stats"]["files_parsed"] == 0
    assert second["matches"] == first["matches"]
    assert (git(repo, "status", "--porcelain"), (repo / ".git" / "index").read_bytes()) == before


def test_crlf_gives_the_same_result_as_lf(tmp_path, idx):
    results = []
    for name, text in (("lf", COPY_PY), ("crlf", COPY_PY.replace("\n", "\r\n"))):
        repo = tmp_path / name
        git_repo(repo, [({"README.md": "x\n"}, "init", 1_700_000_000)])
        (repo / "pool.py").write_bytes(text.encode())
        git(repo, "-c", "core.autocrlf=false", "add", "pool.py")
        _, report, _ = check(repo, idx, "--staged")
        results.append([(m["start_line"], m["end_line"], m["upstream_start_line"])
                        for m in report["matches"]])
    assert results[0] and results[0] == results[1]


def test_detached_head_and_non_ascii_paths(tmp_path, idx):
    repo = tmp_path / "r"
    git_repo(repo, [({"README.md": "x\n"}, "one", 1_700_000_000),
                    ({"README.md": "y\n"}, "two", 1_700_000_100)])
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    write_tree(repo, {"modèles/pool ü.py": COPY_PY})
    git(repo, "add", ".")
    code, report, err = check(repo, idx, "--staged")
    assert code == 1, err
    assert {m["path"] for m in report["matches"]} == {"modèles/pool ü.py"}


def test_symlinks_submodules_binary_and_huge_files_are_skips(tmp_path, idx):
    repo = tmp_path / "r"
    sub = tmp_path / "sub"
    git_repo(sub, [({"a.py": "x = 1\n"}, "sub", 1_700_000_000)])
    git_repo(repo, [({"README.md": "x\n"}, "init", 1_700_000_000)])
    os.symlink("/etc/passwd", repo / "evil.py")
    (repo / "blob.py").write_bytes(b"\0\1\2" * 100)
    (repo / "huge.py").write_text(COPY_PY * 2000)
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendorsub")
    git(repo, "add", ".")
    code, report, err = check(repo, idx, "--staged", "--max-file-size", "100000")
    assert code == 0, err
    reasons = {s["path"]: s["reason"] for s in report["skipped"]}
    assert reasons["evil.py"].startswith("symlink")
    assert reasons["blob.py"] == "binary"
    assert reasons["huge.py"].startswith("oversized")
    assert reasons["vendorsub"].startswith("submodule")


def test_diff_checks_what_a_pull_request_adds(tmp_path, idx):
    repo = tmp_path / "r"
    git_repo(repo, [({"README.md": "x\n"}, "base", 1_700_000_000),
                    ({"pool.py": COPY_PY}, "pr", 1_700_000_100)])
    code, report, err = check(repo, idx, "--diff", "HEAD~1")
    assert code == 1, err
    m = report["matches"][0]
    assert m["path"] == "pool.py" and m["date"] == 1_700_000_100 and m["author"] == "Test Author"
    assert check(repo, idx, "--diff", "HEAD~1..HEAD~1")[1]["matches"] == []


@pytest.mark.parametrize("make,needle", [
    ("plain", "not a git repository"),
    ("conflict", "merge is in progress"),
])
def test_bad_repositories_are_one_line(tmp_path, idx, make, needle):
    repo = tmp_path / "r"
    if make == "plain":
        repo.mkdir()
    else:
        git_repo(repo, [({"a.py": "x = 1\n"}, "base", 1_700_000_000)])
        git(repo, "checkout", "-q", "-b", "other")
        (repo / "a.py").write_text("x = 2\n")
        git(repo, "commit", "-qam", "other")
        git(repo, "checkout", "-q", "main")
        (repo / "a.py").write_text("x = 3\n")
        git(repo, "commit", "-qam", "main")
        subprocess.run(["git", "merge", "other"], cwd=repo, capture_output=True)
    code, _, err = attrib("check", str(repo), "--staged", "--index", idx)
    assert code == 2 and needle in err and "Traceback" not in err


def test_empty_repository_with_nothing_staged_is_clean(tmp_path, idx):
    repo = tmp_path / "r"
    git_repo(repo, [])
    assert check(repo, idx, "--staged")[0] == 0


def test_staged_or_diff_is_required(tmp_path, idx):
    code, _, err = attrib("check", str(tmp_path), "--index", idx)
    assert code == 2 and "--staged or --diff" in err


def test_declared_upstreams_need_no_index_set_up(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTRIB_CACHE", str(tmp_path / "cache"))
    up = tmp_path / "up"
    git_repo(up, [({"grid.py": UPSTREAM_PY}, "upstream", 1_600_000_000)])
    repo = tmp_path / "r"
    git_repo(repo, [({".attrib.yaml": f"upstreams:\n  - name: grid\n    location: {up}\n"
                                      "    license: MIT\n"}, "init", 1_700_000_000)])
    write_tree(repo, {"pool.py": COPY_PY})
    git(repo, "add", "pool.py")
    code, out, err = attrib("check", str(repo), "--staged", "--format", "json",
                            "--allow-outside-paths")  # the upstream is a sibling checkout
    assert code == 1, err
    assert {m["upstream"] for m in json.loads(out)["matches"]} == {"grid"}
    built = list((tmp_path / "cache" / "projects").glob("*.sqlite"))
    assert len(built) == 1
    stamp = built[0].stat().st_mtime_ns
    assert attrib("check", str(repo), "--staged", "--allow-outside-paths")[0] == 1
    assert built[0].stat().st_mtime_ns == stamp  # reused, not rebuilt
