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
from dataclasses import dataclass

import numpy as np

from .background import common_shingles, is_common
from .fingerprint import Params, band_keys, minhashes, shingle_hashes, token_ids
from .index.base import IndexedFile, Store
from .model import Evidence, FileSummary, Fragment, Match, ParsedFile, Tile, TokenStream
from .tiling import greedy_tiles


@dataclass(frozen=True)
class MatchOptions:
    """Thresholds of verification; defaults are tuned on ``benchmarks/accuracy.py``."""

    min_tile: int = 8  # tokens in the shortest tile
    min_tokens: int = 30  # covered tokens a unit needs to match on its own
    context_min_tokens: int = 10  # ... once its file pair is confirmed
    min_coverage: float = 0.5  # share of a unit's tokens covered by tiles
    min_bands: int = 2  # LSH bands a candidate must share
    max_candidates: int = 24  # upstream blobs tiled per suspect file
    min_shared_rare: int = 3  # uncommon shingles a file pair must share to be tiled
    max_tiled: int = 12  # candidate blobs tiled per suspect file


@dataclass(frozen=True)
class _Unit:
    index: int  # position in the file's fragments
    fragment: Fragment


@dataclass(frozen=True)
class _Hit:
    """One suspect unit aligned to one upstream blob."""

    unit: _Unit
    blob_id: str
    covered: int
    informative: int  # covered tokens that some uncommon shingle vouches for
    similarity: float
    u_fragment: Fragment | None
    u_position: int  # order of u_fragment among the upstream's units (-1: none)
    u_start_line: int
    u_end_line: int
    pairs: tuple[tuple[int, int], ...]  # (suspect token, upstream token) aligned in this unit


def units(parsed: ParsedFile) -> list[_Unit]:
    """Top-level functions and methods; classes without methods; else the whole file.

    A class's header (its name, bases and class attributes) belongs to the unit
    of its first method, so the class's rename is part of the evidence.
    """
    frags = parsed.fragments
    parent = _parents(frags)
    in_function = [False] * len(frags)  # has a function among its ancestors
    has_method = [False] * len(frags)  # a class with a function inside
    for i, f in enumerate(frags):
        p = parent[i]
        if p >= 0:
            in_function[i] = in_function[p] or frags[p].kind == "function"
        if f.kind == "function":
            a = p
            while a >= 0:
                if frags[a].kind == "class":
                    has_method[a] = True
                a = parent[a]
    out: list[_Unit] = []
    headed: set[int] = set()
    for i, f in enumerate(frags):
        if f.kind == "function" and not in_function[i]:
            owner = parent[i]
            if owner >= 0 and frags[owner].kind == "class" and owner not in headed:
                headed.add(owner)
                c = frags[owner]
                f = Fragment(f.kind, f.name, c.start_line, f.end_line, c.tok_start, f.tok_end)
            out.append(_Unit(i, f))
        elif f.kind == "class" and not has_method[i] and not in_function[i]:
            out.append(_Unit(i, f))
    if not out:
        out = _windows(frags)
    return out


def _windows(frags: tuple[Fragment, ...]) -> list[_Unit]:
    """Units of a file without functions: its windows that do not overlap, else the file."""
    out: list[_Unit] = []
    end = -1
    for i, f in enumerate(frags):
        if f.kind == "window" and f.tok_start >= end:
            out.append(_Unit(i, f))
            end = f.tok_end
    if out and out[-1].fragment.tok_end < frags[0].tok_end:  # the tail after the last window
        last = out.pop()
        f = last.fragment
        out.append(_Unit(last.index, Fragment(f.kind, f.name, f.start_line, frags[0].end_line,
                                              f.tok_start, frags[0].tok_end)))
    return out or ([_Unit(0, frags[0])] if frags else [])


def _parents(frags: tuple[Fragment, ...]) -> list[int]:
    """Index of each fragment's innermost enclosing fragment (-1 for none), by a stack.

    Fragments come sorted by (tok_start, -tok_end), so an enclosing one comes first.
    """
    parent = [-1] * len(frags)
    stack: list[int] = []
    for i, f in enumerate(frags):
        while stack and not _inside(f, frags[stack[-1]]):
            stack.pop()
        parent[i] = stack[-1] if stack else -1
        stack.append(i)
    return parent


