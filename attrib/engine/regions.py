# SPDX-License-Identifier: Apache-2.0
"""Regions: verified unit hits turned into the matches a report shows.

Adjacent units that derive from the same upstream file, in the same order,
merge into one region.  When several indexed files hold a unit's code (twins),
the one credited is, in order: the identical blob, identical text, the upstream
file that explains most of the suspect file, the stronger evidence, the same
path, the earlier date (which so only ever decides among holders of the same
code).  Each region carries its evidence: aligned line spans, the files' own
lines quoted with the matched columns, and a one-to-one rename map.
"""
from __future__ import annotations

import bisect
from collections import defaultdict

from ..model import Evidence, FileSummary, Match, ParsedFile
from .evidence import MIN_SUPPORT, Votes, quote, region_renames, rename_votes, renamed_tokens
from .index.base import IndexedFile
from .units import units
from .verify import Hit


IDENTICAL_QUOTE = 12  # lines quoted of a file byte for byte an upstream's


def exact_copy(parsed: ParsedFile, holders: list[IndexedFile]) -> Match:
    """The whole file, byte for byte an indexed file: exact, 100 %, quoted on both sides.

    Its dates are the blob's on each side, not the paths': the same bytes arrived here then
    and upstream then, whatever the paths held before (who had it first compares those)."""
    ranked = sorted(holders, key=lambda f: (f.path != parsed.path, *_dated(f)))
    first = ranked[0]
    n = max(parsed.line_count, 1)
    lines = parsed.stream.lines
    every = range(bisect.bisect_right(lines, IDENTICAL_QUOTE))  # the tokens of quoted lines
    names = tuple(u.fragment.name for u in units(parsed))
    # the same bytes on both sides: the head of the file, once, says enough
    quoted = quote(parsed, 1, n, every, limit=IDENTICAL_QUOTE)
    evidence = (Evidence(lines[0], lines[-1], lines[0], lines[-1]),) if lines else ()
    return Match(
        path=parsed.path, start_line=1, end_line=n, upstream=first.upstream,
        upstream_path=first.path, upstream_start_line=1, upstream_end_line=n, similarity=1.0,
        clone_type="exact", renames=(), names=names, upstream_names=names, evidence=evidence,
        also_in=tuple(sorted({f.upstream for f in ranked} - {first.upstream})),
        upstream_date=first.date, upstream_commit=first.commit, excerpt=quoted,
        upstream_excerpt=quoted, upstream_header=parsed.header,
        alignment=tuple((q.line, q.line) for q in quoted),
        date=parsed.date, commit=parsed.commit, author=parsed.author,
        upstream_author=first.author)


def _dated(f: IndexedFile) -> tuple:
    return (f.date is None, f.date or 0, f.upstream, f.path)


Part = tuple[Hit, IndexedFile, tuple[str, ...]]


def regions(parsed: ParsedFile, hits: list[Hit], blobs: dict[str, ParsedFile],
             where: dict[str, list[IndexedFile]]) -> list[Match]:
    by_unit: dict[int, list[Hit]] = defaultdict(list)
    for h in hits:
        by_unit[h.unit.index].append(h)
    explained = _explained(hits)
    parts: list[Part] = []
    for found in by_unit.values():
        holders = [(f, h) for h in found for f in where.get(h.blob_id, [])]
        if not holders:
            continue
        holders.sort(key=lambda fh: _twin_rank(parsed, fh[0], fh[1], blobs, explained))
        first, hit = holders[0]
        others = tuple(sorted({f.upstream for f, _ in holders} - {first.upstream}))
        parts.append((hit, first, others))
    parts.sort(key=lambda p: p[0].unit.fragment.tok_start)
    all_units = [u.index for u in units(parsed)]
    groups: list[list[Part]] = []
    for part in parts:
        if groups and _continues(groups[-1][-1], part, all_units):
            groups[-1].append(part)
        else:
            groups.append([part])
    support = _pair_votes(parsed, [p[0] for p in parts], blobs)
    return [_region(parsed, g, blobs, support[g[0][0].blob_id]) for g in groups]


