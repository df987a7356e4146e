# SPDX-License-Identifier: Apache-2.0
"""Greedy string tiling over normalised token sequences.

After Wise, "Running Karp-Rabin Matching and Greedy String Tiling" (1993), the
alignment JPlag uses: repeatedly take the longest common runs that overlap no
earlier tile, down to a minimum length.  Unlike a single diff it tolerates moved
and reordered blocks, which is how real copies differ.  Runs are seeded by
hashed ``min_len``-grams; a gram that occurs more than ``max_occurrences`` times
in the upstream is too common to seed a tile (it would cost quadratic time and
it says little about copying).

Each pass takes, among the seed pairs ``(i, j)`` (equal gram hashes, neither
token tiled yet), those that start a maximal run of equal untiled tokens
(the tokens before them differ, or one of them is tiled) and whose run is at
least ``min_len`` long; then it lays them longest first (ties: lower suspect
index, then lower upstream index), skipping a run that overlaps a tile laid
earlier.  The seed pairs and the length of each one's run of equal tokens do
not depend on the tiles, so they are found once per call, with numpy; a pass
then only cuts each run at the first tiled token on either side (the nearest
tiled position at or after a token is one reversed running minimum).  Only
laying the tiles, which is sequential by nature, is a Python loop.

Small pairs (a unit tiled alone against an upstream unit) take the direct
scan instead, which numpy's per-call overhead would not beat (its grams are keyed
by the bytes of their ids, not hashed), and a pair tiled again with the same
tokens (a unit tried against the same home twice) is answered from a small memo.  ``tests/test_tiling.py`` checks both ways against
a plain reference implementation.
"""
from __future__ import annotations

import numpy as np

from ..model import Tile

_PRIME = np.uint64(1099511628211)
_BLOCK = 32  # tokens compared at once when measuring a run; doubled while rows keep matching
_MAX_BLOCK = 1024
_SMALL = 200_000  # suspect x upstream tokens below which the direct scan is cheaper
_MEMO_SIZE = 2048
_memo: dict[tuple, tuple[Tile, ...]] = {}


def _gram_hashes(ids: np.ndarray, m: int) -> np.ndarray:
    n = len(ids) - m + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(m):
            h = h * _PRIME + ids[j:j + n]
    return h


def greedy_tiles(s_ids: np.ndarray, u_ids: np.ndarray, min_len: int = 8,
                 max_occurrences: int = 48, passes: int = 3, rounds: int = 1) -> list[Tile]:
    """Tiles of equal tokens between suspect ids and upstream ids, longest first.

    With ``rounds=2`` the suspect tokens left over are tiled once more against
    the whole upstream: a suspect holding two copies of one upstream class gets
    both (each upstream token is otherwise used once), at the cost of tiles
    that may overlap on the upstream side.
    """
    ns, nu = len(s_ids), len(u_ids)
    if ns < min_len or nu < min_len:
        return []
    if ns * nu < _SMALL:
        key = (s_ids.dtype.str, s_ids.tobytes(), u_ids.dtype.str, u_ids.tobytes(), min_len,
               max_occurrences, passes, rounds)
        found = _memo.get(key)
        if found is None:
            if len(_memo) >= _MEMO_SIZE:
                _memo.clear()
            found = _memo[key] = tuple(_direct_tiles(s_ids, u_ids, min_len, max_occurrences,
                                                     passes, rounds))
        return list(found)
    return _seeded_tiles(s_ids, u_ids, min_len, max_occurrences, passes, rounds)


def _seeded_tiles(s_ids: np.ndarray, u_ids: np.ndarray, min_len: int, max_occurrences: int,
                  passes: int, rounds: int) -> list[Tile]:
    """The tiles, with the seed pairs and their runs found once by numpy (large pairs)."""
    ns, nu = len(s_ids), len(u_ids)
    seeds = _Seeds(s_ids, u_ids, min_len, max_occurrences)
    marked_s = bytearray(ns)
    marked_u = bytearray(nu)
    tiles: list[Tile] = []
    if not len(seeds.i):
        return tiles
    for r in range(rounds):
        if r:
            marked_u = bytearray(nu)
        for _ in range(passes):
            if not _tile_pass(seeds, marked_s, marked_u, min_len, tiles):
                break
    tiles.sort(key=lambda t: t.s_start)
    return tiles


