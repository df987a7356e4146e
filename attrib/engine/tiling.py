# SPDX-License-Identifier: Apache-2.0
"""Greedy string tiling over normalised token sequences.

After Wise, "Running Karp-Rabin Matching and Greedy String Tiling" (1993), the
alignment JPlag uses: repeatedly take the longest common runs that overlap no
earlier tile, down to a minimum length.  Unlike a single diff it tolerates moved
and reordered blocks, which is how real copies differ.  Runs are seeded by
hashed ``min_len``-grams; a gram that occurs more than ``max_occurrences`` times
in the upstream is too common to seed a tile (it would cost quadratic time and
it says little about copying).
"""
from __future__ import annotations

import numpy as np

from ..model import Tile

_PRIME = np.uint64(1099511628211)


def _gram_hashes(ids: np.ndarray, m: int) -> list[int]:
    n = len(ids) - m + 1
    if n <= 0:
        return []
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(m):
            h = h * _PRIME + ids[j:j + n]
    return h.tolist()


def greedy_tiles(s_ids: np.ndarray, u_ids: np.ndarray, min_len: int = 8,
                 max_occurrences: int = 48, passes: int = 3, rounds: int = 1) -> list[Tile]:
    """Tiles of equal tokens between suspect ids and upstream ids, longest first.

    With ``rounds=2`` the suspect tokens left over are tiled once more against
    the whole upstream: a suspect holding two copies of one upstream class gets
    both (each upstream token is otherwise used once), at the cost of tiles
    that may overlap on the upstream side.
    """
    s = s_ids.tolist()
    u = u_ids.tolist()
    ns, nu = len(s), len(u)
    if ns < min_len or nu < min_len:
        return []
    s_hash = _gram_hashes(s_ids, min_len)
    positions: dict[int, list[int]] = {}
    for j, h in enumerate(_gram_hashes(u_ids, min_len)):
        positions.setdefault(h, []).append(j)
    marked_s = bytearray(ns)
    marked_u = bytearray(nu)
    tiles: list[Tile] = []
    for r in range(rounds):
        if r:
            marked_u = bytearray(nu)
        for _ in range(passes):
            added = _tile_pass(s, u, s_hash, positions, marked_s, marked_u, min_len,
                               max_occurrences, tiles)
            if not added:
                break
    tiles.sort(key=lambda t: t.s_start)
    return tiles


def _tile_pass(s: list[int], u: list[int], s_hash: list[int], positions: dict[int, list[int]],
               marked_s: bytearray, marked_u: bytearray, min_len: int, max_occurrences: int,
               tiles: list[Tile]) -> int:
    """One greedy pass: the maximal runs, longest first, that overlap no tile; how many."""
    found = _maximal_runs(s, u, s_hash, positions, marked_s, marked_u, min_len, max_occurrences)
    added = 0
    for length, i, j in sorted(found, key=lambda t: (-t[0], t[1], t[2])):
        if any(marked_s[i:i + length]) or any(marked_u[j:j + length]):
            continue
        marked_s[i:i + length] = b"\1" * length
        marked_u[j:j + length] = b"\1" * length
        tiles.append(Tile(i, j, length))
        added += 1
    return added


def _maximal_runs(s: list[int], u: list[int], s_hash: list[int], positions: dict[int, list[int]],
                  marked_s: bytearray, marked_u: bytearray, min_len: int,
                  max_occurrences: int) -> list[tuple[int, int, int]]:
    ns, nu = len(s), len(u)
    found: list[tuple[int, int, int]] = []
    for i, h in enumerate(s_hash):
        if marked_s[i]:
            continue
        occ = positions.get(h)
        if not occ or len(occ) > max_occurrences:
            continue
        for j in occ:
            if marked_u[j]:
                continue
            if i and j and s[i - 1] == u[j - 1] and not marked_s[i - 1] and not marked_u[j - 1]:
                continue  # not the start of a maximal run
            k = 0
            while i + k < ns and j + k < nu and s[i + k] == u[j + k] \
                    and not marked_s[i + k] and not marked_u[j + k]:
                k += 1
            if k >= min_len:
                found.append((k, i, j))
    return found