def _explained(hits: list[Hit]) -> dict[str, int]:
    """Per upstream blob, how many of the suspect file's tokens its hits cover."""
    covered: dict[str, set[int]] = defaultdict(set)
    for h in hits:
        covered[h.blob_id].update(si for si, _ in h.pairs)
    return {b: len(c) for b, c in covered.items()}


def _twin_rank(parsed: ParsedFile, f: IndexedFile, h: Hit, blobs: dict[str, ParsedFile],
               explained: dict[str, int]) -> tuple:
    """Sort key of one holder of a unit's code: the credited holder sorts first."""
    return (h.blob_id != parsed.blob_id, not _same_text(parsed, blobs[h.blob_id], h),
            -explained.get(h.blob_id, 0), -h.informative, -h.similarity, -h.covered,
            f.path != parsed.path, *_dated(f), h.blob_id)


def _same_text(parsed: ParsedFile, upstream: ParsedFile, h: Hit) -> bool:
    """Every token of the unit aligned to the very same text upstream."""
    if h.covered < h.unit.fragment.size:
        return False
    s, u = parsed.stream.raw, upstream.stream.raw
    return all(s[si] == u[ui] for si, ui in h.pairs)


def _pair_votes(parsed: ParsedFile, hits: list[Hit],
                blobs: dict[str, ParsedFile]) -> dict[str, Votes]:
    """Per upstream blob, the rename votes of every unit credited to it: the file pair's."""
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for h in hits:
        pairs[h.blob_id] += h.pairs
    return {b: rename_votes(parsed, blobs[b], p, definitions=MIN_SUPPORT)
            for b, p in pairs.items()}


def _continues(prev: Part, nxt: Part, all_units: list[int]) -> bool:
    (ph, pf, _), (nh, nf, _) = prev, nxt
    if (pf.upstream, pf.path) != (nf.upstream, nf.path):
        return False
    gap = all_units.index(nh.unit.index) - all_units.index(ph.unit.index)
    return gap == 1 and ph.u_position >= 0 and nh.u_position == ph.u_position + 1


def _region(parsed: ParsedFile, group: list[Part], blobs: dict[str, ParsedFile],
            support: Votes) -> Match:
    hits = [h for h, _, _ in group]
    first_file = group[0][1]
    upstream = blobs[hits[0].blob_id]
    sizes = [h.unit.fragment.size for h in hits]
    similarity = sum(h.similarity * n for h, n in zip(hits, sizes)) / sum(sizes)
    pairs = [p for h in hits for p in h.pairs]
    renames, counts = region_renames(rename_votes(parsed, upstream, pairs), support)
    ours, theirs = renamed_tokens(parsed, upstream, pairs, renames)
    start, end = hits[0].unit.fragment.start_line, max(h.unit.fragment.end_line for h in hits)
    u_start, u_end = min(h.u_start_line for h in hits), max(h.u_end_line for h in hits)
    return Match(
        path=parsed.path, start_line=start, end_line=end,
        upstream=first_file.upstream, upstream_path=first_file.path,
        upstream_start_line=u_start, upstream_end_line=u_end,
        similarity=round(similarity, 3),
        clone_type=_clone_type(parsed, upstream, hits),
        renames=renames, rename_counts=counts,
        names=tuple(h.unit.fragment.name for h in hits),
        upstream_names=tuple(h.u_fragment.name if h.u_fragment else "<module>" for h in hits),
        evidence=_evidence(parsed, upstream, pairs),
        also_in=tuple(sorted({o for _, _, others in group for o in others})),
        upstream_date=first_file.date,
        upstream_commit=first_file.commit,
        excerpt=quote(parsed, start, end, (si for si, _ in pairs), ours),
        upstream_excerpt=quote(upstream, u_start, u_end, (ui for _, ui in pairs), theirs),
        upstream_header=upstream.header,
        alignment=_line_alignment(parsed, upstream, pairs),
        date=parsed.date, commit=parsed.commit, author=parsed.author,
        first_date=parsed.first_date, upstream_first_date=first_file.first_date,
        upstream_author=first_file.author,
    )


