# SPDX-License-Identifier: Apache-2.0
"""Matching: the engine's flow from parsed suspect files to regions.

1. :mod:`.candidates`: every eligible suspect fragment's band keys go to the
   index; a fragment of an upstream blob sharing ``min_bands`` bands makes that
   blob a candidate.
2. :mod:`.verify`: each (suspect file, candidate blob) pair is tiled as whole
   token streams (:mod:`.tiling`), so moved, reordered and split code is
   aligned wherever it went.  The suspect's *units* (:mod:`.units`: top-level
   functions and methods; a class without methods; a file without either) are
   scored by the share of their tokens the tiles cover.  A unit matches alone
   when enough of it is covered; once one unit has confirmed a file pair,
   smaller units of the same pair may match too (a reviewer trusts the
   neighbours of a proven copy), and folder context lets sibling files vouch.
3. :mod:`.regions`: adjacent units that derive from the same upstream file, in
   the same order, merge into one region with its evidence (:mod:`.evidence`).

A suspect file whose blob the index holds is not tiled at all: it is an
``exact`` copy of the whole file.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..model import FileSummary, Match, ParsedFile
from .candidates import Focus, candidates
from .fingerprint import Params
from .index.base import IndexedFile, Store
from .regions import exact_copy, regions, rename_map, summarise
from .units import units
from .verify import Hit, MatchOptions, Upstreams, folder_context, unit_hits_many

__all__ = ["MatchOptions", "candidates", "match_files", "rename_map", "summarise", "units"]


def match_files(store: Store, files: list[ParsedFile], options: MatchOptions = MatchOptions(),
                focus: Focus | None = None) -> tuple[list[Match], list[FileSummary],
                                                     dict[str, float]]:
    """Match suspect files against the index: regions, per-file summaries, timings.

    ``focus`` (``attrib check``) limits the index queries to what a change adds.
    """
    t0 = time.perf_counter()
    held = store.files_of_blobs({p.blob_id for p in files})
    identical = {fi for fi, p in enumerate(files)
                 if held.get(p.blob_id) and _substantial(p, store.params, options)}
    rest = [fi for fi in range(len(files)) if fi not in identical]
    found = candidates(store, [files[fi] for fi in rest], store.params, options, focus)
    cands = {rest[i]: blob_ids for i, blob_ids in found.items()}
    t1 = time.perf_counter()
    pool = Upstreams(store)
    where = store.files_of_blobs({b for bs in cands.values() for b in bs})
    matches: list[Match] = []
    summaries: list[FileSummary] = []
    hits_of: dict[int, list[Hit]] = {}
    todo = [fi for fi in range(len(files)) if fi in cands]
    found_hits = unit_hits_many([(files[fi], cands[fi], frozenset(), None) for fi in todo],
                                pool, store.params, options)
    hits_of.update(zip(todo, found_hits))
    # folder context: an upstream file proven by sibling files is tiled against the rest
    extra = folder_context(files, hits_of)
    if extra:
        where.update(store.files_of_blobs(set().union(*extra.values()) - set(where)))
    again = [fi for fi in extra if fi not in identical]
    found_hits = unit_hits_many([(files[fi], sorted(extra[fi]), extra[fi], hits_of.get(fi))
                                 for fi in again], pool, store.params, options)
    hits_of.update(zip(again, found_hits))
    indexed = {(f.upstream, f.path): f for fs in (*held.values(), *where.values()) for f in fs}
    for fi, parsed in enumerate(files):
        file_matches: list[Match] = []
        if fi in identical:
            file_matches = [exact_copy(parsed, held[parsed.blob_id])]
        elif hits_of.get(fi):
            file_matches = regions(parsed, hits_of[fi], pool.loaded, where)
        file_matches = [_author_dated(m, parsed, indexed) for m in file_matches]
        matches += file_matches
        summaries.append(summarise(parsed, file_matches))
    t2 = time.perf_counter()
    stats = {"candidate_seconds": t1 - t0, "verify_seconds": t2 - t1,
             "upstream_blobs_ranked": float(pool.ranked),
             "upstream_blobs_loaded": float(len(pool.tiled)), "identical_files": float(len(identical))}
    return matches, summaries, stats


def _author_dated(m: Match, parsed: ParsedFile,
                  indexed: dict[tuple[str, str], IndexedFile]) -> Match:
    """``m`` with the author dates of the commits its committer dates come from.

    A match's dates are those of the suspect file and of the indexed file it names
    (``upstream``, ``upstream_path``: one file of the index); each author date is set
    where its committer date is, so both orders are read over the same commits
    (:mod:`attrib.history`).
    """
    f = indexed.get((m.upstream, m.upstream_path))
    return replace(
        m, author_date=parsed.author_date if m.date is not None else None,
        first_author_date=parsed.first_author_date if m.first_date is not None else None,
        upstream_author_date=f.author_date if f and m.upstream_date is not None else None,
        upstream_first_author_date=(f.first_author_date if f and m.upstream_first_date
                                    is not None else None))


def _substantial(parsed: ParsedFile, params: Params, options: MatchOptions) -> bool:
    """Whether a byte-identical file is evidence: as much uncommon code as a unit needs alone.

    An empty ``__init__.py`` or a two-line stub is identical in every fork of
    everything; it is not a copy of anyone.
    """
    from .background import common_for, is_common
    from .fingerprint import shingle_hashes

    n = len(parsed.stream.texts)
    if n < options.min_tokens:
        return False
    hashes = shingle_hashes(parsed.stream, params.k)
    table = common_for(parsed.language, params.normaliser, params.k)
    rare = np.flatnonzero(~is_common(hashes, table))
    delta = np.zeros(n + 1, dtype=np.int32)  # tokens inside some uncommon shingle
    np.add.at(delta, rare, 1)
    np.add.at(delta, rare + params.k, -1)
    return int((np.cumsum(delta[:n]) > 0).sum()) >= options.min_tokens


