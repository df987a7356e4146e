# SPDX-License-Identifier: Apache-2.0
"""Fingerprints: k-token shingles of a fragment, sketched with MinHash, cut into LSH bands.

The MinHash values are datasketch's (``MinHash(num_perm, seed, scheme="affine32")``
fed each shingle's 32-bit hash; ``tests/test_fingerprint.py`` checks equality),
but computed for all fragments of a file at once with numpy: one matrix of
permuted shingle hashes per file, then a minimum per fragment slice.  That
keeps datasketch's values while the hot path neither loops in Python per
fragment nor imports datasketch's package (whose ``__init__`` pulls in scipy).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from ..model import Fragment, ParsedFile, TokenStream

_MASK32 = np.uint64(0xFFFFFFFF)
_PRIME = np.uint64(1099511628211)  # FNV-64 prime, used to roll token ids into shingle hashes


@dataclass(frozen=True)
class Params:
    """Fingerprint parameters; an index stores them and refuses to mix others."""

    normaliser: str
    k: int = 6
    num_perm: int = 128
    bands: int = 64
    seed: int = 1
    min_tokens: int = 30  # smaller fragments are never indexed or matched alone

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    def as_dict(self) -> dict[str, str]:
        return {"normaliser": self.normaliser, "k": str(self.k), "num_perm": str(self.num_perm),
                "bands": str(self.bands), "seed": str(self.seed),
                "min_tokens": str(self.min_tokens), "scheme": "affine32"}


def default_params() -> Params:
    from .lang import normaliser_version

    return Params(normaliser=normaliser_version())


_token_ids: dict[str, int] = {}


def token_ids(texts: tuple[str, ...] | list[str]) -> np.ndarray:
    """A stable 32-bit id per token text (crc32), as uint64 for the rolling hash.

    One ``np.fromiter`` over a memo of the crc32 values: index build and verification
    convert every token of every blob, and storing ids one by one was most of that."""
    get = _token_ids.__getitem__
    try:
        return np.fromiter(map(get, texts), dtype=np.uint64, count=len(texts))
    except KeyError:
        for t in set(texts).difference(_token_ids):
            _token_ids[t] = zlib.crc32(t.encode("utf-8"))
        return np.fromiter(map(get, texts), dtype=np.uint64, count=len(texts))


def shingles_of_ids(ids: np.ndarray, k: int) -> np.ndarray:
    """The 32-bit hash of every k-token window of token ``ids`` (index i = tokens i..i+k-1)."""
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
    """The 32-bit hash of every k-token window of ``stream`` (index i = tokens i..i+k-1)."""
    return shingles_of_ids(token_ids(stream.texts), k)


def _fmix32(h: np.ndarray) -> np.ndarray:
    # MurmurHash3's 32-bit finalizer, as datasketch's affine32 scheme applies it.
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


_perm_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a odd, b) for ``seed``."""
    key = (num_perm, seed)
    if key not in _perm_cache:
        gen = np.random.RandomState(seed)
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        _perm_cache[key] = (a, b)
    return _perm_cache[key]


def eligible(fragment: Fragment, params: Params) -> bool:
    return fragment.size >= params.min_tokens


def minhashes(parsed: ParsedFile, params: Params) -> tuple[list[int], np.ndarray]:
    """MinHash values of the file's eligible fragments: (fragment indexes, uint32[F, num_perm])."""
    chosen = [i for i, f in enumerate(parsed.fragments) if eligible(f, params)]
    out = np.empty((len(chosen), params.num_perm), dtype=np.uint32)
    if not chosen:
        return chosen, out
    a, b = permutations(params.num_perm, params.seed)
    hashes = shingle_hashes(parsed.stream, params.k)
    with np.errstate(over="ignore"):
        permuted = _fmix32(hashes)[:, None] * a + b  # wraps mod 2**32, as datasketch does
    for row, i in enumerate(chosen):
        f = parsed.fragments[i]
        out[row] = permuted[f.tok_start:max(f.tok_start + 1, f.tok_end - params.k + 1)].min(axis=0)
    return chosen, out


def band_keys(values: np.ndarray, params: Params) -> np.ndarray:
    """One key per (fragment, band): the band's rows and its number, mixed, cut to 32 bits.

    Kept as int64 but in the signed 32-bit range, which SQLite stores in 4 bytes instead of 8
    (index format 4).  Two unrelated fragments then share a band key by chance with
    probability 2**-32 per band, and a candidate needs ``min_bands`` (2) shared bands of the
    same fragment: about 64**2 * 2**-64 per pair, never in practice.
    """
    f = values.shape[0]
    rows = values.reshape(f, params.bands, params.rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = np.arange(params.bands, dtype=np.uint64)[None, :] * np.uint64(0x9E3779B97F4A7C15)
        for r in range(params.rows):
            key = (key ^ rows[:, :, r]) * np.uint64(0xBF58476D1CE4E5B9)
            key ^= key >> np.uint64(31)
    return key.view(np.int64) >> np.int64(32)
