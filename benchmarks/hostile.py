# SPDX-License-Identifier: Apache-2.0
"""The hostile-input table: pytest over tests/hostile/, one row per test file (category).

    python benchmarks/hostile.py                       # every tests/hostile/test_*.py
    python benchmarks/hostile.py --fuzz-seconds 60     # each fuzz target for 60 s
    python benchmarks/hostile.py -- -k artifacts       # extra pytest arguments after --
    python benchmarks/hostile.py --markdown            # the table as Markdown, for a note

Each row: cases, passed, failed (failures and errors), expected failures (a known crash
whose fix belongs to another module, named in the test) and skipped.  Then the fuzz
targets (executions and crashes, from tests/hostile/test_fuzz.py), and the heaviest case:
the largest peak memory (``ru_maxrss``) of any ``attrib`` run the cases made, with its
test.  It works for whatever test files exist under tests/hostile/: a new file is a new row.
Exit status: pytest's (0 when every case passed or was an expected failure).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "hostile"
OUTCOMES = ("passed", "failed", "xfailed", "skipped")


def run_suite(pytest_args: list[str], fuzz_seconds: float | None, workdir: Path) -> tuple[int, Path]:
    """Run pytest over the suite; (its exit code, the junit XML)."""
    junit = workdir / "junit.xml"
    env = {**os.environ, "ATTRIB_HOSTILE_PEAKS": str(workdir / "peaks.tsv"),
           "ATTRIB_HOSTILE_FUZZ": str(workdir / "fuzz.tsv")}
    if fuzz_seconds:
        env["ATTRIB_FUZZ_SECONDS"] = str(fuzz_seconds)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               f"--junitxml={junit}", "-o", "junit_family=xunit2", str(SUITE), *pytest_args]
    code = subprocess.run(command, cwd=ROOT, env=env).returncode
    return code, junit


def outcomes(junit: Path) -> dict[str, dict[str, int]]:
    """{test file: {outcome: count}} from pytest's junit XML."""
    rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    if not junit.is_file():
        return {}
    for case in ET.parse(junit).iter("testcase"):
        module = case.get("classname", "").split(".")
        name = next((p for p in module if p.startswith("test_")), module[-1] or "?")
        rows[name][_outcome(case)] += 1
    return dict(sorted(rows.items()))


def _outcome(case: ET.Element) -> str:
    if case.find("failure") is not None or case.find("error") is not None:
        return "failed"
    skipped = case.find("skipped")
    if skipped is not None:
        return "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
    return "passed"


def fuzz_rows(path: Path) -> dict[str, list[int]]:
    """{target: [executions, crashes]}, summed over rounds."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in _lines(path):
        target, executions, crashes = line.split("\t")
        rows[target][0] += int(executions)
        rows[target][1] += int(crashes)
    return dict(sorted(rows.items()))


def heaviest(path: Path) -> tuple[str, float, float] | None:
    """(test, peak MB, seconds) of the run with the largest peak memory."""
    runs = [(t, float(mb), float(s)) for t, mb, s in (ln.split("\t") for ln in _lines(path))]
    return max(runs, key=lambda r: r[1]) if runs else None


def slowest(path: Path) -> tuple[str, float, float] | None:
    runs = [(t, float(mb), float(s)) for t, mb, s in (ln.split("\t") for ln in _lines(path))]
    return max(runs, key=lambda r: r[2]) if runs else None


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.is_file() else []


def table(header: list[str], rows: list[list[object]], markdown: bool) -> str:
    cells = [header] + [[str(c) for c in r] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in cells]
        lines.insert(1, "|" + "|".join(" --- " for _ in header) + "|")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))) for r in cells)


def report(workdir: Path, junit: Path, markdown: bool) -> str:
    rows = outcomes(junit)
    body = [[name, sum(c.values()), *(c[o] for o in OUTCOMES)] for name, c in rows.items()]
    body.append(["total", sum(r[1] for r in body),
                 *(sum(r[2 + i] for r in body) for i in range(len(OUTCOMES)))])
    out = [table(["category", "cases", *OUTCOMES], body, markdown), ""]
    fuzz = fuzz_rows(workdir / "fuzz.tsv")
    if fuzz:
        out += [table(["fuzz target", "executions", "crashes"],
                      [[t, e, c] for t, (e, c) in fuzz.items()], markdown), ""]
    for what, found in (("heaviest case", heaviest(workdir / "peaks.tsv")),
                        ("slowest run", slowest(workdir / "peaks.tsv"))):
        if found:
            out.append(f"{what}: {found[0]} ({found[1]:.0f} MB peak, {found[2]:.1f} s)")
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz-seconds", type=float, default=None,
                        help="run each fuzz target this long (default: the normal short run)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed on to pytest")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="attrib-hostile-") as tmp:
        workdir = Path(tmp)
        code, junit = run_suite(args.pytest_args, args.fuzz_seconds, workdir)
        print()
        print(report(workdir, junit, args.markdown), end="")
    return code


if __name__ == "__main__":
    sys.exit(main())
