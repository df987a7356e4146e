# SPDX-License-Identifier: Apache-2.0
"""Matching: LSH candidates, then verification by greedy string tiling.

1. Every eligible suspect fragment's band keys go to the index; a fragment of
   an upstream blob sharing ``min_bands`` bands makes that blob a candidate.
2. Each (suspect file, candidate blob) pair is tiled as whole token streams, so
   moved, reordered and split code is aligned wherever it went.
3. The suspect's *units* (top-level functions and methods; a class without
   methods; a file without either) are scored by the share of their tokens the
   tiles cover.  A unit matches alone when enough of it is covered; once one
   unit has confirmed a file pair, smaller units of the same pair may match
   too (a reviewer trusts the neighbours of a proven copy).
4. Adjacent units that derive from the same upstream file, in the same order,
   merge into one region.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict

import numpy as np

from .fingerprint import Params, band_keys, minhashes
from .index.base import IndexedFile, Store
from .model import Evidence, FileSummary, Match, ParsedFile
from .units import units
from .verify import Hit, MatchOptions, folder_context, unit_hits

__all__ = ["MatchOptions", "candidates", "match_files", "rename_map", "summarise", "excerpt",
           "units"]


Focus = dict[str, frozenset[int]]  # path -> the lines a change adds


def candidates(store: Store, files: list[ParsedFile], params: Params,
               options: MatchOptions, focus: Focus | None = None) -> dict[int, list[str]]:
    """For each suspect file index, the upstream blob ids worth tiling, best first.

    With ``focus``, only fragments that touch the added lines ask the index
    (the whole file only when the change adds all of it).
    """
    rows: list[int] = []
    keys: list[np.ndarray] = []
    for fi, parsed in enumerate(files):
        chosen, values = minhashes(parsed, params)
        if focus is not None:
            keep = _focused(parsed, chosen, focus.get(parsed.path, frozenset()))
            values = values[keep]
        if len(values):
            keys.append(band_keys(values, params))
            rows += [fi] * len(values)
    if not keys:
        return {}
    hits = store.query(np.vstack(keys), options.min_bands)
    best: dict[int, Counter[str]] = defaultdict(Counter)
    for row, found in hits.items():
        counter = best[rows[row]]
        for (blob_id, _idx), n in found.items():
            counter[blob_id] = max(counter[blob_id], n)
    return {fi: [b for b, _ in c.most_common(options.max_candidates)] for fi, c in best.items()}


def _focused(parsed: ParsedFile, chosen: list[int], lines: frozenset[int]) -> list[int]:
    """Rows of ``chosen`` fragments that touch ``lines`` (the file fragment: only if all added)."""
    whole = len(lines) >= parsed.line_count
    keep = []
    for row, i in enumerate(chosen):
        f = parsed.fragments[i]
        if f.kind == "module" and not whole:
            continue
        if any(n in lines for n in range(f.start_line, f.end_line + 1)):
            keep.append(row)
    return keep


def match_files(store: Store, files: list[ParsedFile], options: MatchOptions = MatchOptions(),
                focus: Focus | None = None) -> tuple[list[Match], list[FileSummary],
                                                     dict[str, float]]:
    """Match suspect files against the index: regions, per-file summaries, timings.

    ``focus`` (``attrib check``) limits the index queries to what a change adds.
    """
    t0 = time.perf_counter()
    cands = candidates(store, files, store.params, options, focus)
    t1 = time.perf_counter()
    blobs: dict[str, ParsedFile] = {}
    where = store.files_of_blobs({b for bs in cands.values() for b in bs})
    matches: list[Match] = []
    summaries: list[FileSummary] = []
    hits_of: dict[int, list[Hit]] = {}
    for fi, parsed in enumerate(files):
        if fi in cands:
            hits_of[fi] = unit_hits(parsed, _load(store, cands[fi], blobs), store.params, options)
    # folder context: an upstream file proven by sibling files is tiled against the rest
    extra = folder_context(files, hits_of)
    if extra:
        where.update(store.files_of_blobs(set().union(*extra.values()) - set(where)))
    for fi, vouched in extra.items():
        hits_of[fi] = unit_hits(files[fi], _load(store, sorted(vouched), blobs), store.params,
                                options, vouched, hits_of.get(fi))
    for fi, parsed in enumerate(files):
        file_matches = _regions(parsed, hits_of[fi], blobs, where) if hits_of.get(fi) else []
        matches += file_matches
        summaries.append(summarise(parsed, file_matches))
    t2 = time.perf_counter()
    stats = {"candidate_seconds": t1 - t0, "verify_seconds": t2 - t1,
             "upstream_blobs_loaded": float(len(blobs))}
    return matches, summaries, stats


def _load(store: Store, blob_ids: list[str], blobs: dict[str, ParsedFile]) -> list[ParsedFile]:
    for b in blob_ids:
        if b not in blobs:
            blobs[b] = store.load_blob(b)
    return [blobs[b] for b in blob_ids]


def _regions(parsed: ParsedFile, hits: list[Hit], blobs: dict[str, ParsedFile],
             where: dict[str, list[IndexedFile]]) -> list[Match]:
    by_unit: dict[int, list[Hit]] = defaultdict(list)
    for h in hits:
        by_unit[h.unit.index].append(h)
    parts: list[tuple[Hit, IndexedFile, tuple[str, ...]]] = []
    for found in by_unit.values():
        holders = [(f, h) for h in found for f in where.get(h.blob_id, [])]
        if not holders:
            continue
        holders.sort(key=lambda fh: (fh[0].date is None, fh[0].date or 0, fh[0].upstream,
                                     fh[0].path))
        first, hit = holders[0]
        others = tuple(sorted({f.upstream for f, _ in holders} - {first.upstream}))
        parts.append((hit, first, others))
    parts.sort(key=lambda p: p[0].unit.fragment.tok_start)
    all_units = [u.index for u in units(parsed)]
    groups: list[list[tuple[Hit, IndexedFile, tuple[str, ...]]]] = []
    for part in parts:
        if groups and _continues(groups[-1][-1], part, all_units):
            groups[-1].append(part)
        else:
            groups.append([part])
    return [_region(parsed, g, blobs) for g in groups]


def _continues(prev, nxt, all_units: list[int]) -> bool:
    (ph, pf, _), (nh, nf, _) = prev, nxt
    if (pf.upstream, pf.path) != (nf.upstream, nf.path):
        return False
    gap = all_units.index(nh.unit.index) - all_units.index(ph.unit.index)
    return gap == 1 and ph.u_position >= 0 and nh.u_position == ph.u_position + 1


def _region(parsed: ParsedFile, group, blobs: dict[str, ParsedFile]) -> Match:
    hits = [h for h, _, _ in group]
    first_file = group[0][1]
    upstream = blobs[hits[0].blob_id]
    sizes = [h.unit.fragment.size for h in hits]
    similarity = sum(h.similarity * n for h, n in zip(hits, sizes)) / sum(sizes)
    pairs = [p for h in hits for p in h.pairs]
    return Match(
        path=parsed.path,
        start_line=hits[0].unit.fragment.start_line,
        end_line=max(h.unit.fragment.end_line for h in hits),
        upstream=first_file.upstream,
        upstream_path=first_file.path,
        upstream_start_line=min(h.u_start_line for h in hits),
        upstream_end_line=max(h.u_end_line for h in hits),
        similarity=round(similarity, 3),
        clone_type=_clone_type(parsed, upstream, hits),
        renames=rename_map(parsed, upstream, pairs),
        names=tuple(h.unit.fragment.name for h in hits),
        upstream_names=tuple(h.u_fragment.name if h.u_fragment else "<module>" for h in hits),
        evidence=_evidence(parsed, upstream, pairs),
        also_in=tuple(sorted({o for _, _, others in group for o in others})),
        upstream_date=first_file.date,
        upstream_commit=first_file.commit,
        excerpt=excerpt(parsed, hits[0].unit.fragment.start_line,
                        max(h.unit.fragment.end_line for h in hits)),
        upstream_excerpt=excerpt(upstream, min(h.u_start_line for h in hits),
                                 max(h.u_end_line for h in hits)),
        upstream_header=upstream.header,
        alignment=_line_alignment(parsed, upstream, pairs),
        date=parsed.date, commit=parsed.commit, author=parsed.author,
        first_date=parsed.first_date, upstream_first_date=first_file.first_date,
        upstream_author=first_file.author,
    )


def _clone_type(parsed: ParsedFile, upstream: ParsedFile, hits: list[Hit]) -> str:
    kinds = set()
    for h in hits:
        f, u = h.unit.fragment, h.u_fragment
        if u is None or h.covered < f.size or f.size != u.size:
            kinds.add("edited")
        elif parsed.stream.raw[f.tok_start:f.tok_end] == upstream.stream.raw[u.tok_start:u.tok_end]:
            kinds.add("exact")
        else:
            kinds.add("renamed")
    return "edited" if "edited" in kinds else "renamed" if "renamed" in kinds else "exact"


def rename_map(parsed: ParsedFile, upstream: ParsedFile,
               pairs: list[tuple[int, int]]) -> tuple[tuple[str, str], ...]:
    """Upstream identifier -> suspect identifier, by majority over aligned positions."""
    s, u = parsed.stream, upstream.stream
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for si, ui in pairs:
        if s.renameable[si] and u.renameable[ui]:
            votes[u.raw[ui]][s.raw[si]] += 1
    out = []
    for old, counter in votes.items():
        new, _ = counter.most_common(1)[0]
        if new != old:
            out.append((old, new))
    return tuple(sorted(out))


def _evidence(parsed: ParsedFile, upstream: ParsedFile,
              pairs: list[tuple[int, int]]) -> tuple[Evidence, ...]:
    """Runs of aligned tokens as line spans on both sides."""
    runs: list[list[int]] = []
    prev = None
    for si, ui in sorted(pairs):
        if prev is not None and si == prev[0] + 1 and ui == prev[1] + 1:
            runs[-1][1], runs[-1][3] = si, ui
        else:
            runs.append([si, si, ui, ui])
        prev = (si, ui)
    sl, ul = parsed.stream.lines, upstream.stream.lines
    return tuple(Evidence(sl[a], sl[b], ul[c], ul[d]) for a, b, c, d in runs)


def _line_alignment(parsed: ParsedFile, upstream: ParsedFile,
                    pairs: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Each suspect line with an aligned token, beside the upstream line of its first one."""
    out: dict[int, int] = {}
    for si, ui in sorted(pairs):
        out.setdefault(parsed.stream.lines[si], upstream.stream.lines[ui])
    return tuple(sorted(out.items()))


