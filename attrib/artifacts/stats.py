# SPDX-License-Identifier: Apache-2.0
"""Figures over paired tensors: correlation, relative difference, and the shape of B - A.

Sampling reads a seeded set of contiguous runs (whole rows where rows are short) from the memory
map, the same positions in both tensors, so memory stays bounded and a run can be repeated from
its seed. ``full`` streams every value in chunks instead. Sums are kept in float64.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from .tensorfile import TensorRef, open_flat, to_float32

SAMPLE_ELEMENTS = 1 << 16   # per tensor
RUN = 8192                  # longest contiguous run sampled
STREAM_CHUNK = 1 << 22      # elements per chunk in a full pass


@dataclass
class Moments:
    """Running sums for the Pearson correlation of x, y and the moments of d = y - x."""

    n: int = 0
    sx: float = 0.0
    sy: float = 0.0
    sxx: float = 0.0
    syy: float = 0.0
    sxy: float = 0.0
    sd: float = 0.0
    sd2: float = 0.0
    sd3: float = 0.0
    sd4: float = 0.0
    equal: bool = True

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        x, y = x.astype(np.float64), y.astype(np.float64)
        d = y - x
        d2 = d * d
        self.n += x.size
        self.sx, self.sy = self.sx + x.sum(), self.sy + y.sum()
        self.sxx, self.syy, self.sxy = self.sxx + x @ x, self.syy + y @ y, self.sxy + x @ y
        self.sd, self.sd2 = self.sd + d.sum(), self.sd2 + d2.sum()
        self.sd3, self.sd4 = self.sd3 + (d2 * d).sum(), self.sd4 + d2 @ d2
        self.equal = self.equal and bool(np.array_equal(x, y))

    def correlation(self) -> float:
        if self.n < 2:
            return math.nan
        cov = self.sxy - self.sx * self.sy / self.n
        var = (self.sxx - self.sx ** 2 / self.n) * (self.syy - self.sy ** 2 / self.n)
        return cov / math.sqrt(var) if var > 0 else math.nan

    def delta_std(self) -> float:
        if self.n < 2:
            return 0.0
        return math.sqrt(max(self.sd2 / self.n - (self.sd / self.n) ** 2, 0.0))

    def x_std(self) -> float:
        return math.sqrt(max(self.sxx / self.n - (self.sx / self.n) ** 2, 0.0)) if self.n else 0.0

    def rel_l2(self) -> float:
        return math.sqrt(self.sd2 / self.sxx) if self.sxx > 0 else (0.0 if self.sd2 == 0 else math.inf)

    def kurtosis(self) -> float:
        """Excess kurtosis of d (0 for a Gaussian)."""
        if self.n < 4:
            return math.nan
        mu, m2, m3, m4 = (self.sd / self.n, self.sd2 / self.n, self.sd3 / self.n, self.sd4 / self.n)
        var = m2 - mu * mu
        if var <= 0:
            return math.nan
        central4 = m4 - 4 * mu * m3 + 6 * mu * mu * m2 - 3 * mu ** 4
        return central4 / (var * var) - 3.0


def sample_index(ref: TensorRef, seed: int, budget: int = SAMPLE_ELEMENTS) -> np.ndarray:
    """Flat positions of the seeded sample of one tensor (same positions for every partner)."""
    run = min(ref.size // ref.rows or 1, RUN)
    runs = ref.size // run
    if ref.size <= budget or runs <= 1:
        return np.arange(ref.size)
    rng = np.random.default_rng([seed, zlib.crc32(ref.name.encode())])
    starts = np.sort(rng.choice(runs, size=min(runs, max(1, budget // run)), replace=False))
    return (starts[:, None] * run + np.arange(run)).ravel()


def read_values(ref: TensorRef, index: np.ndarray | slice) -> np.ndarray:
    return to_float32(open_flat(ref)[index], ref.dtype)


def chunks(refs: tuple[TensorRef, ...], seed: int, full: bool):
    """Aligned float32 value blocks of several same-shaped tensors (sampled or a full pass)."""
    if not full:
        index = sample_index(refs[0], seed)
        yield tuple(read_values(r, index) for r in refs)
        return
    for start in range(0, refs[0].size, STREAM_CHUNK):
        yield tuple(read_values(r, slice(start, start + STREAM_CHUNK)) for r in refs)


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    rows = rows.astype(np.float64) - rows.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def match_rows(a: TensorRef, b: TensorRef, seed: int, probes: int = 16):
    """For a few seeded rows of b, the best-correlated row of a (one streamed pass over a).

    Returns (b row ids, matching a row ids, their correlations).
    """
    width = a.size // a.rows
    rng = np.random.default_rng([seed, zlib.crc32(b.name.encode()), 1])
    rows_b = np.sort(rng.choice(a.rows, size=min(probes, a.rows), replace=False))
    flat_b = open_flat(b)
    probe = _unit_rows(np.stack([to_float32(flat_b[r * width:(r + 1) * width], b.dtype)
                                 for r in rows_b]))
    best, where = np.full(len(rows_b), -np.inf), np.zeros(len(rows_b), dtype=np.int64)
    step = max(1, STREAM_CHUNK // max(width, 1))
    for start in range(0, a.rows, step):
        block = read_values(a, slice(start * width, min(a.rows, start + step) * width))
        scores = _unit_rows(block.reshape(-1, width)) @ probe.T
        top = scores.max(axis=0)
        better = top > best
        where[better] = scores.argmax(axis=0)[better] + start
        best = np.maximum(best, top)
    return rows_b, where, best


def matched_moments(a: TensorRef, b: TensorRef, rows_b, rows_a) -> Moments:
    width = a.size // a.rows
    moments = Moments()
    flat_a, flat_b = open_flat(a), open_flat(b)
    for rb, ra in zip(rows_b, rows_a):
        moments.add(to_float32(flat_a[ra * width:(ra + 1) * width], a.dtype),
                    to_float32(flat_b[rb * width:(rb + 1) * width], b.dtype))
    return moments
