# SPDX-License-Identifier: Apache-2.0
"""A fork scanned against its upstream: identical blobs short-circuit, so it should be fast.

Prints figures; never asserts on them.  The upstream is ``--files`` (default
300) Python files of the standard library, indexed once (not timed).  The fork
holds the same files, a few of them edited (a line appended, one function
renamed), as a fork has.  Each measured step runs ``attrib scan`` in a fresh
subprocess; the figure is the median wall time over ``--repeat`` runs, with the
peak memory of that process.

Target (issue 10): a fork of 300 files scanned against its upstream in under 2 s.

Run::

    python benchmarks/fork.py
    python benchmarks/fork.py --files 300 --repeat 5
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speed import fmt_mib, load_average, run_measured  # noqa: E402  (a sibling script)

EDITED = 10  # fork files that differ from the upstream's


def stdlib_files(n: int) -> list[Path]:
    """``n`` readable stdlib modules of 40 to 1,500 lines, in a fixed order."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for path in sorted(root.glob("*.py")) + sorted(root.glob("*/*.py")):
        if "test" in path.parts or "site-packages" in path.parts:
            continue
        try:
            lines = path.read_text(encoding="utf-8").count("\n")
        except (OSError, UnicodeDecodeError):
            continue
        if 40 <= lines <= 1500:
            out.append(path)
        if len(out) == n:
            break
    return out


def build(out: Path, n: int) -> tuple[Path, Path, int]:
    """An upstream tree and its fork; returns both and the number of lines."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    upstream, fork = out / "upstream", out / "fork"
    for d in (upstream, fork):
        shutil.rmtree(d, ignore_errors=True)
    lines = 0
    for i, src in enumerate(stdlib_files(n)):
        rel = src.relative_to(stdlib)
        text = src.read_text(encoding="utf-8")
        lines += text.count("\n")
        for root, body in ((upstream, text), (fork, _edited(text) if i % (n // EDITED) == 0
                                              else text)):
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(body, encoding="utf-8")
    return upstream, fork, lines


def _edited(text: str) -> str:
    """What a fork does to a file: one function renamed, one line added."""
    found = re.search(r"^def (\w+)\(", text, re.M)
    if found:
        text = re.sub(rf"\b{found.group(1)}\b", found.group(1) + "_fork", text)
    return text + "\nFORKED = True\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "fork")
    args = parser.parse_args(argv)
    upstream, fork, lines = build(args.out, args.files)
    attrib = [sys.executable, "-m", "attrib.cli.main"]
    idx = args.out / "upstream.sqlite"
    idx.unlink(missing_ok=True)
    env = {**os.environ, "ATTRIB_CACHE": str(args.out / "cache")}
    made = run_measured([*attrib, "index", "add", str(upstream), "--name", "upstream",
                         "--index", str(idx)], env=env)
    if made.returncode:
        print(made.stderr, file=sys.stderr)
        return 1
    runs = [run_measured([*attrib, "scan", str(fork), "--index", str(idx), "--format", "json"],
                         env=env) for _ in range(args.repeat)]
    if runs[0].returncode not in (0, 1):
        print(runs[0].stderr, file=sys.stderr)
        return 1
    report = json.loads(runs[0].stdout)
    stats = report["stats"]
    exact = sum(m["clone_type"] == "exact" and m["similarity"] == 1.0 for m in report["matches"])
    wall = statistics.median(r.wall for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    print(f"fork of {args.files} files ({lines:,} lines, {EDITED} edited) scanned against its "
          f"upstream: median {wall:.2f} s wall, {cpu:.2f} s CPU over {args.repeat} runs "
          f"(target < 2 s), peak {fmt_mib(max(r.maxrss for r in runs))}; load average "
          f"{load_average()}")
    print(f"  {int(stats.get('identical_files', 0))} files short-circuited as identical blobs, "
          f"{exact} exact matches at 100 %, {len(report['matches'])} matches in all; "
          f"parse {stats.get('parse_seconds', 0):.2f} s, candidates "
          f"{stats.get('candidate_seconds', 0):.2f} s, "
          f"verify {stats.get('verify_seconds', 0):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
