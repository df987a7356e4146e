# SPDX-License-Identifier: Apache-2.0
"""Token-id and shingle arrays for verification, computed without a per-token numpy store.

Verification turns the token texts of every candidate blob into ids (for
tiling) and into distinct shingle hashes (to rank candidates), a few hundred
blobs per scan.  :func:`attrib.engine.fingerprint.token_ids` assigns each id
into a numpy array one element at a time, which made those conversions most
of verification's own time.  Here the ids come from one ``np.fromiter`` over a
memo of the same crc32 values, and the shingles from those ids with the very
formula of :func:`attrib.engine.fingerprint.shingle_hashes`; the values are
identical (``tests/test_tiling.py`` checks both against the fingerprint
module), only cheaper to get.
"""
from __future__ import annotations

import zlib

import numpy as np

from ..model import TokenStream
from .fingerprint import _MASK32, _PRIME

_crc: dict[str, int] = {}


def token_ids(texts: tuple[str, ...] | list[str]) -> np.ndarray:
    """The ids :func:`attrib.engine.fingerprint.token_ids` gives, as one uint64 array."""
    get = _crc.__getitem__
    try:
        return np.fromiter(map(get, texts), dtype=np.uint64, count=len(texts))
    except KeyError:
        for t in set(texts).difference(_crc):
            _crc[t] = zlib.crc32(t.encode("utf-8"))
        return np.fromiter(map(get, texts), dtype=np.uint64, count=len(texts))


def shingles_of_ids(ids: np.ndarray, k: int) -> np.ndarray:
    """The 32-bit hash of every k-token window, as :func:`fingerprint.shingle_hashes`."""
    n = len(ids) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint32)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _PRIME + ids[j:j + n]
        h ^= h >> np.uint64(29)
    return (h & _MASK32).astype(np.uint32)


def shingle_hashes(stream: TokenStream, k: int) -> np.ndarray:
    """:func:`attrib.engine.fingerprint.shingle_hashes`, with the cheaper ids."""
    return shingles_of_ids(token_ids(stream.texts), k)


def shared_count(a: np.ndarray, b: np.ndarray) -> int:
    """How many values two sorted arrays of distinct values share (``len(intersect1d)``)."""
    if not len(a) or not len(b):
        return 0
    if len(a) > len(b):
        a, b = b, a
    at = np.searchsorted(b, a)
    at[at == len(b)] = 0
    return int(np.count_nonzero(b[at] == a))


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` (sorted distinct values), by one sort: numpy 2's hashing unique
    is many times slower on the small integer arrays verification makes."""
    if len(values) < 2:
        return values.copy()
    a = np.sort(values)
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]
