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


@pytest.fixture(scope="module")
def hook_home(tmp_path_factory) -> tuple[Path, str, Path]:
    """attrib's snapshot and one PRE_COMMIT_HOME: pre-commit builds the hook's venv once."""
    top = tmp_path_factory.mktemp("hook")
    attrib_repo, rev = snapshot_of_attrib(top / "attrib")
    return attrib_repo, rev, top / "pre-commit-home"


def attrib_cli(*args: str, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True, env=env, cwd=cwd)


def hooked_project(tmp: Path, home: tuple[Path, str, Path], args: list[str] | None = None,
                   files: dict | None = None) -> tuple[Path, dict]:
    """A project with the attrib-check hook installed through ``pre-commit install``."""
    attrib_repo, rev, pre_commit_home = home
    project = tmp / "project"
    git_repo(project, [({"README.md": "# pooling\n", **(files or {})}, "init", 1_704_067_200)],
             author="Copier")
    hook_args = f"\n        args: [{', '.join(args)}]" if args else ""
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {attrib_repo}\n    rev: {rev}\n    hooks:\n"
        f"      - id: attrib-check{hook_args}\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home),
           "ATTRIB_CACHE": str(tmp / "cache"), "XDG_CACHE_HOME": str(tmp / "xdg")}
    env.pop("ATTRIB_INDEX", None)
    done = subprocess.run(["pre-commit", "install"], cwd=project, capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    return project, env


def commit(project: Path, env: dict, message: str) -> subprocess.CompletedProcess:
    git(project, "add", "-A", env=env)
    return git(project, "commit", "-m", message, env=env)


def commits(project: Path, env: dict) -> int:
    return git(project, "log", "--oneline", env=env).stdout.count("\n")


def test_a_commit_of_a_disguised_copy_is_refused_until_credited(tmp_path, hook_home):
    upstream = upstream_repo(tmp_path / "upstream", "Apache-2.0")
    # the index is committed in the project: the hook must leave it byte for byte as it was
    project, env = hooked_project(tmp_path, hook_home, ["--index", "idx.sqlite"])
    done = attrib_cli("index", "add", str(upstream), "--name", UPSTREAM_NAME, "--url",
                      UPSTREAM_URL, "--index", str(project / "idx.sqlite"))
    assert done.returncode == 0, done.stderr
    assert commit(project, env, "the index").returncode == 0
    index_bytes = (project / "idx.sqlite").read_bytes()
    (project / "pool").mkdir()
    (project / "pool" / "pool.py").write_text(COPY_PY)
    refused = commit(project, env, "add pooling")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert UPSTREAM_NAME in out and "pool/pool.py" in out
    assert "NOTICE" in out and "§4(d)" in out
    # the refusal names the one-command fix, and that its result must be staged
    assert "attrib notice . --index idx.sqlite --fix-headers" in out and "git add" in out
    assert commits(project, env) == 2  # not committed
    # the hook changed nothing: the copy is still staged as it was, the index untouched
    assert "pool/pool.py" in git(project, "diff", "--cached", "--name-only", env=env).stdout
    assert (project / "idx.sqlite").read_bytes() == index_bytes
    assert not list(project.glob("idx.sqlite-*"))  # no -wal, no -shm
    # credit it, in the one command the refusal names, and the same commit passes
    done = attrib_cli("notice", ".", "--index", "idx.sqlite", "--fix-headers", env=env,
                      cwd=project)
    assert done.returncode == 0, done.stderr
    accepted = commit(project, env, "add pooling, credited")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (project / "idx.sqlite").read_bytes() == index_bytes
    assert not list(project.glob("idx.sqlite-*"))


def test_a_project_not_set_up_yet_is_not_blocked_and_is_told_how(tmp_path, hook_home):
    project, env = hooked_project(tmp_path, hook_home)
    (project / "pool.py").write_text(COPY_PY)
    done = commit(project, env, "add pooling")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert commits(project, env) == 2
    # pre-commit shows a passing hook's output on request: the one line says why and how
    (project / "more.py").write_text("X = 1\n")
    git(project, "add", "more.py", env=env)
    shown = subprocess.run(["pre-commit", "run", "attrib-check", "--verbose"], cwd=project,
                           capture_output=True, text=True, env=env)
    out = shown.stdout + shown.stderr
    assert shown.returncode == 0, out
    assert "nothing to check against" in out
    assert "upstreams:" in out and "args: [--index, FILE]" in out  # both fixes, named
    assert "Traceback" not in out


def test_an_unreachable_upstream_uses_the_cached_index(tmp_path, hook_home):
    upstream = upstream_repo(tmp_path / "upstream", "Apache-2.0")
    config = (f"upstreams:\n  - name: {UPSTREAM_NAME}\n    location: {upstream.as_uri()}\n"
              f"    ref: main\n    license: Apache-2.0\n")
    project, env = hooked_project(tmp_path, hook_home, files={".attrib.yaml": config})
    (project / "notes.txt").write_text("first, online: the declared upstream is indexed\n")
    assert commit(project, env, "notes").returncode == 0
    upstream.rename(tmp_path / "gone")  # the host is down, or the laptop offline
    (project / "notes.txt").write_text("second, offline: the cached index is used\n")
    done = commit(project, env, "more notes")
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # and the cache still catches a copy: offline is not a free pass; the warning says so
    (project / "pool.py").write_text(COPY_PY)
    refused = commit(project, env, "add pooling")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "pool.py" in out and UPSTREAM_NAME in out
    assert "warning" in out and "cached index" in out and "cannot list its refs" in out


def readme_hook_steps() -> list[str]:
    """The shell blocks of the README's "Pre-commit hook" walkthrough, in order."""
    import re
    import textwrap

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Pre-commit hook"):text.index("The hook checks against")]
    return [textwrap.dedent(b) for b in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_the_readme_walkthrough_reaches_a_passing_commit(tmp_path, hook_home):
    """The README's steps as a new user types them: only the URLs point at local stand-ins.

    The two lines that make a virtual environment and pip-install attrib from git are
    replaced by this test's environment (which has both pre-commit and attrib).
    """
    attrib_repo, rev, pre_commit_home = hook_home
    upstream = tmp_path / "MiniCPM-V-src"
    shutil.copytree(ROOT / "examples" / "minicpmv", upstream)
    git_repo(upstream, [({}, "upstream", 1_700_000_000)], author="Upstream Dev")
    branch = git(upstream, "branch", "--show-current").stdout.strip()
    stand_ins = [
        ("https://github.com/<org>/attrib", str(attrib_repo)), ("<tag>", rev),
        ("https://github.com/OpenBMB/MiniCPM-V", upstream.as_uri()),
        ("ref: main", f"ref: {branch}"), ("<file>.py", "minicpmv/resampler.py")]
    steps = []
    for block in readme_hook_steps():
        lines = [ln for ln in block.splitlines()
                 if not ln.startswith(("python3 -m venv", "pip install"))]
        block = "\n".join(lines)
        for old, new in stand_ins:
            block = block.replace(old, new)
        steps.append(block)
    assert len(steps) == 5, steps
    work = tmp_path / "work"
    work.mkdir()
    script = "set +e\n" + "".join(f"{s}\necho \"== step {i} exit $?\"\n"
                                  for i, s in enumerate(steps, 1))
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PRE_COMMIT_HOME": str(pre_commit_home),
           "ATTRIB_CACHE": str(tmp_path / "cache"), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.invalid"}
    env.pop("ATTRIB_INDEX", None)
    done = subprocess.run(["bash", "-c", script], cwd=work, capture_output=True, text=True,
                          env=env)
    out = done.stdout + done.stderr
    assert [f"== step {i} exit {0 if i != 4 else 1}" in out for i in range(1, 6)] == [True] * 5, out
    assert "commit refused" in out and "attrib notice . --fix-headers" in out
    log = git(work / "pooling", "log", "--format=%s").stdout.split("\n")
    assert log[:2] == ["add pooling", "check copied code with attrib"], out
    assert "Traceback" not in out
