# SPDX-License-Identifier: Apache-2.0
"""The pre-commit hook, through the real pre-commit framework on a real repository."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance_fixtures import UPSTREAM_NAME, UPSTREAM_URL, upstream_repo
from helpers import COPY_PY, git_repo

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None and not os.environ.get("CI"),
                                reason="pre-commit is not installed (pip install -e '.[test]')")


def snapshot_of_attrib(dest: Path) -> tuple[Path, str]:
    """A git repository holding attrib as it is now (committed or not), for pre-commit to install."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for rel in listed:
        src = ROOT / rel
        if src.is_file() or src.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                os.symlink(os.readlink(src), dest / rel)
            else:
                shutil.copy2(src, dest / rel)
    repo = git_repo(dest, [({}, "attrib snapshot", 1_700_000_000)])
    return dest, repo.head.commit.hexsha


def git(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_a_commit_of_a_disguised_copy_is_refused_until_credited(tmp_path):
    attrib_repo, rev = snapshot_of_attrib(tmp_path / "attrib")
    upstream = upstream_repo(tmp_path / "upstream", "Apache-2.0")
    idx = tmp_path / "idx.sqlite"
    subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()", "index",
                    "add", str(upstream), "--name", UPSTREAM_NAME, "--url", UPSTREAM_URL,
                    "--index", str(idx)], check=True, capture_output=True)
    project = tmp_path / "project"
    git_repo(project, [({"README.md": "# pooling\n"}, "init", 1_704_067_200)], author="Copier")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {attrib_repo}\n    rev: {rev}\n    hooks:\n"
        f"      - id: attrib-check\n        args: [--index, {idx}]\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "ATTRIB_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(["pre-commit", "install"], cwd=project, capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    (project / "pool").mkdir()
    (project / "pool" / "pool.py").write_text(COPY_PY)
    git(project, "add", ".", env=env)
    refused = git(project, "commit", "-m", "add pooling", env=env)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert UPSTREAM_NAME in out and "pool/pool.py" in out
    assert "NOTICE" in out and "§4(d)" in out
    assert git(project, "log", "--oneline", env=env).stdout.count("\n") == 1  # not committed
    # the hook changed nothing: the copy is still staged as it was
    assert "pool/pool.py" in git(project, "diff", "--cached", "--name-only", env=env).stdout
    # credit it, in one command, and the same commit passes
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           "notice", str(project), "--index", str(idx), "--fix-headers"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    (project / "LICENSE").write_text((upstream / "LICENSE").read_text())
    git(project, "add", ".", env=env)
    accepted = git(project, "commit", "-m", "add pooling, credited", env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
