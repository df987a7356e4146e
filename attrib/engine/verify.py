# SPDX-License-Identifier: Apache-2.0
"""Verification: how much of each suspect unit a candidate upstream file covers.

Whole-file greedy string tiling of each (suspect file, candidate blob) pair
(a second round lets a repeated copy reuse the upstream); tokens vouched for
by uncommon shingles count towards a unit's evidence.  A pair is confirmed by
one unit strong enough alone, by three small units on distinct upstream
units, or by folder context (an upstream file the folder's other files copy,
tiled over most of the file).  A confirmed pair is tiled again with its rename
map (a renamed identifier must keep its upstream name); a unit split across
upstream twins is re-tiled alone against each, a method landing in another
upstream class than its siblings is moved to theirs, and units still left are
re-tiled alone with a smaller minimum tile against the upstream units they
touch that are no other unit's home.  See :mod:`attrib.engine.match` for the flow.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from .background import common_for, is_common
from .cores import default_workers
from .arrays import distinct, shared_count, shingle_hashes, token_ids
from .fingerprint import Params
from ..errors import IndexError_
from ..model import Fragment, ParsedFile, Tile, TokenStream
from .index.base import Store
from .tiling import greedy_tiles
from .arrays import shingles_of_ids
from .units import Unit, units


@dataclass(frozen=True)
class MatchOptions:
    """Thresholds of verification; defaults are tuned on ``benchmarks/accuracy.py``."""

    min_tile: int = 8  # tokens in the shortest tile
    tile_rounds: int = 2  # 2: a suspect's second copy of upstream code is tiled too
    local_min_tile: int = 6  # a unit left over in a confirmed pair, tiled alone against its home
    min_tokens: int = 26  # covered tokens a unit needs to match on its own
    context_min_tokens: int = 8  # ... once its file pair is confirmed
    min_coverage: float = 0.5  # share of a unit's tokens covered by tiles
    min_bands: int = 2  # LSH bands a candidate must share
    max_candidates: int = 24  # upstream blobs tiled per suspect file
    min_shared_rare: int = 3  # uncommon shingles a file pair must share to be tiled
    max_tiled: int = 12  # candidate blobs tiled per suspect file
    aggregate_units: int = 3  # units at context strength, each on its own upstream unit,
    # that confirm a file pair together (a file of small copied functions)
    folder_share: float = 0.6  # share of a file's tokens tiled onto an upstream file its
    # siblings proved that confirms the pair (folder context)


@dataclass(frozen=True)
class Hit:
    """One suspect unit aligned to one upstream blob."""

    unit: Unit
    blob_id: str
    covered: int
    informative: int  # covered tokens that some uncommon shingle vouches for
    similarity: float
    u_fragment: Fragment | None
    u_position: int  # order of u_fragment among the upstream's units (-1: none)
    u_start_line: int
    u_end_line: int
    pairs: tuple[tuple[int, int], ...]  # (suspect token, upstream token) aligned in this unit


TWIN_MARGIN = 0.1  # similarity below the best at which another holder still counts as a twin


class _Decoded(dict):
    """Blob id -> ParsedFile, each decoded from its stored bytes when first asked for."""

    def __init__(self, data: dict[str, bytes]) -> None:
        super().__init__()
        self.data = data

    def __missing__(self, blob_id: str) -> ParsedFile:
        from .index.base import decode_blob

        found = self[blob_id] = decode_blob(blob_id, self.data[blob_id])
        return found


class Upstreams:
    """The candidate upstream blobs of one scan, each read once and decoded as far as a step
    needs: its token ids to rank it among a file's candidates, the whole blob only to tile it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._data: dict[str, bytes] = {}
        self.loaded = _Decoded(self._data)  # regions read the blobs hits name from here
        self._ids: dict[str, np.ndarray] = {}
        self._shingles: dict[tuple[str, int], np.ndarray] = {}
        self.tiled: set[str] = set()  # blobs tiled against some suspect file

    def parsed(self, blob_id: str) -> ParsedFile:
        self.fetch([blob_id])
        return self.loaded[blob_id]

    def ids(self, blob_id: str) -> np.ndarray:
        self.fetch([blob_id])
        return self._ids[blob_id]

    def fetch(self, blob_ids: list[str]) -> None:
        """Read the blobs of ``blob_ids`` not read yet, in one request, and their token ids."""
        from .index.base import decode_token_ids

        want = [b for b in blob_ids if b not in self._ids]
        if want:
            got = self.store.load_blob_data(want)
            missing = [b for b in want if b not in got]
            if missing:
                raise IndexError_(f"{self.store.location}: blob {missing[0][:12]} is missing "
                                  "from the index")
            self._data.update(got)
            self._ids.update((b, decode_token_ids(b, d)) for b, d in got.items())

    @property
    def ranked(self) -> int:
        """Blobs whose token ids were read."""
        return len(self._ids)

    def shingles(self, blob_id: str, k: int) -> np.ndarray:
        """The blob's distinct shingle hashes."""
        found = self._shingles.get((blob_id, k))
        if found is None:
            found = self._shingles[blob_id, k] = distinct(shingles_of_ids(self.ids(blob_id), k))
        return found


