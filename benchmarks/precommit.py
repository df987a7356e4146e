# SPDX-License-Identifier: Apache-2.0
"""Latency of the git surfaces: the pre-commit hook's check and a pull request's check.

    python benchmarks/precommit.py [--repeat 7]

Needs the 1M-line index of benchmarks/speed.py (benchmarks/out/index-full.sqlite;
run speed.py first). Builds a git repository in a temp dir whose history holds
real code (the speed benchmark's suspect tree), then measures, as the median
wall time of fresh processes (interpreter start-up included):

* ``attrib check --staged`` with 5 changed Python files staged, the blob cache
  cold (first run) and warm (second run over the same blobs): target < 0.5 s;
* ``attrib --help`` (target < 0.2 s) and ``python -c pass`` beside it;
* ``attrib check --diff BASE..HEAD`` of a pull request changing 50 files: < 5 s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the console script pre-commit runs (python -c would import the benchmark tree's own
# click/ and git/ copies from the working directory)
ATTRIB = [str(Path(sys.executable).parent / "attrib")]


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, int]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return time.perf_counter() - t0, done.returncode


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=b@example.invalid", *args],
                   cwd=cwd, check=True, capture_output=True)


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.stat().st_size > 2000)


def main() -> int:
    parser = argparse.ArgumentParser(description="pre-commit and pull-request latency")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    index, suspect = HERE / "out" / "index-full.sqlite", HERE / "out" / "suspect"
    if not index.is_file() or not suspect.is_dir():
        print("run benchmarks/speed.py first: it builds the 1M-line index and the suspect tree")
        return 2
    files = python_files(suspect)
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
        warm = [timed(staged, repo, env)[0] for _ in range(args.repeat)]
        colds = []
        for _ in range(args.repeat):
            shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)
            colds.append(timed(staged, repo, env)[0])
        helps = [timed([*ATTRIB, "--help"], repo, env)[0] for _ in range(args.repeat)]
        passes = [timed([sys.executable, "-I", "-c", "pass"], repo, env)[0]
                  for _ in range(args.repeat)]
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
        diffs = [timed(diff, repo, env)[0] for _ in range(max(3, args.repeat // 2))]
    rows = [
        ("python -c pass (median)", f"{statistics.median(passes) * 1000:.0f} ms", "-"),
        ("attrib --help (median)", f"{statistics.median(helps) * 1000:.0f} ms", "< 200 ms"),
        ("check --staged, 5 files, blob cache cold (median)",
         f"{statistics.median(colds) * 1000:.0f} ms", "< 500 ms"),
        ("check --staged, same blobs again (median)",
         f"{statistics.median(warm) * 1000:.0f} ms", "< 500 ms"),
        (f"check --diff, pull request of {len(pr_files)} files (median)",
         f"{statistics.median(diffs):.2f} s", "< 5 s"),
    ]
    print(f"index: {index.name} (1M-line transformers corpus); {os.cpu_count()} cores; "
          f"{args.repeat} runs each")
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}} | {value:>9} | {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