def summarise(parsed: ParsedFile, matches: list[Match]) -> FileSummary:
    lines_by: dict[str, set[int]] = defaultdict(set)
    for m in matches:
        lines_by[m.upstream].update(range(m.start_line, m.end_line + 1))
    derived = set().union(*lines_by.values()) if lines_by else set()
    return FileSummary(parsed.path, parsed.line_count, len(derived),
                       tuple(sorted((k, len(v)) for k, v in lines_by.items())))


_NO_SPACE_BEFORE = frozenset(") ] } , . : ;".split())
_NO_SPACE_AFTER = frozenset("( [ { . @".split())


def excerpt(parsed: ParsedFile, start: int, end: int,
            limit: int = 60) -> tuple[tuple[int, str], ...]:
    """Lines ``start..end`` rebuilt from raw tokens (comments and layout are not kept)."""
    by_line: dict[int, list[str]] = defaultdict(list)
    s = parsed.stream
    for text, raw, line in zip(s.texts, s.raw, s.lines):
        if start <= line <= end and text not in ("{", "}"):
            by_line[line].append(raw)
    out = []
    for line in sorted(by_line)[:limit]:
        words = by_line[line]
        text = words[0]
        for prev, word in zip(words, words[1:]):
            tight = word in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER or (
                word in ("(", "[") and (prev[-1:].isalnum() or prev[-1:] in "_)]"))
            text += word if tight else " " + word
        out.append((line, text))
    return tuple(out)
