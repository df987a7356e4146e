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


# ---------------------------------------------------------------- against a plain reference
#
# The tiling is fast by precomputing seeds and runs (large pairs) or scanning directly
# (small pairs); both must give exactly the tiles of the definition, written out here
# the slow, obvious way: every pass takes every maximal run of equal untiled tokens that
# starts at a seed (an equal min_len-gram that occurs at most max_occurrences times
# upstream), lays them longest first (ties: lower suspect index, then lower upstream
# index) unless they overlap a tile, and a second round frees the upstream tokens.

from hypothesis import given, settings, strategies as st  # noqa: E402

from attrib.engine import arrays, fingerprint, tiling  # noqa: E402
from attrib.model import TokenStream  # noqa: E402


def reference_tiles(s, u, min_len, max_occurrences=48, passes=3, rounds=1):
    ns, nu = len(s), len(u)
    if ns < min_len or nu < min_len:
        return []
    grams_u = [tuple(u[j:j + min_len]) for j in range(nu - min_len + 1)]
    tiles = []
    tiled_s = [False] * ns
    for r in range(rounds):
        tiled_u = [False] * nu  # a new round frees the upstream side only
        for _ in range(passes):
            runs = []
            for i in range(ns - min_len + 1):
                gram = tuple(s[i:i + min_len])
                if grams_u.count(gram) > max_occurrences:
                    continue
                for j in range(nu - min_len + 1):
                    if grams_u[j] != gram or tiled_s[i] or tiled_u[j]:
                        continue
                    if i > 0 and j > 0 and s[i - 1] == u[j - 1] \
                            and not tiled_s[i - 1] and not tiled_u[j - 1]:
                        continue
                    k = 0
                    while i + k < ns and j + k < nu and s[i + k] == u[j + k] \
                            and not tiled_s[i + k] and not tiled_u[j + k]:
                        k += 1
                    if k >= min_len:
                        runs.append((k, i, j))
            laid = 0
            for k, i, j in sorted(runs, key=lambda t: (-t[0], t[1], t[2])):
                if any(tiled_s[i:i + k]) or any(tiled_u[j:j + k]):
                    continue
                tiled_s[i:i + k] = [True] * k
                tiled_u[j:j + k] = [True] * k
                tiles.append((i, j, k))
                laid += 1
            if not laid:
                break
    return sorted(tiles)


@st.composite
def copied_pair(draw):
    """An upstream of random tokens and a suspect made of its pieces, edited, moved, repeated."""
    alphabet = draw(st.integers(2, 12))
    token = st.integers(0, alphabet - 1)
    u = draw(st.lists(token, min_size=0, max_size=160))
    s = []
    for _ in range(draw(st.integers(0, 6))):
        if u and draw(st.booleans()):
            a = draw(st.integers(0, len(u) - 1))
            b = draw(st.integers(a, min(len(u), a + 120)))
            piece = list(u[a:b])
            for _ in range(draw(st.integers(0, 3))):
                if piece:
                    piece[draw(st.integers(0, len(piece) - 1))] = draw(token)
            s += piece
        else:
            s += draw(st.lists(token, max_size=20))
    return s, u


def as_tuples(tiles):
    return sorted((t.s_start, t.u_start, t.length) for t in tiles)


@settings(max_examples=300, deadline=None)
@given(copied_pair(), st.integers(2, 9), st.sampled_from([1, 2, 3, 48]), st.integers(1, 3),
       st.integers(1, 2))
def test_both_ways_of_tiling_give_the_reference_tiles(pair, min_len, max_occ, passes, rounds):
    s, u = pair
    want = reference_tiles(s, u, min_len, max_occ, passes, rounds)
    args = (min_len, max_occ, passes, rounds)
    if len(s) >= min_len and len(u) >= min_len:
        assert as_tuples(tiling._seeded_tiles(ids(s), ids(u), *args)) == want
        assert as_tuples(tiling._direct_tiles(ids(s), ids(u), *args)) == want
    assert as_tuples(tiling.greedy_tiles(ids(s), ids(u), *args)) == want


def test_long_runs_are_measured_past_every_block():
    """Runs longer than the blocks the seeded way compares at once (32, 64, ... tokens)."""
    rng = np.random.default_rng(7)
    u = rng.integers(0, 50, 3000).tolist()
    s = u[100:2900] + [99] + u[:90] + u[2000:2005] + u[500:1500]
    want = reference_tiles(s, u, 8, rounds=2)
    assert as_tuples(tiling._seeded_tiles(ids(s), ids(u), 8, 48, 3, 2)) == want
    assert as_tuples(tiling.greedy_tiles(ids(s), ids(u), 8, rounds=2)) == want
    assert max(t[2] for t in want) == 2800


def test_a_repeated_small_pair_comes_back_equal_and_unshared():
    s, u = ids(list(range(30)) * 2), ids(list(range(40)))
    first = tiling.greedy_tiles(s, u, 5)
    first.append("caller's own")
    assert tiling.greedy_tiles(s, u, 5) == first[:-1]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["$", "(", ")", "def", "S", "N", ".", "é", "ID", ""]),
                max_size=60), st.integers(1, 8))
def test_cheap_arrays_equal_the_fingerprint_ones(texts, k):
    import zlib

    texts = tuple(texts)
    stream = TokenStream(texts, texts, tuple(range(len(texts))), (False,) * len(texts))
    ids = [zlib.crc32(t.encode("utf-8")) for t in texts]
    assert arrays.token_ids(texts).tolist() == fingerprint.token_ids(texts).tolist() == ids
    # the rolling hash, written out plainly: FNV prime, 64-bit wrap, fold, low 32 bits
    plain = []
    for i in range(len(ids) - k + 1):
        h = 0
        for v in ids[i:i + k]:
            h = (h * 1099511628211 + v) % 2 ** 64
        plain.append((h ^ (h >> 29)) & 0xFFFFFFFF)
    got, want = arrays.shingle_hashes(stream, k), fingerprint.shingle_hashes(stream, k)
    assert got.dtype == want.dtype and got.tolist() == want.tolist() == plain
    assert arrays.distinct(want).tolist() == np.unique(want).tolist()
    other = arrays.distinct(arrays.shingle_hashes(stream, max(1, k - 1)))
    assert arrays.shared_count(arrays.distinct(want), other) == len(
        np.intersect1d(np.unique(want), other, assume_unique=True))


def test_equal_runs_that_overlap_go_to_the_lower_suspect_index_first():
    a, b, c, d, e, f, x, y = range(10, 18)
    u = [a, b, c, d, e, f]
    s = [c, d, e, x, b, c, d, y]  # cde = u[2:5] at s 0, bcd = u[1:4] at s 4: both 3 long
    want = [(0, 2, 3)]
    assert reference_tiles(s, u, 3) == want
    assert as_tuples(tiling._seeded_tiles(ids(s), ids(u), 3, 48, 1, 1)) == want
    assert as_tuples(tiling._direct_tiles(ids(s), ids(u), 3, 48, 1, 1)) == want
