# SPDX-License-Identifier: Apache-2.0
"""Latency of the git surfaces: the pre-commit hook's check and a pull request's check.

    python benchmarks/precommit.py [--repeat 7] [--skip-hook] [--skip-index]

**The hook, through the real pre-commit** (needs only the bundled example): a
project declares ``examples/minicpmv`` (as a git repository reached by URL) in its
``.attrib.yaml`` and installs the ``attrib-check`` hook of a snapshot of this
checkout. Timed as a user meets them, ``git commit`` wall time:

* installing the hook's environment (``pre-commit install-hooks``: once per
  machine and hook revision; pip installs attrib);
* the first commit: the declared upstream is indexed into the user cache;
* later commits of a small change (median), and a commit refused for adding a
  disguised copy (examples/llama3v/llama3v/projection.py).

**Against the 1M-line index** of benchmarks/speed.py
(benchmarks/out/index-full.sqlite; run speed.py first, else this part is
skipped). Builds a git repository in a temp dir whose history holds real code
(the speed benchmark's suspect tree), then measures, as the median wall time of
fresh processes (interpreter start-up included):

* ``attrib check --staged`` with 5 changed Python files staged, the blob cache
  cold (first run) and warm (second run over the same blobs): target < 0.5 s;
* ``attrib --help`` (target < 0.2 s) and ``python -c pass`` beside it;
* ``attrib check --diff BASE..HEAD`` of a pull request changing 50 files: < 5 s.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# the console script pre-commit runs (python -c would import the benchmark tree's own
# click/ and git/ copies from the working directory)
ATTRIB = [str(Path(sys.executable).parent / "attrib")]


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process (and the ones they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[tuple[float, float], int]:
    """((wall, CPU) seconds, exit status): CPU time is what a busy machine does not inflate."""
    t0, c0 = time.perf_counter(), children_cpu()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return (time.perf_counter() - t0, children_cpu() - c0), done.returncode


def median_ms(samples: list[tuple[float, float]]) -> str:
    wall = statistics.median(w for w, _ in samples)
    cpu = statistics.median(c for _, c in samples)
    return f"{wall * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms)"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=b@example.invalid", *args],
                   cwd=cwd, check=True, capture_output=True)


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.stat().st_size > 2000)


def snapshot(dest: Path) -> str:
    """This checkout as it is now (committed or not) in a git repository, for pre-commit."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for rel in listed:
        src = REPO / rel
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():  # attrib/data/rules -> ../../rules
            os.symlink(os.readlink(src), dest / rel)
        elif src.is_file():
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "attrib snapshot")
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, capture_output=True,
                          text=True, check=True).stdout.strip()


def commit(project: Path, env: dict, message: str) -> tuple[tuple[float, float], int, str]:
    git(project, "add", "-A")
    t0, c0 = time.perf_counter(), children_cpu()
    done = subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=b@example.invalid",
                           "commit", "-q", "-m", message], cwd=project, env=env,
                          capture_output=True, text=True)
    took = (time.perf_counter() - t0, children_cpu() - c0)
    return took, done.returncode, done.stdout + done.stderr


