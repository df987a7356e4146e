# SPDX-License-Identifier: Apache-2.0
"""Audit of a 100,000-line repository against the 1M-line index: wall time and peak memory.

    python benchmarks/audit.py        # after benchmarks/speed.py (it builds the 1M-line index)

The audited tree: the speed benchmark's 10k-line suspect tree (which holds four
renamed transformers models) plus standard-library modules up to ~100,000
lines, all in a fresh git repository. `attrib audit` runs once as the console
script in a child process (HTML to a file), timed with wait4 for its peak RSS.
Target: under 60 s.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_LINES = 100_000


def build_tree(dest: Path) -> int:
    shutil.copytree(HERE / "out" / "suspect", dest)
    lines = sum(p.read_text(errors="replace").count("\n") for p in dest.rglob("*.py"))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py")):
        if lines >= TARGET_LINES:
            break
        text = path.read_text(errors="replace")
        (dest / "vendored_stdlib").mkdir(exist_ok=True)
        (dest / "vendored_stdlib" / path.name).write_text(text)
        lines += text.count("\n")
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "."], cwd=dest, check=True)
    subprocess.run(["git", "-c", "user.name=B", "-c", "user.email=b@example.invalid", "commit",
                    "-q", "-m", "tree"], cwd=dest, check=True)
    return lines


def main() -> int:
    index = HERE / "out" / "index-full.sqlite"
    if not index.is_file() or not (HERE / "out" / "suspect").is_dir():
        print("run benchmarks/speed.py first: it builds the 1M-line index and the suspect tree")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "repo"
        lines = build_tree(tree)
        attrib = str(Path(sys.executable).parent / "attrib")
        t0 = time.perf_counter()
        proc = subprocess.Popen([attrib, "audit", str(tree), "--index", str(index), "-o",
                                 str(Path(tmp) / "report.html")], stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        size = (Path(tmp) / "report.html").stat().st_size if code in (0, 1) else 0
    if code not in (0, 1):
        print(f"audit failed ({code}): {err.strip()}")
        return 2
    print(f"audit of {lines:,} lines against {index.name} (1M lines): {wall:.1f} s wall "
          f"(target < 60 s), peak RSS {usage.ru_maxrss / 1024:.0f} MiB, report {size / 1024:.0f} "
          f"KiB, exit {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