class _Seeds:
    """The seed pairs of one call, each with the length of its run of equal tokens."""

    def __init__(self, s_ids: np.ndarray, u_ids: np.ndarray, m: int, max_occurrences: int):
        s_hash = _gram_hashes(s_ids, m)
        u_hash = _gram_hashes(u_ids, m)
        # the upstream grams grouped by hash (the order of pairs is irrelevant: every pass
        # sorts its runs totally), and each suspect gram's group, both found in sorted order
        order = np.argsort(u_hash)
        sorted_u = u_hash[order]
        starts = np.flatnonzero(np.r_[True, sorted_u[1:] != sorted_u[:-1]])
        sizes = np.diff(np.r_[starts, len(sorted_u)])
        keys = sorted_u[starts]
        si = np.argsort(s_hash)
        group = np.minimum(np.searchsorted(keys, s_hash[si]), len(keys) - 1)
        count = np.where(keys[group] == s_hash[si], sizes[group], 0)
        keep = (count > 0) & (count <= max_occurrences)
        si, count, lo = si[keep], count[keep], starts[group[keep]]
        total = int(count.sum())
        self.i = np.repeat(si, count)
        # the j of each pair: its group's slice of ``order``
        first = np.repeat(np.cumsum(count) - count, count)
        self.j = order[np.repeat(lo, count) + (np.arange(total) - first)]
        i, j = self.i, self.j
        # the tokens before the pair are equal (then it starts a maximal run only after a tile)
        prev = (i > 0) & (j > 0)
        prev[prev] = s_ids[i[prev] - 1] == u_ids[j[prev] - 1]
        self.prev_equal = prev
        self.run = _run_lengths(s_ids, u_ids, i, j)


def _run_lengths(s_ids: np.ndarray, u_ids: np.ndarray, i: np.ndarray,
                 j: np.ndarray) -> np.ndarray:
    """For each pair, how many tokens are equal from ``s[i]``, ``u[j]`` on.

    Pairs on one diagonal at consecutive suspect indexes, whose first tokens are
    equal, share a run: only the last pair of each such chain is measured, the
    others are that length plus their distance to it.
    """
    n = len(i)
    out = np.zeros(n, dtype=np.int64)
    if not n:
        return out
    ns, nu = len(s_ids), len(u_ids)
    diag = i - j
    order = np.argsort((diag + nu) * (ns + 1) + i)  # by diagonal, then suspect index
    oi, od, oj = i[order], diag[order], j[order]
    first_equal = s_ids[oi] == u_ids[oj]
    linked = np.zeros(n, dtype=bool)  # the next pair in order continues this one's run
    linked[:-1] = (od[1:] == od[:-1]) & (oi[1:] == oi[:-1] + 1) & first_equal[:-1]
    tails = np.flatnonzero(~linked)
    lengths = _measure(s_ids, u_ids, oi[tails], oj[tails], ns, nu)
    # each pair's chain ends at the first tail at or after it
    chain = np.searchsorted(tails, np.arange(n), side="left")
    out[order] = lengths[chain] + (oi[tails[chain]] - oi)
    return out


def _measure(s_ids: np.ndarray, u_ids: np.ndarray, i: np.ndarray, j: np.ndarray, ns: int,
             nu: int) -> np.ndarray:
    """Length of the run of equal tokens from each ``(i, j)``, block by block."""
    length = np.zeros(len(i), dtype=np.int64)
    active = np.arange(len(i))
    block = _BLOCK
    while len(active):
        step = np.arange(block)
        a = (i[active] + length[active])[:, None] + step
        b = (j[active] + length[active])[:, None] + step
        inside = (a < ns) & (b < nu)
        equal = inside & (s_ids[np.minimum(a, ns - 1)] == u_ids[np.minimum(b, nu - 1)])
        full = equal.all(axis=1)
        length[active] += np.where(full, block, np.argmin(equal, axis=1))
        active = active[full]
        block = min(block * 2, _MAX_BLOCK)
    return length


def _next_marked(marked: np.ndarray) -> np.ndarray:
    """For each position (and one past the end), the nearest marked position at or after it."""
    n = len(marked)
    at = np.full(n + 1, n, dtype=np.int64)
    at[:n][marked] = np.flatnonzero(marked)
    return np.minimum.accumulate(at[::-1])[::-1]


def _tile_pass(seeds: _Seeds, marked_s: bytearray, marked_u: bytearray, min_len: int,
               tiles: list[Tile]) -> int:
    """One greedy pass: the maximal runs, longest first, that overlap no tile; how many."""
    ms = np.frombuffer(marked_s, dtype=bool)
    mu = np.frombuffer(marked_u, dtype=bool)
    i, j = seeds.i, seeds.j
    ok = ~ms[i] & ~mu[j]
    # not the start of a maximal run: the tokens before are equal and both untiled
    ok &= ~(seeds.prev_equal & ~ms[i - 1] & ~mu[j - 1])
    i, j = i[ok], j[ok]
    length = np.minimum(seeds.run[ok], np.minimum(_next_marked(ms)[i] - i,
                                                  _next_marked(mu)[j] - j))
    del ms, mu  # the views must go before the bytearrays are written below
    long_enough = length >= min_len
    i, j, length = i[long_enough], j[long_enough], length[long_enough]
    order = _longest_first(length, i, j, len(marked_s), len(marked_u))
    added = 0
    for n, a, b in zip(length[order].tolist(), i[order].tolist(), j[order].tolist()):
        if marked_s.find(1, a, a + n) >= 0 or marked_u.find(1, b, b + n) >= 0:
            continue
        marked_s[a:a + n] = b"\1" * n
        marked_u[b:b + n] = b"\1" * n
        tiles.append(Tile(a, b, n))
        added += 1
    return added