def hook_rows(repeat: int) -> list[tuple[str, str, str]]:
    """The attrib-check hook through the real pre-commit, with a declared upstream."""
    if shutil.which("pre-commit") is None:
        print("pre-commit is not installed (pip install -e '.[test]'): hook timings skipped")
        return []
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        rev = snapshot(top / "attrib")
        upstream = top / "upstream"
        shutil.copytree(REPO / "examples" / "minicpmv", upstream)
        git(upstream, "init", "-q", "-b", "main")
        git(upstream, "add", "-A")
        git(upstream, "commit", "-q", "-m", "upstream")
        project = top / "project"
        project.mkdir()
        git(project, "init", "-q")
        (project / ".attrib.yaml").write_text(
            f"upstreams:\n  - name: MiniCPM-V\n    location: {upstream.as_uri()}\n"
            "    ref: main\n    license: Apache-2.0\n")
        (project / ".pre-commit-config.yaml").write_text(
            f"repos:\n  - repo: {top / 'attrib'}\n    rev: {rev}\n    hooks:\n"
            "      - id: attrib-check\n")
        env = {**os.environ, "PRE_COMMIT_HOME": str(top / "pre-commit-home"),
               "ATTRIB_CACHE": str(top / "cache"), "XDG_CACHE_HOME": str(top / "xdg")}
        env.pop("ATTRIB_INDEX", None)
        subprocess.run(["pre-commit", "install"], cwd=project, env=env, check=True,
                       capture_output=True)
        t0 = time.perf_counter()
        subprocess.run(["pre-commit", "install-hooks"], cwd=project, env=env, check=True,
                       capture_output=True)
        install = time.perf_counter() - t0
        first, code, out = commit(project, env, "set up attrib")
        if code != 0:
            raise SystemExit(f"the first commit was refused: the hook is broken\n{out}")
        later = []
        for i in range(repeat):
            (project / "notes.py").write_text(f"NOTES = {i}\n")
            took, code, out = commit(project, env, f"note {i}")
            if code != 0:
                raise SystemExit(f"a small commit was refused: the hook is broken\n{out}")
            later.append(took)
        (project / "notes.py").write_text("NOTES = 'staged'\n")
        git(project, "add", "-A")
        alone = [timed([*ATTRIB, "check", "--staged"], project, env)[0] for _ in range(repeat)]
        refused = []
        for i in range(repeat):
            (project / "pool").mkdir(exist_ok=True)
            shutil.copy2(REPO / "examples" / "llama3v" / "llama3v" / "projection.py",
                         project / "pool" / "projection.py")
            took, code, _ = commit(project, env, "copy")
            if code == 0:
                raise SystemExit("a disguised copy was committed: the hook is broken")
            refused.append(took)
    return [
        ("hook environment install (once per machine and rev)", f"{install:.1f} s", "-"),
        ("first commit: declared upstream indexed", median_ms([first]), "-"),
        ("later commit, small change (median)", median_ms(later), "< 1 s"),
        ("attrib check --staged alone, same change (median)", median_ms(alone), "-"),
        ("commit refused, disguised copy (median)", median_ms(refused), "< 1 s"),
    ]


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}} | {value:>24} | {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description="pre-commit and pull-request latency")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-hook", action="store_true",
                        help="skip the timings through the real pre-commit")
    parser.add_argument("--skip-index", action="store_true",
                        help="skip the timings against the 1M-line index")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not args.skip_hook:
        rows = hook_rows(args.repeat)
        if rows:
            print(f"hook through pre-commit, upstream examples/minicpmv; {os.cpu_count()} cores; "
                  f"{args.repeat} runs each")
            print_rows(rows)
    if args.skip_index:
        return 0
    index, suspect = HERE / "out" / "index-full.sqlite", HERE / "out" / "suspect"
    if not index.is_file() or not suspect.is_dir():
        print("run benchmarks/speed.py first: it builds the 1M-line index and the suspect tree")
        return 2
    return index_rows(index, suspect, args.repeat)


def index_rows(index: Path, suspect: Path, repeat: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(suspect, repo)
        import sysconfig

        stdlib = Path(sysconfig.get_paths()["stdlib"])
        for path in sorted(stdlib.glob("*.py"))[:80]:
            shutil.copy2(path, repo / ("stdlib_" + path.name))  # enough files for a 50-file PR
        git(repo, "init", "-q")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "base")
        env = {**os.environ, "ATTRIB_CACHE": str(Path(tmp) / "cache")}
        # a commit of 5 changed files: each gets a new function appended and is staged
        for path in python_files(repo)[:5]:
            with path.open("a") as f:
                f.write("\n\ndef added_helper(values):\n    return sorted(set(values))\n")
        git(repo, "add", ".")
        staged = [*ATTRIB, "check", "--staged", "--index", str(index)]
        cold, code = timed(staged, repo, env)
        warm = [timed(staged, repo, env)[0] for _ in range(repeat)]
        colds = []
        for _ in range(repeat):
            shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)
            colds.append(timed(staged, repo, env)[0])
        helps = [timed([*ATTRIB, "--help"], repo, env)[0] for _ in range(repeat)]
        passes = [timed([sys.executable, "-I", "-c", "pass"], repo, env)[0]
                  for _ in range(repeat)]
        git(repo, "commit", "-q", "-m", "five files")
        # a pull request of 50 changed files on top
        base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                              text=True, check=True).stdout.strip()
        pr_files = python_files(repo)[:50]
        for path in pr_files:
            with path.open("a") as f:
                f.write("\n\ndef pr_helper(a, b):\n    return [x for x in a if x not in b]\n")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "pull request")
        diff = [*ATTRIB, "check", "--diff", f"{base}..HEAD", "--index", str(index)]
        diffs = [timed(diff, repo, env)[0] for _ in range(max(3, repeat // 2))]
    rows = [
        ("python -c pass (median)", median_ms(passes), "-"),
        ("attrib --help (median)", median_ms(helps), "< 200 ms"),
        ("check --staged, 5 files, blob cache cold (median)",
         median_ms(colds), "< 500 ms"),
        ("check --staged, same blobs again (median)",
         median_ms(warm), "< 500 ms"),
        (f"check --diff, pull request of {len(pr_files)} files (median)",
         median_ms(diffs), "< 5 s"),
    ]
    print(f"index: {index.name} (1M-line transformers corpus); {os.cpu_count()} cores; "
          f"{repeat} runs each")
    print_rows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