def _clone_type(parsed: ParsedFile, upstream: ParsedFile, hits: list[Hit]) -> str:
    kinds = {_unit_clone_type(parsed, upstream, h) for h in hits}
    return "edited" if "edited" in kinds else "renamed" if "renamed" in kinds else "exact"


def _unit_clone_type(parsed: ParsedFile, upstream: ParsedFile, h: Hit) -> str:
    """exact (same tokens), renamed (same shape, other names) or edited.

    A unit with no upstream unit (a file without functions is one module unit)
    is compared with the upstream tokens it aligns to, when they are one run.
    """
    f, u = h.unit.fragment, h.u_fragment
    if u is not None:
        lo, hi = u.tok_start, u.tok_end
    elif h.pairs:
        lo, hi = min(ui for _, ui in h.pairs), max(ui for _, ui in h.pairs) + 1
    else:
        return "edited"
    if h.covered < f.size or f.size != hi - lo:
        return "edited"
    s, us = parsed.stream, upstream.stream
    if s.raw[f.tok_start:f.tok_end] == us.raw[lo:hi]:
        return "exact"
    return "renamed" if s.texts[f.tok_start:f.tok_end] == us.texts[lo:hi] else "edited"


def rename_map(parsed: ParsedFile, upstream: ParsedFile,
               pairs: list[tuple[int, int]]) -> tuple[tuple[str, str, int], ...]:
    """Upstream identifier -> suspect identifier with its support, one-to-one, over ``pairs``."""
    from .evidence import one_to_one

    return tuple(sorted((old, new, n) for old, (new, n)
                        in one_to_one(rename_votes(parsed, upstream, pairs)).items()))


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
    """Each suspect line with an aligned token, beside the upstream line of its first one.

    Tokens with no width (block markers the normaliser adds) pair a line only
    when nothing the file says does: they sit where a block starts, which
    upstream may be a docstring's line.
    """
    out: dict[int, int] = {}
    weak: dict[int, int] = {}
    s, u = parsed.stream, upstream.stream
    # _no_width, inlined: this loop runs once per aligned token
    s_cols = len(s.cols) == len(s.texts)
    u_cols = len(u.cols) == len(u.texts)
    sc, sec, sl, sel = s.cols, s.end_cols, s.lines, s.end_lines
    uc, uec, ul, uel = u.cols, u.end_cols, u.lines, u.end_lines
    for si, ui in sorted(pairs):
        flat = (s_cols and sc[si] == sec[si] and sl[si] == sel[si]) \
            or (u_cols and uc[ui] == uec[ui] and ul[ui] == uel[ui])
        (weak if flat else out).setdefault(sl[si], ul[ui])
    for line, partner in weak.items():
        out.setdefault(line, partner)
    return tuple(sorted(out.items()))


def _no_width(stream, i: int) -> bool:
    return len(stream.cols) == len(stream.texts) and stream.cols[i] == stream.end_cols[i] \
        and stream.lines[i] == stream.end_lines[i]


def summarise(parsed: ParsedFile, matches: list[Match]) -> FileSummary:
    """Lines of the file and how many derive from each upstream.  A notebook counts the lines
    that hold code (its JSON, prose and outputs, often most of it, are not code)."""
    lines_by: dict[str, set[int]] = defaultdict(set)
    for m in matches:
        lines_by[m.upstream].update(range(m.start_line, m.end_line + 1))
    total = parsed.line_count
    if parsed.path.lower().endswith(".ipynb"):
        code = {n for n, t in enumerate(parsed.text_lines, 1) if t.strip()}
        total = len(code)
        lines_by = defaultdict(set, {k: v & code for k, v in lines_by.items()})
    derived = set().union(*lines_by.values()) if lines_by else set()
    return FileSummary(parsed.path, total, len(derived),
                       tuple(sorted((k, len(v)) for k, v in lines_by.items())))