@dataclass
class _Plan:
    """One suspect file's verification: what every (file, candidate blob) pair shares."""

    parsed: ParsedFile
    s_ids: np.ndarray
    rare: np.ndarray
    rare_hashes: np.ndarray
    file_units: list[Unit]
    tiled: list[str]  # the candidate blobs worth tiling, in order
    vouched: frozenset[str]
    prior: list[Hit]


def unit_hits(parsed: ParsedFile, blob_ids: list[str], pool: Upstreams, params: Params,
              options: MatchOptions, vouched: frozenset[str] = frozenset(),
              prior: list[Hit] | None = None) -> list[Hit]:
    """The best alignment of each suspect unit, with the other blobs that hold it as well.

    ``vouched`` are blobs that sibling files of the same folder were proven to
    copy (:func:`folder_context`): they are tiled whatever the index said, and a
    pair whose tiles cover ``folder_share`` of the file is confirmed.  ``prior``
    are the hits of an earlier call for the same file, chosen among again.
    """
    return unit_hits_many([(parsed, blob_ids, vouched, prior)], pool, params, options)[0]


Request = tuple[ParsedFile, list[str], frozenset[str], "list[Hit] | None"]


def unit_hits_many(requests: list[Request], pool: Upstreams, params: Params,
                   options: MatchOptions, workers: int = 0) -> list[list[Hit]]:
    """:func:`unit_hits` of several suspect files (``(parsed, blob_ids, vouched, prior)``).

    Every (file, blob) pair is tiled on its own, so when there is enough to tile
    the pairs are spread over ``workers`` forked processes (0: ``ATTRIB_WORKERS``,
    else one per usable core).  The blobs are read here first: a worker never
    touches the store.  The answer is the same either way.
    """
    plans = [_plan(parsed, blob_ids, pool, params, options, vouched, prior)
             for parsed, blob_ids, vouched, prior in requests]
    tasks = [(pi, b) for pi, plan in enumerate(plans) for b in plan.tiled]
    pool.tiled.update(b for _, b in tasks)
    for b in sorted(pool.tiled):  # decoded once, here: forked workers inherit them, and the
        pool.parsed(b)  # regions of their hits read them again
    results = _run_pairs(plans, tasks, pool, params, options, workers)
    per_plan: list[list[list[Hit]]] = [[] for _ in plans]
    for (pi, _), hits in zip(tasks, results):
        per_plan[pi].append(hits)
    return [_choose(plan, found) for plan, found in zip(plans, per_plan)]


def _plan(parsed: ParsedFile, blob_ids: list[str], pool: Upstreams, params: Params,
          options: MatchOptions, vouched: frozenset[str], prior: list[Hit] | None) -> _Plan:
    s_ids = token_ids(parsed.stream.texts)
    hashes = shingle_hashes(parsed.stream, params.k)
    rare = ~is_common(hashes, common_for(parsed.language, params.normaliser, params.k))
    rare_hashes = distinct(hashes[rare])
    file_units = units(parsed)
    pool.fetch(blob_ids)
    tiled = _closest([b for b in blob_ids if b not in vouched], pool, rare_hashes, params.k,
                     options, _unit_rare(file_units, hashes, rare, rare_hashes, params.k))
    tiled += _share_shingles([b for b in blob_ids if b in vouched], pool, hashes, params.k,
                             options.folder_share / 2)
    return _Plan(parsed, s_ids, rare, rare_hashes, file_units, tiled, vouched, list(prior or ()))


def _choose(plan: _Plan, found: list[list[Hit]]) -> list[Hit]:
    per_unit: dict[int, list[Hit]] = defaultdict(list)
    for h in plan.prior:
        per_unit[h.unit.index].append(h)
    for hits_of_pair in found:
        for h in hits_of_pair:
            per_unit[h.unit.index].append(h)
    chosen: list[Hit] = []
    for hits in per_unit.values():
        hits.sort(key=lambda h: (-h.similarity, -h.covered, h.blob_id))
        chosen.append(hits[0])
        # other holders close enough to be the same code stay, for match.py to choose among
        # by what explains the whole file (a function tiles a little worse against the
        # fuller twin whose other parts claim some of its tokens)
        chosen += [h for h in hits[1:] if h.similarity >= hits[0].similarity - TWIN_MARGIN]
    return chosen


# Below this many tokens on both sides of all pairs together, tiling stays in this process:
# forking workers and sending their hits back costs ~30-60 ms, what ~50k tokens take to tile.
PARALLEL_TOKENS = 60_000
_state: tuple | None = None  # what a forked worker reads: (plans, tasks, pool, params, options)


