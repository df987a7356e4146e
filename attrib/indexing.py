# SPDX-License-Identifier: Apache-2.0
"""Parsing a source and writing its fingerprints to an index."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable

from .fingerprint import Params, band_keys, minhashes
from .index.base import BlobRecord, IndexedFile, StaleBlobs, Store
from .lang import ParseFailure, language_of, parse_file
from .model import ParsedFile, Skip, Source, SourceFile, UpstreamInfo

Progress = Callable[[int], None]  # called with the number of files just done


@dataclass(frozen=True)
class Parsed:
    """What parsing a source gave: parsed files, skips, and files of no known language."""

    files: tuple[ParsedFile, ...]
    skipped: tuple[Skip, ...]
    unsupported: int


def supported(files: Iterable[SourceFile]) -> list[SourceFile]:
    return [f for f in files if language_of(f.path) is not None]


def parse_source(source: Source, reuse: set[str] = frozenset(),  # type: ignore[assignment]
                 progress: Progress | None = None) -> Parsed:
    """Parse every supported file of ``source`` whose blob is not in ``reuse``."""
    parsed: list[ParsedFile] = []
    skipped = list(source.skipped)
    wanted = supported(source.files)
    for f in wanted:
        if f.blob_id not in reuse:
            try:
                parsed.append(parse_file(f))
            except ParseFailure as exc:
                skipped.append(Skip(f.path, str(exc)))
            except RecursionError:
                skipped.append(Skip(f.path, "unparsable (nesting too deep)"))
        if progress:
            progress(1)
    return Parsed(tuple(parsed), tuple(sorted(skipped, key=lambda s: s.path)),
                  len(source.files) - len(wanted))


def fingerprint(parsed: ParsedFile, params: Params) -> BlobRecord:
    rows, values = minhashes(parsed, params)
    return BlobRecord(parsed, rows, values, band_keys(values, params))


def index_source(store: Store, source: Source, info: UpstreamInfo,
                 progress: Progress | None = None) -> tuple[UpstreamInfo, Parsed]:
    """Add (or replace) upstream ``info.name`` with the files of ``source``.

    Blobs the index already holds are not parsed again.
    """
    files = supported(source.files)
    known = store.known_blobs({f.blob_id for f in files})
    result = parse_source(source, reuse=known, progress=progress)
    seen: set[str] = set()
    records = []
    for p in result.files:
        if p.blob_id not in seen:
            seen.add(p.blob_id)
            records.append(fingerprint(p, store.params))
    failed = {s.path for s in result.skipped}
    kept = [f for f in files if f.path not in failed]
    lines = sum(f.data.count(b"\n") for f in kept)
    fragment_count = sum(len(r.fragment_rows) for r in records)
    info = UpstreamInfo(info.name, info.location, source.ref or info.ref,
                        source.commit or info.commit, info.license, info.url,
                        files=len(kept), fragments=fragment_count, lines=lines,
                        indexed_at=int(time.time()))
    indexed = [IndexedFile(info.name, f.path, f.blob_id, f.date, f.commit, f.author) for f in kept]
    try:
        store.add_upstream(info, indexed, records)
    except StaleBlobs as exc:
        # another writer dropped blobs we meant to reuse: parse those too and try once more
        again = [f for f in kept if f.blob_id in exc.missing]
        more = parse_source(Source(source.root, tuple(again), ()))
        records += [fingerprint(p, store.params) for p in more.files]
        store.add_upstream(info, indexed, records)
    return info, result
