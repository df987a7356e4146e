# SPDX-License-Identifier: Apache-2.0
"""Parsing a source and writing its fingerprints to an index."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from .fingerprint import Params, band_keys, minhashes
from .index.base import BlobRecord, IndexedFile, StaleBlobs, Store, encode_blob
from .lang import ParseFailure, language_of, parse_file
from ..model import ParsedFile, Skip, Source, SourceFile, UpstreamInfo

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
    return BlobRecord(parsed.blob_id, encode_blob(parsed), rows, values, band_keys(values, params))


def _fingerprint_chunk(job: tuple[list[SourceFile], Params]) -> tuple[list[BlobRecord], list[Skip]]:
    """Parse and fingerprint some files (in a worker process)."""
    files, params = job
    parsed = parse_source(Source("", tuple(files), ()))
    return [fingerprint(p, params) for p in parsed.files], list(parsed.skipped)


def fingerprint_files(files: list[SourceFile], params: Params, workers: int = 0,
                      progress: Progress | None = None) -> tuple[list[BlobRecord], list[Skip]]:
    """Parse and fingerprint ``files`` (distinct blobs), on ``workers`` processes.

    ``workers`` 0 means ``ATTRIB_WORKERS``, else one per usable core.  Small inputs
    stay in this process: a pool costs more to start than it saves.
    """
    from .cores import default_workers

    workers = workers or default_workers()
    chunks = [files[i:i + 32] for i in range(0, len(files), 32)]
    records: list[BlobRecord] = []
    skipped: list[Skip] = []
    if workers < 2 or len(files) < 128:
        results: Iterable = map(_fingerprint_chunk, ((c, params) for c in chunks))
        return _collect(results, chunks, records, skipped, progress)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        results = pool.map(_fingerprint_chunk, ((c, params) for c in chunks))
        return _collect(results, chunks, records, skipped, progress)


def _collect(results: Iterable, chunks: list, records: list[BlobRecord], skipped: list[Skip],
             progress: Progress | None) -> tuple[list[BlobRecord], list[Skip]]:
    for chunk, (done, skips) in zip(chunks, results):
        records += done
        skipped += skips
        if progress:
            progress(len(chunk))
    return records, skipped


def index_source(store: Store, source: Source, info: UpstreamInfo,
                 progress: Progress | None = None, workers: int = 0) -> tuple[UpstreamInfo, Parsed]:
    """Add (or replace) upstream ``info.name`` with the files of ``source``.

    Blobs the index already holds are not parsed again; the rest are parsed
    and fingerprinted on ``workers`` processes (0: one per core).
    """
    files = supported(source.files)
    known = store.known_blobs({f.blob_id for f in files})
    todo = list({f.blob_id: f for f in files if f.blob_id not in known}.values())
    if progress and len(todo) < len(files):
        progress(len(files) - len(todo))
    records, skipped = fingerprint_files(todo, store.params, workers, progress)
    failed = {s.path for s in skipped}
    bad_blobs = {f.blob_id for f in todo if f.path in failed}
    kept = [f for f in files if f.blob_id not in bad_blobs]
    lines = sum(f.data.count(b"\n") for f in kept)
    info = replace(info, ref=source.ref or info.ref, commit=source.commit or info.commit,
                   files=len(kept), fragments=sum(len(r.fragment_rows) for r in records),
                   lines=lines, indexed_at=int(time.time()),
                   notice=info.notice if info.notice is not None else notice_text(source),
                   copyrights=info.copyrights or license_copyrights(source))
    indexed = [IndexedFile(info.name, f.path, f.blob_id, f.date, f.commit, f.author, f.first_date,
                           f.author_date, f.first_author_date) for f in kept]
    try:
        store.add_upstream(info, indexed, records)
    except StaleBlobs as exc:
        # another writer dropped blobs we meant to reuse: parse those too and try once more
        again = list({f.blob_id: f for f in kept if f.blob_id in exc.missing}.values())
        more, _ = fingerprint_files(again, store.params, 1)
        store.add_upstream(info, indexed, records + more)
    result = Parsed((), tuple(sorted([*source.skipped, *skipped], key=lambda s: s.path)),
                    len(source.files) - len(files))
    return info, result


NOTICE_FILES = ("NOTICE", "NOTICE.txt", "NOTICE.md", "NOTICE.rst")


def notice_text(source: Source, limit: int = 100_000) -> str | None:
    """The text of the tree's top-level NOTICE file, if it has one."""
    by_path = {f.path: f for f in source.files}
    for name in NOTICE_FILES:
        if name in by_path:
            return by_path[name].data[:limit].decode("utf-8", "replace").strip() or None
    return None


def license_copyrights(source: Source) -> tuple[str, ...]:
    """The copyright lines of the tree's licence files (an MIT or BSD text names its holders)."""
    from ..licenses import detect_tree

    tree = detect_tree(source)
    lines = [c for d in tree.detections if d.path in tree.license_files for c in d.copyrights]
    return tuple(dict.fromkeys(lines))
