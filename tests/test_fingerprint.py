# SPDX-License-Identifier: Apache-2.0
"""Fingerprints: datasketch's MinHash values, computed in bulk."""
from __future__ import annotations

import numpy as np

from attrib.engine.fingerprint import Params, band_keys, minhashes, shingle_hashes
from attrib.engine.lang import parse_file
from attrib.model import SourceFile, TokenStream
from attrib.engine.sources import blob_id

from helpers import COPY_PY, UPSTREAM_PY


def parsed(text: str, path: str = "m.py"):
    data = text.encode()
    return parse_file(SourceFile(path, blob_id(data), data))


def test_minhash_values_equal_datasketch():
    from datasketch import MinHash

    params = Params(normaliser="test")
    p = parsed(UPSTREAM_PY)
    rows, values = minhashes(p, params)
    hashes = shingle_hashes(p.stream, params.k)
    for row, i in enumerate(rows):
        f = p.fragments[i]
        m = MinHash(num_perm=params.num_perm, seed=params.seed, hashfunc=int, scheme="affine32")
        m.update_batch(hashes[f.tok_start:f.tok_end - params.k + 1].tolist())
        assert np.array_equal(m.hashvalues, values[row])


def test_text_shorter_than_k_makes_no_shingle():
    stream = TokenStream(("a", "b"), ("a", "b"), (1, 1), (False, False))
    assert len(shingle_hashes(stream, 6)) == 0


def test_renamed_copy_has_identical_fingerprints_for_identical_functions():
    params = Params(normaliser="test")
    a, b = parsed(UPSTREAM_PY), parsed(COPY_PY)
    _, va = minhashes(a, params)
    _, vb = minhashes(b, params)
    shared = {bytes(r) for r in va} & {bytes(r) for r in vb}
    assert shared  # e.g. sincos_table == make_table after normalisation


def test_tiny_fragments_are_not_fingerprinted():
    params = Params(normaliser="test", min_tokens=30)
    p = parsed("def f():\n    return 1\n")
    rows, _ = minhashes(p, params)
    assert rows == []


def test_band_keys_shape_and_determinism():
    params = Params(normaliser="test")
    _, values = minhashes(parsed(UPSTREAM_PY), params)
    keys = band_keys(values, params)
    assert keys.shape == (values.shape[0], params.bands)
    assert np.array_equal(keys, band_keys(values.copy(), params))
