# SPDX-License-Identifier: Apache-2.0
"""Greedy string tiling tolerates moved blocks."""
from __future__ import annotations

import numpy as np

from attrib.engine.tiling import greedy_tiles


def ids(seq):
    return np.array(seq, dtype=np.uint64)


def test_identical_sequences_are_one_tile():
    seq = list(range(50))
    tiles = greedy_tiles(ids(seq), ids(seq), min_len=5)
    assert [(t.s_start, t.u_start, t.length) for t in tiles] == [(0, 0, 50)]


def test_swapped_blocks_are_both_found():
    a, b = list(range(100, 130)), list(range(200, 230))
    tiles = greedy_tiles(ids(a + b), ids(b + a), min_len=5)
    assert sorted((t.s_start, t.u_start, t.length) for t in tiles) == [(0, 30, 30), (30, 0, 30)]


def test_runs_shorter_than_min_len_are_ignored():
    tiles = greedy_tiles(ids([1, 2, 3, 9, 9, 9]), ids([1, 2, 3, 8, 8, 8]), min_len=4)
    assert tiles == []


def test_tiles_never_overlap():
    a = [1, 2, 3, 4, 5] * 10
    tiles = greedy_tiles(ids(a), ids(a[:25]), min_len=5)
    covered = [i for t in tiles for i in range(t.u_start, t.u_start + t.length)]
    assert len(covered) == len(set(covered))