def _run_pairs(plans: list[_Plan], tasks: list[tuple[int, str]], pool: Upstreams,
               params: Params, options: MatchOptions, workers: int) -> list[list[Hit]]:
    global _state
    size = sum(len(plans[pi].s_ids) + len(pool.ids(b)) for pi, b in tasks)
    workers = min(workers or default_workers(), len(tasks))
    if workers < 2 or size < PARALLEL_TOKENS or not _can_fork():
        return [_pair_task((plans, tasks, pool, params, options), t) for t in range(len(tasks))]
    import gc
    import multiprocessing

    _state = (plans, tasks, pool, params, options)
    # runs of neighbouring pairs (the same suspect file against twin upstreams) go to one
    # worker, whose tiling memo then answers the units they share; a few runs per worker
    # keep the loads even
    chunk = -(-len(tasks) // (4 * workers))
    out: list[list[Hit]] = [[] for _ in tasks]
    gc.freeze()  # a collection in a worker would touch, and so copy, every inherited object
    try:
        with multiprocessing.get_context("fork").Pool(workers) as procs:
            for t, hits in procs.imap_unordered(_forked_task, range(len(tasks)), chunk):
                out[t] = hits
    finally:
        gc.unfreeze()
        _state = None
    return out


def _forked_task(t: int) -> tuple[int, list[Hit]]:
    assert _state is not None  # set by the parent before it forked this worker
    return t, _pair_task(_state, t)


def _pair_task(state: tuple, t: int) -> list[Hit]:
    plans, tasks, pool, params, options = state
    pi, blob_id = tasks[t]
    plan = plans[pi]
    return _pair_hits(plan.parsed, pool.parsed(blob_id), pool.ids(blob_id), plan.s_ids,
                      plan.rare, plan.rare_hashes, plan.file_units, params, options,
                      blob_id in plan.vouched)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _pair_hits(parsed: ParsedFile, upstream: ParsedFile, u_ids: np.ndarray, s_ids: np.ndarray,
               rare: np.ndarray, rare_hashes: np.ndarray, file_units: list[Unit],
               params: Params, options: MatchOptions, vouched: bool = False) -> list[Hit]:
    """Units of one suspect file that derive from one upstream file.

    First pass: tiles over the abstracted tokens.  If some unit matches on its
    own, the file pair is confirmed; the second pass then learns the pair's
    rename map and tiles again with each renamed identifier standing for its
    upstream name, so structurally identical twins (``setnframes`` beside
    ``setframerate``) are told apart by which names they use, and a consistent
    rename counts as evidence of its own.
    """
    u_units = units(upstream)
    tiles = greedy_tiles(s_ids, u_ids, options.min_tile, rounds=options.tile_rounds)
    if not tiles:
        return []
    pair = _Pair(s_ids, u_ids, tiles, _vouched(tiles, rare, params.k, len(s_ids)), u_units,
                 options.min_tile, options.context_min_tokens)
    # only a unit with enough vouched tokens in its span can confirm the pair (a unit's
    # informative tokens are vouched ones, wherever its home): score those first, and the
    # others only once the pair is confirmed (most candidate pairs are not)
    room = np.concatenate(([0], np.cumsum(pair.vouched, dtype=np.int64)))
    can = {u.index for u in file_units
           if room[u.fragment.tok_end] - room[u.fragment.tok_start] >= options.context_min_tokens}
    scored = {u.index: _score(parsed, u, upstream, pair) for u in file_units if u.index in can}
    if not _confirmed([h for h in scored.values() if h], tiles, len(s_ids), options, vouched):
        return []
    scored.update((u.index, _score(parsed, u, upstream, pair)) for u in file_units
                  if u.index not in can)
    hits = [h for u in file_units if (h := scored[u.index])]
    names = _name_votes(parsed, upstream, [h for h in hits if _covered_enough(h, options)])
    s_named, u_named = _named_ids(parsed, upstream, names)
    tiles = greedy_tiles(s_named, u_named, options.min_tile, rounds=options.tile_rounds)
    named = _Pair(s_named, u_named, tiles, _vouched(tiles, rare, params.k, len(s_ids)), u_units,
                  options.min_tile, options.context_min_tokens)
    first = {h.unit.index: h for h in hits}
    out = []
    for unit in file_units:
        # the named pass decides; where a misvoted name broke its tiles, the first
        # pass still counts if uncommon shingles alone vouch for it
        h = _score(parsed, unit, upstream, named, names)
        if h is None or not _beside(h, options):
            h = first.get(unit.index)
            if h is None or not _beside(h, options):
                continue
        out.append(h)
    out = _outranked(out, options)
    out = _follow_classes(parsed, upstream, out, named, names)
    out = _twin_homes(parsed, upstream, out, pair, named, names, options)
    if options.local_min_tile < options.min_tile:
        out += _retiled(parsed, upstream, [u for u in file_units if u.index not in
                                           {h.unit.index for h in out}],
                        out, named, names, rare, params.k, options)
    out += _headers(parsed, upstream, [u for u in file_units if u.index not in
                                       {h.unit.index for h in out}],
                    out, named, names, rare, params.k, options)
    return out


def _headers(parsed: ParsedFile, upstream: ParsedFile, left: list[Unit], hits: list[Hit],
             pair: "_Pair", names: dict[str, str], rare: np.ndarray, k: int,
             options: MatchOptions) -> list[Hit]:
    """Class headers left unmatched follow their methods: each is tiled alone against the
    header of the upstream class most of its methods copy, and matches if mostly covered.

    A header of its own (:mod:`.units`) is short and its attributes are often a
    framework's (``model_type``, ``keys_to_ignore_at_inference``), so it seldom
    has the uncommon tokens to match beside a proven copy; that its methods
    copy that very class is the evidence, as it was when it rode with them.
    """
    homes: dict[str, Counter[str]] = defaultdict(Counter)
    for h in hits:
        if h.u_fragment is not None and _class_of(h.unit.fragment.name):
            homes[_class_of(h.unit.fragment.name)][_class_of(h.u_fragment.name)] += 1
    where = {u.fragment.name: p for p, u in enumerate(pair.u_units) if u.fragment.kind == "class"}
    taken = {h.u_position for h in hits}
    out: list[Hit] = []
    for unit in left:
        if unit.fragment.kind != "class" or not homes.get(unit.fragment.name):
            continue
        pos = where.get(homes[unit.fragment.name].most_common(1)[0][0])
        if pos is None or pos in taken:
            continue
        h = _local_hit(parsed, upstream, unit, pair, names, pos, rare, k, options.local_min_tile)
        if h is not None and h.covered >= options.min_coverage * unit.fragment.size:
            taken.add(pos)
            out.append(h)
    return out


def _outranked(hits: list[Hit], options: MatchOptions) -> list[Hit]:
    """Hits kept only beside a proven copy are dropped where another suspect unit holds the
    same upstream unit far better: short layer-building constructors of a copier's own
    module matched the upstream ``__init__`` a real copy already held at 1.00 (deeplab).
    A second real copy of one upstream unit is as strong as the first and stays."""
    best: dict[int, float] = {}
    for h in hits:
        if h.u_position >= 0:
            best[h.u_position] = max(best.get(h.u_position, 0.0), h.similarity)
    return [h for h in hits if h.u_position < 0 or _alone(h, options)
            or h.similarity >= best[h.u_position] - TWIN_MARGIN]


def _retiled(parsed: ParsedFile, upstream: ParsedFile, left: list[Unit], hits: list[Hit],
             pair: "_Pair", names: dict[str, str], rare: np.ndarray, k: int,
             options: MatchOptions) -> list[Hit]:
    """Units of a confirmed pair left unmatched, tiled alone with a smaller minimum tile.

    A unit's candidate homes are the upstream units its tokens touch; a unit
    that is already the home of another is not offered again, so re-tiling
    cannot pile several suspect units onto one upstream function.
    """
    taken = {h.u_position for h in hits}
    out: list[Hit] = []
    for unit in left:
        homes = _touched(unit, pair, taken)
        tried = [h for h in (_local_hit(parsed, upstream, unit, pair, names, pos, rare, k,
                                        options.local_min_tile) for pos in homes)
                 if h is not None and _context(h, options)]
        # a look-alike is tiled only if its shared tokens could beat the best cover so far
        bar = max([options.context_min_tokens - 1] + [h.covered for h in tried])
        alikes = [p for p, bound in _look_alikes(unit, pair, taken)
                  if bound > bar and p not in homes]
        tried += [h for h in (_local_hit(parsed, upstream, unit, pair, names, pos, rare, k,
                                         options.local_min_tile) for pos in alikes)
                  if h is not None and _context(h, options)]
        if tried:
            h = max(tried, key=lambda t: (t.covered, t.similarity))
            taken.add(h.u_position)
            out.append(h)
    return out


def _touched(unit: Unit, pair: "_Pair", taken: set[int], limit: int = 2) -> list[int]:
    """Upstream unit positions that ``unit``'s tiled tokens land in, most first."""
    f = unit.fragment
    ui = [t.u_start + (max(t.s_start, f.tok_start) - t.s_start) for t in pair.tiles
          if t.s_start < f.tok_end and t.s_start + t.length > f.tok_start]
    if not ui:
        return []
    pos = np.searchsorted(pair.starts, np.array(ui, dtype=np.int64), side="right") - 1
    votes = Counter(int(p) for p in pos if p >= 0 and not pair.is_module[p] and p not in taken)
    return [p for p, _ in votes.most_common(limit)]


def _local_hit(parsed: ParsedFile, upstream: ParsedFile, unit: Unit, pair: "_Pair",
               names: dict[str, str], pos: int, rare: np.ndarray, k: int,
               min_tile: int) -> Hit | None:
    f, g = unit.fragment, pair.u_units[pos].fragment
    found = greedy_tiles(pair.s_ids[f.tok_start:f.tok_end], pair.u_ids[g.tok_start:g.tok_end],
                         min_tile)
    tiles = [Tile(f.tok_start + t.s_start, g.tok_start + t.u_start, t.length) for t in found]
    local = _Pair(pair.s_ids, pair.u_ids, tiles, _vouched(tiles, rare, k, len(pair.s_ids)),
                  pair.u_units, min_tile, pair.floor)
    return _score(parsed, unit, upstream, local, names, pos)


def _class_of(name: str) -> str:
    return name.rpartition(".")[0]


def _follow_classes(parsed: ParsedFile, upstream: ParsedFile, hits: list[Hit], pair: "_Pair",
                    names: dict[str, str]) -> list[Hit]:
    """Methods follow their class: a look-alike twin is moved to the class its siblings copy.

    ``Aifc_read.getmark`` and ``Aifc_write.getmark`` are the same code; when most
    methods of a suspect class land in ``Aifc_write``, a method landing in
    another class is tiled alone against the units of ``Aifc_write`` that are
    not yet the home of another unit, and moves when one covers it as well.
    """
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for h in hits:
        if _class_of(h.unit.fragment.name) and h.u_fragment is not None:
            votes[_class_of(h.unit.fragment.name)][_class_of(h.u_fragment.name)] += h.covered
    taken = {h.u_position for h in hits}
    out = []
    for h in hits:
        mine = votes.get(_class_of(h.unit.fragment.name))
        here = _class_of(h.u_fragment.name) if h.u_fragment is not None else None
        if not mine or here is None:
            out.append(h)
            continue
        major, weight = mine.most_common(1)[0]
        if major == here or weight <= mine[here]:
            out.append(h)
            continue
        homes = [p for p, u in enumerate(pair.u_units)
                 if p not in taken and _class_of(u.fragment.name) == major]
        tried = [t for t in (_score(parsed, h.unit, upstream, pair, names, p) for p in homes) if t]
        best = max(tried, key=lambda t: (t.covered, t.similarity), default=None)
        if best is not None and best.covered >= h.covered:
            taken.add(best.u_position)
            h = best
        out.append(h)
    return out


def _twin_homes(parsed: ParsedFile, upstream: ParsedFile, hits: list[Hit], plain: "_Pair",
                named: "_Pair", names: dict[str, str], options: MatchOptions) -> list[Hit]:
    """Hits not tiled whole move to the upstream look-alike that covers them best.

    Whole-file tiling lays a run where it first fits, so a function with
    twins upstream (pathlib's ``is_dir`` beside ``is_char_device``, ntpath's
    ``islink`` beside ``lexists``) lands on the first, and the name that tells
    them apart (``S_ISCHR``, ``lstat``) is left uncovered (on the rewrite level,
    aifc's ``_lin2adpcm`` went to ``_adpcm2lin``).  The unit is tiled
    alone against its home and against the upstream units most like it by
    their tokens that are no other unit's home; the best cover wins.  Twins are
    compared without the rename map: learnt from the first landing, it renames
    the wrong twin's name to the copy's (``is_dir -> is_fifo``).
    """
    taken = {h.u_position for h in hits}
    out: list[Hit] = []
    for h in hits:
        if h.u_position < 0 or h.covered >= h.unit.fragment.size:
            out.append(h)
            continue
        alikes = [p for p, bound in _look_alikes(h.unit, plain, taken) if bound > h.covered]
        here = _score(parsed, h.unit, upstream, plain, None, h.u_position) if alikes else None
        tried = [t for t in (_score(parsed, h.unit, upstream, plain, None, p) for p in alikes)
                 if t]
        best = max(tried, key=lambda t: (t.covered, t.similarity), default=None)
        if best is not None and here is not None and best.covered > here.covered:
            again = _score(parsed, h.unit, upstream, named, names, best.u_position)
            if again is not None and again.covered >= best.covered:
                best = again
            if _beside(best, options):
                taken.discard(h.u_position)
                taken.add(best.u_position)
                h = best
        out.append(h)
    return out


def _look_alikes(unit: Unit, pair: "_Pair", skip: set[int],
                 limit: int = 2) -> list[tuple[int, int]]:
    """The upstream units whose tokens are most like ``unit``'s (Dice of token bags), with
    the tokens both bags hold: no tiling of the two can cover more."""
    f = unit.fragment
    vocab, counts = np.unique(pair.s_ids[f.tok_start:f.tok_end], return_counts=True)
    owner = pair.owner
    at = np.minimum(np.searchsorted(vocab, pair.u_ids), len(vocab) - 1)
    known = (vocab[at] == pair.u_ids) & (owner >= 0)
    n = len(pair.u_units)
    table = np.bincount(owner[known] * len(vocab) + at[known],
                        minlength=n * len(vocab)).reshape(n, len(vocab))
    shared = np.minimum(table, counts).sum(axis=1)
    dice = 2 * shared / (f.size + (pair.ends - pair.starts))
    dice[pair.is_module] = 0
    dice[list(skip)] = 0
    ranked = sorted(np.flatnonzero(dice > 0).tolist(), key=lambda p: (-dice[p], p))
    return [(p, int(shared[p])) for p in ranked[:limit]]


def _confirmed(hits: list[Hit], tiles: list[Tile], n: int, options: MatchOptions,
               vouched: bool) -> bool:
    """Is the file pair a copy: one unit alone, several small ones together, or folder context.

    Several units, each strong enough beside a proven copy and each landing on
    a different upstream unit, are what a file of small copied functions looks
    like; unrelated code rarely lines up with that many distinct homes.
    """
    if any(_alone(h, options) for h in hits):
        return True
    homes = {h.u_position for h in hits if h.u_position >= 0 and _context(h, options)}
    if len(homes) >= options.aggregate_units:
        return True
    return vouched and sum(t.length for t in tiles) >= options.folder_share * n


def folder_context(files: list[ParsedFile],
                   hits_of: dict[int, list[Hit]]) -> dict[int, frozenset[str]]:
    """For each file with units still unmatched, the upstream blobs its siblings copy.

    Siblings are the files of the same folder; a blob the file already
    matches is not offered again.
    """
    by_folder: dict[str, set[str]] = defaultdict(set)
    for fi, hits in hits_of.items():
        by_folder[files[fi].path.rpartition("/")[0]] |= {h.blob_id for h in hits}
    out: dict[int, frozenset[str]] = {}
    for fi, parsed in enumerate(files):
        hits = hits_of.get(fi, [])
        if len({h.unit.index for h in hits}) >= len(units(parsed)):
            continue
        extra = by_folder.get(parsed.path.rpartition("/")[0], set()) - {h.blob_id for h in hits}
        if extra:
            out[fi] = frozenset(extra)
    return out


def _context(h: Hit, options: MatchOptions) -> bool:
    """Strong enough beside a proven copy in the same file pair."""
    return h.informative >= options.context_min_tokens and _covered_enough(h, options)


def _beside(h: Hit, options: MatchOptions) -> bool:
    """Kept beside a proven copy in a confirmed pair: strong enough in uncommon tokens, or
    tiled almost whole (a small function made of common idioms, gorp's eight-line
    ``PolyState.step`` once Java's everyday shingles joined the background).  Only ever
    for a pair already confirmed: it never confirms one (:func:`_confirmed` uses
    :func:`_context`)."""
    if _context(h, options):
        return True
    return h.covered >= 3 * options.context_min_tokens and h.covered >= 0.9 * h.unit.fragment.size


def _closest(blob_ids: list[str], pool: Upstreams, rare_hashes: np.ndarray, k: int,
             options: MatchOptions, unit_rare: list[np.ndarray] = ()) -> list[str]:
    """The candidate blobs worth tiling: those sharing the most uncommon shingles.

    A blob sharing fewer than ``min_shared_rare`` cannot hold a unit that matches
    alone; of the rest, those sharing less than half of what the best shares are
    dropped too (when code was copied into many upstreams, the closest copies
    are enough to name them all).  The same cut is made per suspect unit
    (``unit_rare``: each unit's uncommon shingles, as indices into
    ``rare_hashes``): the blob that shares most with one unit stays, so a file
    built from a big upstream file and a small one keeps the small one too
    (gorp's 15-line helper, cut by the whole-file count beside its big sibling).
    """
    if not blob_ids:
        return []
    held = np.array([_held(rare_hashes, pool.shingles(b, k)) for b in blob_ids])
    shared = held.sum(axis=1)
    best = int(shared.max(initial=0))
    keep = [(int(n), b) for n, b in zip(shared, blob_ids) if n >= max(options.min_shared_rare,
                                                                      best // 2)]
    keep.sort(key=lambda nb: (-nb[0], nb[1]))
    out = [b for _, b in keep[:options.max_tiled]]
    chosen = set(out)
    for idx in unit_rare:
        counts = held[:, idx].sum(axis=1)
        top = int(counts.max(initial=0))
        if top < options.min_shared_rare:
            continue
        for n, b in sorted(zip(counts, blob_ids), key=lambda nb: (-nb[0], nb[1])):
            if n < top:
                break
            if b not in chosen and len(out) < 2 * options.max_tiled:
                chosen.add(b)
                out.append(b)
    return out


def _held(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Which of ``values`` the sorted distinct array ``sorted_set`` holds."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


def _unit_rare(file_units: list[Unit], hashes: np.ndarray, rare: np.ndarray,
               rare_hashes: np.ndarray, k: int) -> list[np.ndarray]:
    """Per unit, its distinct uncommon shingles as indices into ``rare_hashes``."""
    out = []
    for unit in file_units:
        a, b = unit.fragment.tok_start, max(unit.fragment.tok_end - k + 1, unit.fragment.tok_start)
        mine = distinct(hashes[a:b][rare[a:b]])
        if len(mine):
            out.append(np.searchsorted(rare_hashes, mine))
    return out


def _share_shingles(blob_ids: list[str], pool: Upstreams, hashes: np.ndarray, k: int,
                    share: float) -> list[str]:
    """The blobs holding at least ``share`` of the suspect's distinct shingles (a cheap gate)."""
    mine = distinct(hashes)
    need = share * len(mine)
    return [b for b in blob_ids if len(mine) and shared_count(mine, pool.shingles(b, k)) >= need]


def _covered_enough(h: Hit, options: MatchOptions) -> bool:
    """Enough of the unit is covered, or, for a copy the copier grew (grad-cam's ``main``,
    208 upstream tokens grown to 377), enough of its upstream function, strongly."""
    if h.covered >= options.min_coverage * h.unit.fragment.size:
        return True
    return (h.u_fragment is not None and h.informative >= options.min_tokens
            and h.covered >= options.min_coverage * h.u_fragment.size)


def _alone(h: Hit, options: MatchOptions) -> bool:
    """Strong enough to match with no help from its neighbours."""
    return h.informative >= options.min_tokens and _covered_enough(h, options)


def _name_votes(parsed: ParsedFile, upstream: ParsedFile, hits: list[Hit]) -> dict[str, str]:
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
    m = len(rare)  # shingle starts
    if not tiles or m <= 0:
        return np.zeros(n, dtype=bool)
    a = np.fromiter((t.s_start for t in tiles), dtype=np.int64, count=len(tiles))
    b = a + np.fromiter((t.length for t in tiles), dtype=np.int64, count=len(tiles)) - k + 1
    # the starts of ``rare[a:b]`` as a slice takes them: a negative end (a tile shorter than
    # k near the file's start, which min_tile >= k never makes) counts from the end
    b = np.minimum(np.where(b < 0, np.maximum(b + m, 0), b), m)
    some = b > a
    a, b = a[some], b[some]
    # shingle starts inside some tile (tiles never overlap on the suspect side)
    inside = np.cumsum(np.bincount(a, minlength=m + 1)[:m] - np.bincount(b, minlength=m + 1)[:m])
    starts = np.flatnonzero((inside > 0) & rare)
    delta = np.bincount(starts, minlength=n + 1)[:n] - np.bincount(starts + k, minlength=n + 1)[:n]
    return np.cumsum(delta) > 0


def _score(parsed: ParsedFile, unit: Unit, upstream: ParsedFile, pair: "_Pair",
           names: dict[str, str] | None = None, home: int | None = None) -> Hit | None:
    """How much of ``unit`` the tiles cover, and where in the upstream it lands.

    With the pair's rename map ``names``, an aligned identifier renamed the way
    the rest of the file renames it counts as informative too.  With ``home``
    (a position among the upstream's units) the unit is tiled alone against it.
    """
    f = unit.fragment
    if home is None:
        si, ui = _unit_pairs(unit, pair)
    else:
        si, ui = _local_pairs(unit, pair, home)
    if len(si) < pair.floor:
        return None  # cannot match, whatever its home
    if home is None:
        u_pos, u_frag, si, ui = _home(unit, pair, si, ui)
    else:
        u_pos, u_frag = home, pair.u_units[home].fragment
    if u_frag is None and _is_header(parsed, unit):
        return None  # a class header's tokens scattered over the upstream are no copy of one
    if u_frag is not None:
        keep = (ui >= u_frag.tok_start) & (ui < u_frag.tok_end)
        si, ui = si[keep], ui[keep]
        size_u = u_frag.size
        lo, hi = u_frag.start_line, u_frag.end_line
    else:
        lines = upstream.stream.lines
        size_u = len(si)
        lo, hi = min(lines[u] for u in ui.tolist()), max(lines[u] for u in ui.tolist())
    similarity = 2 * len(si) / (f.size + size_u)
    vouched = pair.vouched[si]
    informative = int(np.count_nonzero(vouched))
    if names:
        s_stream, u_stream = parsed.stream, upstream.stream
        informative += sum(1 for a, b in zip(si[~vouched].tolist(), ui[~vouched].tolist())
                           if s_stream.renameable[a]
                           and names.get(_key(u_stream, b)) == _key(s_stream, a))
    return Hit(unit, upstream.blob_id, len(si), informative, round(similarity, 4), u_frag,
               u_pos, lo, hi, tuple(zip(si.tolist(), ui.tolist())))


def _is_header(parsed: ParsedFile, unit: Unit) -> bool:
    """A class header that is a unit of its own (:mod:`.units`), not a whole class."""
    return unit.fragment.kind == "class" and \
        unit.fragment.tok_end < parsed.fragments[unit.index].tok_end


@dataclass
class _Pair:
    """One (suspect file, upstream file) alignment: token ids, tiles, vouched tokens, units."""

    s_ids: np.ndarray
    u_ids: np.ndarray
    tiles: list[Tile]
    vouched: np.ndarray
    u_units: list[Unit]
    min_tile: int
    floor: int  # fewer aligned tokens than this cannot make a match

    def __post_init__(self) -> None:
        frags = [u.fragment for u in self.u_units]
        self.starts = np.array([f.tok_start for f in frags], dtype=np.int64)
        self.ends = np.array([f.tok_end for f in frags], dtype=np.int64)
        self.is_module = np.array([f.kind == "module" for f in frags], dtype=bool)
        self._aligned: np.ndarray | None = None
        self._owner: np.ndarray | None = None

    @property
    def owner(self) -> np.ndarray:
        """For each upstream token, the position of the upstream unit holding it (-1: none)."""
        if self._owner is None:
            at = np.arange(len(self.u_ids))
            pos = np.searchsorted(self.starts, at, side="right") - 1
            inside = pos >= 0
            inside[inside] &= at[inside] < self.ends[pos[inside]]
            self._owner = np.where(inside, pos, -1)
        return self._owner

    @property
    def aligned(self) -> np.ndarray:
        """For each suspect token, the upstream token a tile aligns it with (-1: none)."""
        if self._aligned is None:
            self._aligned = np.full(len(self.s_ids), -1, dtype=np.int64)
            for t in self.tiles:
                self._aligned[t.s_start:t.s_start + t.length] = np.arange(
                    t.u_start, t.u_start + t.length)
        return self._aligned


def _home(unit: Unit, pair: _Pair, si: np.ndarray,
          ui: np.ndarray) -> tuple[int, Fragment | None, np.ndarray, np.ndarray]:
    """The upstream unit ``unit`` derives from, its position, and the aligned tokens.

    Whole-file tiling puts a run wherever it first fits, so a unit with twins
    upstream (``_lin2ulaw`` beside ``_alaw2lin``) may be split across them; when
    its tokens land in several upstream units, the unit is tiled alone against
    each and the best cover wins.
    """
    pos_of = np.searchsorted(pair.starts, ui, side="right") - 1
    ok = pos_of >= 0
    ok[ok] &= ui[ok] < pair.ends[pos_of[ok]]
    ok[ok] &= ~pair.is_module[pos_of[ok]]
    counts = np.bincount(pos_of[ok], minlength=len(pair.u_units)) if ok.any() else None
    votes: Counter[int] = Counter() if counts is None else Counter(
        {int(p): int(counts[p]) for p in np.flatnonzero(counts)})
    if not votes:
        return -1, None, si, ui
    ranked = votes.most_common(3)
    if len(ranked) > 1 and ranked[1][1] >= pair.min_tile:
        tried = [(_local_pairs(unit, pair, pos), n, pos) for pos, n in ranked]
        local, _, pos = max(tried, key=lambda t: (len(t[0][0]), t[1], -t[2]))
        if len(local[0]) >= votes[pos]:
            return pos, pair.u_units[pos].fragment, local[0], local[1]
    pos, n = votes.most_common(1)[0]
    if n * 2 < len(si):
        return -1, None, si, ui
    return pos, pair.u_units[pos].fragment, si, ui


def _local_pairs(unit: Unit, pair: _Pair, pos: int) -> tuple[np.ndarray, np.ndarray]:
    """The unit tiled alone against the upstream unit at ``pos``: aligned token indexes."""
    f, g = unit.fragment, pair.u_units[pos].fragment
    tiles = greedy_tiles(pair.s_ids[f.tok_start:f.tok_end], pair.u_ids[g.tok_start:g.tok_end],
                         pair.min_tile)
    return _tile_pairs(tiles, f.tok_start, g.tok_start)


def _tile_pairs(tiles: list[Tile], s_off: int = 0,
                u_off: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Every (suspect, upstream) token pair the tiles align, in the tiles' order."""
    if not tiles:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    si = np.concatenate([np.arange(t.s_start, t.s_start + t.length) for t in tiles]) + s_off
    ui = np.concatenate([np.arange(t.u_start, t.u_start + t.length) for t in tiles]) + u_off
    return si, ui


def _unit_pairs(unit: Unit, pair: _Pair) -> tuple[np.ndarray, np.ndarray]:
    """The pair's aligned tokens inside ``unit``, by suspect index (tiles never overlap there)."""
    f = unit.fragment
    seg = pair.aligned[f.tok_start:f.tok_end]
    at = np.flatnonzero(seg >= 0)
    return at + f.tok_start, seg[at]