def _inside(inner: Fragment, outer: Fragment) -> bool:
    return (outer.tok_start <= inner.tok_start and inner.tok_end <= outer.tok_end
            and (outer.tok_start, outer.tok_end) != (inner.tok_start, inner.tok_end))


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
    for fi, parsed in enumerate(files):
        file_matches: list[Match] = []
        if fi in cands:
            for b in cands[fi]:
                if b not in blobs:
                    blobs[b] = store.load_blob(b)
            hits = _hits(parsed, [blobs[b] for b in cands[fi]], store.params, options)
            file_matches = _regions(parsed, hits, blobs, where)
        matches += file_matches
        summaries.append(summarise(parsed, file_matches))
    t2 = time.perf_counter()
    stats = {"candidate_seconds": t1 - t0, "verify_seconds": t2 - t1,
             "upstream_blobs_loaded": float(len(blobs))}
    return matches, summaries, stats


def _hits(parsed: ParsedFile, uploads: list[ParsedFile], params: Params,
          options: MatchOptions) -> list[_Hit]:
    """The best alignment of each suspect unit, with the other blobs that hold it as well."""
    s_ids = token_ids(parsed.stream.texts)
    hashes = shingle_hashes(parsed.stream, params.k)
    rare = ~is_common(hashes, common_shingles(params.normaliser, params.k))
    rare_hashes = np.unique(hashes[rare])
    file_units = units(parsed)
    per_unit: dict[int, list[_Hit]] = defaultdict(list)
    for upstream in _closest(uploads, rare_hashes, params.k, options):
        for h in _pair_hits(parsed, upstream, s_ids, rare, rare_hashes, file_units, params,
                            options):
            per_unit[h.unit.index].append(h)
    chosen: list[_Hit] = []
    for hits in per_unit.values():
        hits.sort(key=lambda h: (-h.similarity, -h.covered, h.blob_id))
        chosen.append(hits[0])
        chosen += [h for h in hits[1:] if h.similarity >= hits[0].similarity - 0.02]
    return chosen


def _pair_hits(parsed: ParsedFile, upstream: ParsedFile, s_ids: np.ndarray, rare: np.ndarray,
               rare_hashes: np.ndarray, file_units: list[_Unit], params: Params,
               options: MatchOptions) -> list[_Hit]:
    """Units of one suspect file that derive from one upstream file.

    First pass: tiles over the abstracted tokens.  If some unit matches on its
    own, the file pair is confirmed; the second pass then learns the pair's
    rename map and tiles again with each renamed identifier standing for its
    upstream name, so structurally identical twins (``setnframes`` beside
    ``setframerate``) are told apart by which names they use, and a consistent
    rename counts as evidence of its own.
    """
    u_units = units(upstream)
    u_ids = token_ids(upstream.stream.texts)
    tiles = greedy_tiles(s_ids, u_ids, options.min_tile)
    if not tiles:
        return []
    pair = _Pair(s_ids, u_ids, tiles, _vouched(tiles, rare, params.k, len(s_ids)), u_units,
                 options.min_tile, options.context_min_tokens)
    hits = [h for h in (_score(parsed, u, upstream, pair) for u in file_units) if h]
    if not any(_alone(h, options) for h in hits):
        return []
    names = _name_votes(parsed, upstream, [h for h in hits if _covered_enough(h, options)])
    s_named, u_named = _named_ids(parsed, upstream, names)
    tiles = greedy_tiles(s_named, u_named, options.min_tile)
    named = _Pair(s_named, u_named, tiles, _vouched(tiles, rare, params.k, len(s_ids)), u_units,
                  options.min_tile, options.context_min_tokens)
    first = {h.unit.index: h for h in hits}
    out = []
    for unit in file_units:
        # the named pass decides; where a misvoted name broke its tiles, the first
        # pass still counts if uncommon shingles alone vouch for it
        h = _score(parsed, unit, upstream, named, names)
        if h is None or not _context(h, options):
            h = first.get(unit.index)
            if h is None or not _context(h, options):
                continue
        out.append(h)
    return out


def _context(h: _Hit, options: MatchOptions) -> bool:
    """Strong enough beside a proven copy in the same file pair."""
    return h.informative >= options.context_min_tokens and _covered_enough(h, options)


