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


# below this much source a pool costs more to start than it saves (parsing runs at ~1 MB/s)
POOL_BYTES = 96 * 1024
CHUNK_BYTES = 32 * 1024  # the least a worker is handed at once


def fingerprint_files(files: list[SourceFile], params: Params, workers: int = 0,
                      progress: Progress | None = None) -> tuple[list[BlobRecord], list[Skip]]:
    """Parse and fingerprint ``files`` (distinct blobs), on ``workers`` processes.

    ``workers`` 0 means ``ATTRIB_WORKERS``, else one per usable core.  Small inputs
    stay in this process: a pool costs more to start than it saves.
    """
    with Parsers(params, workers) as parsers:
        return parsers.start(files).results(progress)


class Parsers:
    """Parsing and fingerprinting on worker processes, started when first worth it.

    :meth:`start` hands files to the workers and returns at once, so the caller can
    write one upstream while the workers parse the next.  Kept for a whole ``index
    add`` of several upstreams: the pool starts once.
    """

    def __init__(self, params: Params, workers: int = 0) -> None:
        from .cores import default_workers

        self.params = params
        self.workers = workers or default_workers()
        self._pool = None

    def __enter__(self) -> "Parsers":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def start(self, files: list[SourceFile]) -> "_Parsing":
        size = sum(len(f.data) for f in files)
        if self.workers < 2 or (self._pool is None and size < POOL_BYTES):
            return _Parsing(_chunks(files, CHUNK_BYTES), self.params, None)
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context(method))
        # about eight chunks a worker, so one slow file does not leave the other cores idle
        chunks = _chunks(files, max(CHUNK_BYTES, size // (self.workers * 8)))
        return _Parsing(chunks, self.params,
                        [self._pool.submit(_fingerprint_chunk, (c, self.params)) for c in chunks])


@dataclass
class _Parsing:
    """Files being parsed: in the workers (``futures``), or here when the results are asked."""

    chunks: list[list[SourceFile]]
    params: Params
    futures: list | None

    def results(self, progress: Progress | None = None) -> tuple[list[BlobRecord], list[Skip]]:
        records: list[BlobRecord] = []
        skipped: list[Skip] = []
        for i, chunk in enumerate(self.chunks):
            done, skips = (self.futures[i].result() if self.futures is not None
                           else _fingerprint_chunk((chunk, self.params)))
            records += done
            skipped += skips
            if progress:
                progress(len(chunk))
        return records, skipped


def _chunks(files: list[SourceFile], target: int) -> list[list[SourceFile]]:
    """``files`` in order, cut into runs of about ``target`` bytes (at most 64 files each)."""
    chunks: list[list[SourceFile]] = []
    run: list[SourceFile] = []
    size = 0
    for f in files:
        run.append(f)
        size += len(f.data)
        if size >= target or len(run) == 64:
            chunks.append(run)
            run, size = [], 0
    if run:
        chunks.append(run)
    return chunks


def index_source(store: Store, source: Source, info: UpstreamInfo,
                 progress: Progress | None = None, workers: int = 0,
                 parsers: "Parsers | None" = None) -> tuple[UpstreamInfo, Parsed]:
    """Add (or replace) upstream ``info.name`` with the files of ``source``.

    Blobs the index already holds are not parsed again; the rest are parsed
    and fingerprinted on ``workers`` processes (0: one per core), or by
    ``parsers`` kept for several upstreams.
    """
    from contextlib import nullcontext

    with nullcontext(parsers) if parsers else Parsers(store.params, workers) as chosen:
        return Pending(store, source, chosen).finish(info, progress)


class Pending:
    """An upstream whose new blobs are being parsed; :meth:`finish` writes it to the store.

    Started before the previous upstream of a batch is written, it parses while that
    write runs.  A blob the two share is then parsed twice and stored once.
    """

    def __init__(self, store: Store, source: Source, parsers: Parsers) -> None:
        self.store, self.source, self.parsers = store, source, parsers
        self.files = supported(source.files)
        known = store.known_blobs({f.blob_id for f in self.files})
        self.todo = list({f.blob_id: f for f in self.files if f.blob_id not in known}.values())
        self.parsing = parsers.start(self.todo)

    def finish(self, info: UpstreamInfo,
               progress: Progress | None = None) -> tuple[UpstreamInfo, Parsed]:
        store, source, files, todo = self.store, self.source, self.files, self.todo
        if progress and len(todo) < len(files):
            progress(len(files) - len(todo))
        records, skipped = self.parsing.results(progress)
        failed = {s.path for s in skipped}
        bad_blobs = {f.blob_id for f in todo if f.path in failed}
        kept = [f for f in files if f.blob_id not in bad_blobs]
        lines = sum(f.data.count(b"\n") for f in kept)
        info = replace(info, ref=source.ref or info.ref, commit=source.commit or info.commit,
                       files=len(kept), fragments=sum(len(r.fragment_rows) for r in records),
                       lines=lines, indexed_at=int(time.time()),
                       notice=info.notice if info.notice is not None else notice_text(source),
                       copyrights=info.copyrights or license_copyrights(source))
        indexed = [IndexedFile(info.name, f.path, f.blob_id, f.date, f.commit, f.author,
                               f.first_date, f.author_date, f.first_author_date) for f in kept]
        try:
            store.add_upstream(info, indexed, records)
        except StaleBlobs as exc:
            # another writer dropped blobs we meant to reuse: parse those too and try once more
            again = list({f.blob_id: f for f in kept if f.blob_id in exc.missing}.values())
            more, _ = self.parsers.start(again).results()
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
