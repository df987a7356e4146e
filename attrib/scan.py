# SPDX-License-Identifier: Apache-2.0
"""The library entry points behind ``attrib scan`` and ``attrib compare``."""
from __future__ import annotations

import time
from pathlib import Path

from .index.base import Store
from .indexing import Progress, index_source, parse_source
from .match import MatchOptions, match_files
from .model import Report, Source, UpstreamInfo


def scan_source(store: Store, source: Source, options: MatchOptions = MatchOptions(),
                progress: Progress | None = None) -> Report:
    """Match every supported file of ``source`` against ``store``."""
    t0 = time.perf_counter()
    parsed = parse_source(source, progress=progress)
    t1 = time.perf_counter()
    matches, summaries, stats = match_files(store, list(parsed.files), options)
    stats = {**stats, "parse_seconds": t1 - t0, "files": float(len(parsed.files)),
             "lines": float(sum(p.line_count for p in parsed.files)),
             "unsupported_files": float(parsed.unsupported)}
    return Report(
        target=source.root,
        matches=tuple(sorted(matches, key=lambda m: (m.path, m.start_line, m.upstream))),
        files=tuple(s for s in summaries if s.derived_lines),
        skipped=parsed.skipped,
        upstreams=tuple(store.upstreams()),
        stats=stats,
    )


def compare_sources(suspect: Source, upstream: Source, upstream_name: str | None = None,
                    options: MatchOptions = MatchOptions()) -> Report:
    """Pairwise: which parts of ``suspect`` derive from ``upstream``; no index on disk."""
    from .index.sqlite import SqliteStore

    name = upstream_name or Path(upstream.root).resolve().name or "upstream"
    store = SqliteStore.open(":memory:", create=True)
    try:
        index_source(store, upstream, UpstreamInfo(name, upstream.root, upstream.ref,
                                                   upstream.commit, None))
        return scan_source(store, suspect, options)
    finally:
        store.close()
