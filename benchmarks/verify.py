# SPDX-License-Identifier: Apache-2.0
"""Verification's own time, apart from reading blobs out of the index.

Prints figures; never asserts on them.  ``verify_seconds`` in a scan report
covers loading every candidate blob from the store (``Store.load_blob``:
decompressing and decoding it) as well as tiling and scoring.  This script
parses a tree once, then runs ``match_files`` in this process ``--repeat``
times two ways: as a scan does (blobs loaded from the index each time, the
"cold" figure), and with every blob already loaded (verification's own work:
ranking candidates, tiling, scoring, regions).  Per-scan caches are emptied
before each run.  ``--cpu`` reports process CPU seconds instead of wall time,
which a machine shared with other jobs disturbs less.  The last column is a
digest of the matches, to compare two versions of attrib on the same inputs.

    python benchmarks/verify.py [SUSPECT_TREE] [INDEX] [--repeat 5] [--cpu]

Defaults: the speed benchmark's suspect tree and 1M-line index
(``benchmarks/out/suspect``, ``benchmarks/out/index-full.sqlite``; run
``benchmarks/speed.py`` first).
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent


def clear_caches() -> None:
    """Empty the per-scan caches of verification, so each run starts as a fresh scan does."""
    from attrib.engine import tiling, verify

    for module in (verify, tiling):
        for name, value in vars(module).items():
            if isinstance(value, dict) and (name.endswith("_cache") or name == "_memo"):
                value.clear()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("suspect", nargs="?", default=str(HERE / "out" / "suspect"))
    ap.add_argument("index", nargs="?", default=str(HERE / "out" / "index-full.sqlite"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cpu", action="store_true", help="process CPU seconds, not wall time")
    args = ap.parse_args(argv)
    from attrib.engine import match
    from attrib.engine.index import open_store
    from attrib.engine.sources import open_source
    from attrib.scan import _parse_reusing

    if not Path(args.suspect).is_dir() or not Path(args.index).is_file():
        sys.exit(f"verify.py: need a tree and an index ({args.suspect}, {args.index}); "
                 "run benchmarks/speed.py first or pass them")
    store = open_store(args.index)
    files = list(_parse_reusing(store, open_source(args.suspect), None, None).files)
    if args.cpu:  # match_files times itself with perf_counter
        match.time = types.SimpleNamespace(perf_counter=time.process_time)

    def runs() -> tuple[list[float], str]:
        seconds, digest = [], ""
        for _ in range(args.repeat):
            clear_caches()
            found, summaries, stats = match.match_files(store, files)
            seconds.append(stats["verify_seconds"])
            digest = hashlib.sha256(repr((found, summaries)).encode()).hexdigest()[:16]
        return seconds, digest

    cold, digest = runs()
    loaded: dict = {}
    load = match._load

    def preloaded(store_, blob_ids, blobs):
        for b in blob_ids:
            if b not in blobs:
                if b not in loaded:
                    loaded[b] = store_.load_blob(b)
                blobs[b] = loaded[b]
        return [blobs[b] for b in blob_ids]

    match._load = preloaded
    try:
        match.match_files(store, files)  # load every blob once, not timed
        warm, digest2 = runs()
    finally:
        match._load = load
    unit = "CPU s" if args.cpu else "s"
    print(f"{len(files)} files, {len(loaded)} blobs loaded per scan; median of {args.repeat}:")
    print(f"  verify_seconds as a scan has it (blobs loaded): {statistics.median(cold):.3f} {unit}")
    print(f"  verification alone (blobs already loaded):      {statistics.median(warm):.3f} {unit}")
    print(f"  loading the blobs, the difference:              "
          f"{statistics.median(cold) - statistics.median(warm):.3f} {unit}")
    print(f"  matches digest {digest}" + ("" if digest == digest2 else f" / {digest2} (DIFFER)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
