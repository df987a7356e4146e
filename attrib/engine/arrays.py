# SPDX-License-Identifier: Apache-2.0
"""Array helpers for verification: sorted distinct values and shared counts.

Token ids and shingle hashes are :mod:`attrib.engine.fingerprint`'s own (re-exported
here), so verification and the index use one formula.
"""
from __future__ import annotations

import numpy as np

from .fingerprint import shingle_hashes, shingles_of_ids, token_ids

__all__ = ["distinct", "shared_count", "shingle_hashes", "shingles_of_ids", "token_ids"]

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
