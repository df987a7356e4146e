# SPDX-License-Identifier: Apache-2.0
"""The rules engine's figures: the verdict table of the licence fixture suite, and its cost.

    python benchmarks/rules.py                 # verdict table + overhead on the speed corpus
    python benchmarks/rules.py --no-overhead   # verdict table only

The fixture suite (tests/compliance_fixtures.py) builds, for each licence, an
upstream git repository and six suspect repositories: a compliant copy, the
credit stripped, only the LICENSE missing, the headers stripped, an
incompatible combination and an honest fork. Each is indexed and scanned
through the library; the table prints the verdict beside what a licence
reviewer expects.  A second table does the same for the patterns of issue 9
(compliance_fixtures.PATTERNS): a project named like its upstream, the
upstream among "Other implementations", a name inside a longer word, a
lower-case readme.md, an in-file credit comment, MIT with the copyright line
replaced, a re-authored history, an older suspect, a backdated copy, a
shared older upstream, and a copy of an upstream with nothing to carry. The overhead is the time check_rules (loading the rules,
detecting the project's licence, running every check) adds to a scan of the
10,000-line speed-benchmark tree against its 1M-line index (run
benchmarks/speed.py first), as a median of --repeat runs.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

LICENSES = ("Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC", "MPL-2.0",
            "LGPL-2.1-only", "LGPL-3.0-only", "GPL-2.0-only", "GPL-3.0-only", "AGPL-3.0-only")


def run_case(spdx: str, case: str) -> tuple[str, bool, list[str]]:
    """(verdict, exit-code-would-fail, failed checks) of one fixture case."""
    from compliance_fixtures import UPSTREAM_NAME, UPSTREAM_URL, build_case

    from attrib.cli.common import policy
    from attrib.engine.index.sqlite import SqliteStore
    from attrib.engine.indexing import index_source
    from attrib.licenses import detect_source
    from attrib.model import UpstreamInfo
    from attrib.scan import check_rules, scan_source
    from attrib.engine.sources import open_source, with_history

    with tempfile.TemporaryDirectory() as tmp:
        built = build_case(Path(tmp), spdx, case)
        store = SqliteStore.open(str(Path(tmp) / "idx.sqlite"), create=True)
        up = with_history(open_source(built.upstream), built.upstream)
        index_source(store, up, UpstreamInfo(UPSTREAM_NAME, str(built.upstream), None, None,
                                             detect_source(up), UPSTREAM_URL), workers=1)
        source = with_history(open_source(built.suspect), built.suspect)
        report = check_rules(scan_source(store, source), source, *policy(str(built.suspect), ()))
        store.close()
    verdicts = [v.verdict for v in report.verdicts] or ["no match"]
    failed = sorted({f.check for f in report.findings if f.status == "fail"
                     and f.severity != "info"})
    return verdicts[0], report.failed, failed


def run_pattern(name: str) -> list[tuple[str, str, str, str]]:
    """(upstream, expected, verdict, verdict line) of one issue-9 pattern
    (tests/compliance_fixtures.py)."""
    from compliance_fixtures import PATTERNS

    from attrib.cli.common import policy
    from attrib.engine.index.sqlite import SqliteStore
    from attrib.engine.indexing import index_source
    from attrib.licenses import detect_source
    from attrib.model import UpstreamInfo
    from attrib.scan import check_rules, scan_source
    from attrib.engine.sources import open_source, with_history

    with tempfile.TemporaryDirectory() as tmp:
        pattern = PATTERNS[name](Path(tmp))
        store = SqliteStore.open(str(Path(tmp) / "idx.sqlite"), create=True)
        for up_name, path, url in pattern.upstreams:
            up = with_history(open_source(path), path)
            index_source(store, up, UpstreamInfo(up_name, str(path), None, None,
                                                 detect_source(up), url), workers=1)
        source = with_history(open_source(pattern.suspect), pattern.suspect)
        report = check_rules(scan_source(store, source), source,
                             *policy(str(pattern.suspect), ()))
        store.close()
    got = {v.upstream: (v.verdict, v.detail) for v in report.verdicts}
    return [(up, want, *got.get(up, ("no match", ""))) for up, want in pattern.expected.items()]


def pattern_table() -> int:
    """The issue-9 patterns: what counts as credit, and history read both ways."""
    from compliance_fixtures import PATTERNS

    wrong = 0
    print(f"{'pattern':<23} {'upstream':<9} {'verdict':<29} {'expected':<29} verdict line")
    for name in PATTERNS:
        for up, want, verdict, detail in run_pattern(name):
            wrong += verdict != want
            print(f"{name:<23} {up:<9} {verdict:<29} {want:<29} {detail}"
                  + ("" if verdict == want else "   <-- WRONG"))
    print(f"\n{wrong} pattern verdict(s) differ from the reviewer's")
    return wrong


def verdict_table() -> int:
    from compliance_fixtures import CASES, EXPECTED, INCOMPATIBLE

    wrong = 0
    print(f"{'licence':<15} {'case':<17} {'verdict':<20} {'expected':<20} exit  failed checks")
    for spdx in LICENSES:
        for case in CASES:
            if case == "incompatible" and spdx not in INCOMPATIBLE:
                continue
            verdict, fails, failed = run_case(spdx, case)
            ok = verdict == EXPECTED[case]
            wrong += not ok
            print(f"{spdx:<15} {case:<17} {verdict:<20} {EXPECTED[case]:<20} {int(fails):<5} "
                  f"{', '.join(failed) or '-'}{'' if ok else '   <-- WRONG'}")
    print(f"\n{wrong} verdict(s) differ from the reviewer's")
    return wrong


def overhead(repeat: int) -> None:
    from attrib.cli.common import policy
    from attrib.engine.index import open_store
    from attrib.scan import check_rules, scan_source
    from attrib.engine.sources import open_source

    from attrib.errors import AttribError

    suspect, index = HERE / "out" / "suspect", HERE / "out" / "index-full.sqlite"
    try:
        open_store(str(index)).close()
    except AttribError as exc:
        print(f"overhead: {exc}; run benchmarks/speed.py first (it builds the tree and index)")
        return
    scans, rules = [], []
    for _ in range(repeat):
        store = open_store(str(index))
        source = open_source(suspect)
        t0 = time.perf_counter()
        report = scan_source(store, source)
        t1 = time.perf_counter()
        check_rules(report, source, *policy(str(suspect), ()))
        t2 = time.perf_counter()
        store.close()
        scans.append(t1 - t0)
        rules.append(t2 - t1)
    s, r = statistics.median(scans), statistics.median(rules)
    print(f"\nscan of {suspect.name} against {index.name}: {s:.2f} s (median of {repeat}), "
          f"{len(report.matches)} matches")
    print(f"rules engine, first run in this process (rules loaded, licence library started): "
          f"{rules[0] * 1000:.0f} ms = {100 * rules[0] / scans[0]:.1f} % of its scan "
          f"(target < 5 %)")
    print(f"rules engine, median: {r * 1000:.0f} ms = {100 * r / s:.1f} % of the scan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-overhead", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.no_overhead:  # first, so its first run pays the rules' start-up
        overhead(args.repeat)
    wrong = verdict_table()
    print()
    wrong += pattern_table()
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