def _closest(uploads: list[ParsedFile], rare_hashes: np.ndarray, k: int,
             options: MatchOptions) -> list[ParsedFile]:
    """The candidate blobs worth tiling: those sharing the most uncommon shingles.

    A blob sharing fewer than ``min_shared_rare`` cannot hold a unit that matches
    alone; of the rest, those sharing less than half of what the best shares are
    dropped too (when code was copied into many upstreams, the closest copies
    are enough to name them all).
    """
    shared = [(len(np.intersect1d(rare_hashes, _shingles(u, k), assume_unique=True)), u)
              for u in uploads]
    best = max((n for n, _ in shared), default=0)
    keep = [(n, u) for n, u in shared if n >= max(options.min_shared_rare, best // 2)]
    keep.sort(key=lambda nu: (-nu[0], nu[1].blob_id))
    return [u for _, u in keep[:options.max_tiled]]


_shingle_cache: dict[str, np.ndarray] = {}


def _shingles(parsed: ParsedFile, k: int) -> np.ndarray:
    """Distinct shingle hashes of an upstream blob, kept while one scan runs."""
    found = _shingle_cache.get(parsed.blob_id)
    if found is None:
        if len(_shingle_cache) > 4096:
            _shingle_cache.clear()
        found = _shingle_cache[parsed.blob_id] = np.unique(shingle_hashes(parsed.stream, k))
    return found


def _covered_enough(h: _Hit, options: MatchOptions) -> bool:
    return h.covered >= options.min_coverage * h.unit.fragment.size


def _alone(h: _Hit, options: MatchOptions) -> bool:
    """Strong enough to match with no help from its neighbours."""
    return h.informative >= options.min_tokens and _covered_enough(h, options)


def _name_votes(parsed: ParsedFile, upstream: ParsedFile, hits: list[_Hit]) -> dict[str, str]:
    """The pair's rename map (upstream name -> suspect name), identity included.

    Names are keyed as attributes (``.name``, after a dot) or plain names, which
    copiers rename apart.  A name whose votes split (the same parameter name
    renamed differently in two functions) stays out of the map: it then
    matches any unmapped name, as in the first pass.  The map is a bijection;
    the best-supported claim on a suspect name wins.
    """
    s, u = parsed.stream, upstream.stream
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for h in hits:
        for si, ui in h.pairs:
            if s.renameable[si] and u.renameable[ui]:
                votes[_key(u, ui)][_key(s, si)] += 1
    taken: dict[str, str] = {}
    out: dict[str, str] = {}
    for old, counter in sorted(votes.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        new, n = counter.most_common(1)[0]
        if n >= 0.75 * sum(counter.values()) and new not in taken:
            taken[new] = old
            out[old] = new
    return out


def _key(stream: TokenStream, i: int) -> str:
    return "." + stream.raw[i] if i and stream.texts[i - 1] == "." else stream.raw[i]


def _named_ids(parsed: ParsedFile, upstream: ParsedFile,
               names: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids where each mapped identifier carries its upstream name on both sides."""
    back = {new: old for old, new in names.items()}
    s, u = parsed.stream, upstream.stream
    s_texts = [f"${back[k]}" if s.renameable[i] and (k := _key(s, i)) in back else s.texts[i]
               for i in range(len(s.texts))]
    u_texts = [f"${k}" if u.renameable[i] and (k := _key(u, i)) in names else u.texts[i]
               for i in range(len(u.texts))]
    return token_ids(tuple(s_texts)), token_ids(tuple(u_texts))


def _vouched(tiles: list[Tile], rare: np.ndarray, k: int, n: int) -> np.ndarray:
    """Tokens covered by a tile through at least one uncommon shingle wholly inside it."""
    delta = np.zeros(n + 1, dtype=np.int32)
    for t in tiles:
        starts = np.flatnonzero(rare[t.s_start:t.s_start + t.length - k + 1]) + t.s_start
        np.add.at(delta, starts, 1)
        np.add.at(delta, starts + k, -1)
    return np.cumsum(delta[:n]) > 0


def _score(parsed: ParsedFile, unit: _Unit, upstream: ParsedFile, pair: "_Pair",
           names: dict[str, str] | None = None) -> _Hit | None:
    """How much of ``unit`` the tiles cover, and where in the upstream it lands.

    With the pair's rename map ``names``, an aligned identifier renamed the way
    the rest of the file renames it counts as informative too.
    """
    f = unit.fragment
    pairs = [(tile.s_start + k, tile.u_start + k)
             for tile in pair.tiles
             if tile.s_start < f.tok_end and tile.s_start + tile.length > f.tok_start
             for k in range(tile.length)
             if f.tok_start <= tile.s_start + k < f.tok_end]
    if len(pairs) < pair.floor:
        return None  # cannot match, whatever its home
    u_pos, u_frag, pairs = _home(unit, pair, pairs)
    if u_frag is not None:
        inside = [(s, u) for s, u in pairs if u_frag.tok_start <= u < u_frag.tok_end]
        size_u = u_frag.size
        lo, hi = u_frag.start_line, u_frag.end_line
    else:
        inside = pairs
        lines = [upstream.stream.lines[u] for _, u in pairs]
        size_u = len(pairs)
        lo, hi = min(lines), max(lines)
    similarity = 2 * len(inside) / (f.size + size_u)
    vouched = pair.vouched
    informative = int(sum(vouched[si] for si, _ in inside))
    if names:
        s_stream, u_stream = parsed.stream, upstream.stream
        informative += sum(1 for si, ui in inside if not vouched[si] and s_stream.renameable[si]
                           and names.get(_key(u_stream, ui)) == _key(s_stream, si))
    return _Hit(unit, upstream.blob_id, len(inside), informative, round(similarity, 4), u_frag,
                u_pos, lo, hi, tuple(inside))


@dataclass
class _Pair:
    """One (suspect file, upstream file) alignment: token ids, tiles, vouched tokens, units."""

    s_ids: np.ndarray
    u_ids: np.ndarray
    tiles: list[Tile]
    vouched: np.ndarray
    u_units: list[_Unit]
    min_tile: int
    floor: int  # fewer aligned tokens than this cannot make a match

    def __post_init__(self) -> None:
        frags = [u.fragment for u in self.u_units]
        self.starts = np.array([f.tok_start for f in frags], dtype=np.int64)
        self.ends = np.array([f.tok_end for f in frags], dtype=np.int64)
        self.is_module = np.array([f.kind == "module" for f in frags], dtype=bool)


def _home(unit: _Unit, pair: _Pair,
          pairs: list[tuple[int, int]]) -> tuple[int, Fragment | None, list[tuple[int, int]]]:
    """The upstream unit ``unit`` derives from, its position, and the aligned tokens.

    Whole-file tiling puts a run wherever it first fits, so a unit with twins
    upstream (``_lin2ulaw`` beside ``_alaw2lin``) may be split across them; when
    its tokens land in several upstream units, the unit is tiled alone against
    each and the best cover wins.
    """
    ui = np.fromiter((u for _, u in pairs), dtype=np.int64, count=len(pairs))
    pos_of = np.searchsorted(pair.starts, ui, side="right") - 1
    ok = pos_of >= 0
    ok[ok] &= ui[ok] < pair.ends[pos_of[ok]]
    ok[ok] &= ~pair.is_module[pos_of[ok]]
    counts = np.bincount(pos_of[ok], minlength=len(pair.u_units)) if ok.any() else None
    votes: Counter[int] = Counter() if counts is None else Counter(
        {int(p): int(counts[p]) for p in np.flatnonzero(counts)})
    if not votes:
        return -1, None, pairs
    ranked = votes.most_common(3)
    if len(ranked) > 1 and ranked[1][1] >= pair.min_tile:
        tried = [(_local_pairs(unit, pair, pos), n, pos) for pos, n in ranked]
        local, _, pos = max(tried, key=lambda t: (len(t[0]), t[1], -t[2]))
        if len(local) >= votes[pos]:
            return pos, pair.u_units[pos].fragment, local
    pos, n = votes.most_common(1)[0]
    if n * 2 < len(pairs):
        return -1, None, pairs
    return pos, pair.u_units[pos].fragment, pairs


def _local_pairs(unit: _Unit, pair: _Pair, pos: int) -> list[tuple[int, int]]:
    f, g = unit.fragment, pair.u_units[pos].fragment
    tiles = greedy_tiles(pair.s_ids[f.tok_start:f.tok_end], pair.u_ids[g.tok_start:g.tok_end],
                         pair.min_tile)
    return [(f.tok_start + t.s_start + k, g.tok_start + t.u_start + k)
            for t in tiles for k in range(t.length)]


def _regions(parsed: ParsedFile, hits: list[_Hit], blobs: dict[str, ParsedFile],
             where: dict[str, list[IndexedFile]]) -> list[Match]:
    by_unit: dict[int, list[_Hit]] = defaultdict(list)
    for h in hits:
        by_unit[h.unit.index].append(h)
    parts: list[tuple[_Hit, IndexedFile, tuple[str, ...]]] = []
    for unit_hits in by_unit.values():
        holders = [(f, h) for h in unit_hits for f in where.get(h.blob_id, [])]
        if not holders:
            continue
        holders.sort(key=lambda fh: (fh[0].date is None, fh[0].date or 0, fh[0].upstream,
                                     fh[0].path))
        first, hit = holders[0]
        others = tuple(sorted({f.upstream for f, _ in holders} - {first.upstream}))
        parts.append((hit, first, others))
    parts.sort(key=lambda p: p[0].unit.fragment.tok_start)
    all_units = [u.index for u in units(parsed)]
    groups: list[list[tuple[_Hit, IndexedFile, tuple[str, ...]]]] = []
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
        upstream_author=first_file.author,
    )


def _clone_type(parsed: ParsedFile, upstream: ParsedFile, hits: list[_Hit]) -> str:
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