def _longest_first(length: np.ndarray, i: np.ndarray, j: np.ndarray, ns: int,
                   nu: int) -> np.ndarray:
    """The order of runs by (-length, i, j), by one sort of unique integer keys."""
    if not len(length):
        return np.zeros(0, dtype=np.int64)
    most = int(length.max())
    if (most + 1) * ns * nu >= 1 << 62:
        return np.lexsort((j, i, -length))
    return np.argsort((most - length) * (ns * nu) + i * nu + j)


# ---------------------------------------------------------------- the direct scan (small pairs)


def _direct_tiles(s_ids: np.ndarray, u_ids: np.ndarray, min_len: int, max_occurrences: int,
                  passes: int, rounds: int) -> list[Tile]:
    """The same tiles by scanning every seed in Python: cheaper for small pairs."""
    s = s_ids.tolist()
    u = u_ids.tolist()
    ns, nu = len(s), len(u)
    if ns < min_len or nu < min_len:
        return []
    s_grams = _gram_keys(s_ids, min_len)
    wanted = set(s_grams)  # only grams the suspect has can seed; their counts stay whole
    positions: dict[bytes, list[int]] = {}
    for j, g in enumerate(_gram_keys(u_ids, min_len)):
        if g in wanted:
            positions.setdefault(g, []).append(j)
    marked_s = bytearray(ns)
    marked_u = bytearray(nu)
    tiles: list[Tile] = []
    for r in range(rounds):
        if r:
            marked_u = bytearray(nu)
        for _ in range(passes):
            added = _direct_pass(s, u, s_grams, positions, marked_s, marked_u, min_len,
                                 max_occurrences, tiles)
            if not added:
                break
    tiles.sort(key=lambda t: t.s_start)
    return tiles


def _gram_keys(ids: np.ndarray, m: int) -> list[bytes]:
    """Each ``m``-gram of ``ids`` as the bytes of its ids: an exact key (no hash to collide),
    and slicing one bytes object beats numpy's per-call overhead on short arrays."""
    joined = ids.astype("<u8", copy=False).tobytes()
    width = 8 * m
    return [joined[a:a + width] for a in range(0, 8 * (len(ids) - m) + 1, 8)]


def _direct_pass(s: list[int], u: list[int], s_grams: list[bytes],
                 positions: dict[bytes, list[int]], marked_s: bytearray, marked_u: bytearray,
                 min_len: int, max_occurrences: int, tiles: list[Tile]) -> int:
    """One greedy pass: the maximal runs, longest first, that overlap no tile; how many."""
    found = _direct_runs(s, u, s_grams, positions, marked_s, marked_u, min_len, max_occurrences)
    added = 0
    for length, i, j in sorted(found, key=lambda t: (-t[0], t[1], t[2])):
        if marked_s.find(1, i, i + length) >= 0 or marked_u.find(1, j, j + length) >= 0:
            continue
        marked_s[i:i + length] = b"\1" * length
        marked_u[j:j + length] = b"\1" * length
        tiles.append(Tile(i, j, length))
        added += 1
    return added


def _direct_runs(s: list[int], u: list[int], s_grams: list[bytes],
                 positions: dict[bytes, list[int]], marked_s: bytearray, marked_u: bytearray,
                 min_len: int, max_occurrences: int) -> list[tuple[int, int, int]]:
    ns, nu = len(s), len(u)
    found: list[tuple[int, int, int]] = []
    end_s = -1  # the first tiled suspect token after i, or ns (found again once i passes it)
    for i, g in enumerate(s_grams):
        if marked_s[i]:
            continue
        occ = positions.get(g)
        if not occ or len(occ) > max_occurrences:
            continue
        if end_s < i:
            end_s = marked_s.find(1, i)
            if end_s < 0:
                end_s = ns
        for j in occ:
            if marked_u[j]:
                continue
            if i and j and s[i - 1] == u[j - 1] and not marked_s[i - 1] and not marked_u[j - 1]:
                continue  # not the start of a maximal run
            end_u = marked_u.find(1, j)
            # a run stops at the first tiled token on either side, or at either end
            room = min(end_s - i, (nu if end_u < 0 else end_u) - j)
            k = 0
            while k < room and s[i + k] == u[j + k]:
                k += 1
            if k >= min_len:
                found.append((k, i, j))
    return found
