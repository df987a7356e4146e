# SPDX-License-Identifier: Apache-2.0
"""Sampled tensor values kept in a fingerprint, so weights compare with no upstream file at hand.

For each of up to MAX_SAMPLED tensors (spread evenly over the sorted names) a fingerprint keeps
SAMPLES values at positions drawn from a seed and the tensor's size alone. The suspect's tensor
paired with it (by name, renamed prefix or shape, as :mod:`.pairing` pairs files) is read at the
same positions, so the figures of :mod:`.weights` (correlation, the difference's spread and
kurtosis, hence the noise signature) come out of 256 values per tensor instead of 65,536: the
same verdicts on any real copy, at 1 KB per tensor. Rows moved within a tensor are not looked for.
"""
from __future__ import annotations

import base64

import numpy as np

from .files import ModelFiles
from .model import ABSENT, INDEPENDENT, Problem, Section
from .pairing import load_tensors, pair_tensors
from .stats import Moments
from .tensorfile import ITEMSIZE, MAX_RANK, TensorRef, open_flat, to_float32
from .weights import _median, _moment_figures, _verdict, noise_signature, spread

SAMPLES = 256
MAX_SAMPLED = 256
MAX_LISTED = 20


def positions(size: int, seed: int = 0) -> np.ndarray:
    """Sorted distinct flat positions: a function of the seed and the size only."""
    if size <= SAMPLES:
        return np.arange(size, dtype=np.int64)
    rng = np.random.default_rng([seed, size])
    return np.unique(rng.integers(0, size, SAMPLES, dtype=np.int64))


def read_sample(ref: TensorRef, seed: int = 0) -> np.ndarray:
    flat = open_flat(ref)
    return to_float32(np.asarray(flat[positions(ref.size, seed)]), ref.dtype)


def tensor_samples(files: ModelFiles, problems: list[Problem], seed: int = 0) -> dict | None:
    """The ``tensors`` entry of a fingerprint, or None when the model has no readable tensors."""
    tensors = load_tensors(files, problems)
    if not tensors:
        return None
    kept = []
    for name in spread(sorted(tensors), MAX_SAMPLED):
        ref = tensors[name]
        try:
            values = read_sample(ref, seed)
        except (OSError, ValueError) as exc:
            problems.append((ref.path, f"tensor {name!r}: {exc}"))
            continue
        kept.append({"name": name, "dtype": ref.dtype, "shape": list(ref.shape),
                     "values": base64.b64encode(values.astype("<f4").tobytes()).decode()})
    return {"seed": seed, "count": len(tensors), "samples": SAMPLES, "tensors": kept}


def valid_samples(entry: object) -> bool:
    """A ``tensors`` entry as :func:`tensor_samples` writes it (read from a shared file)."""
    if entry is None:
        return True
    if not (isinstance(entry, dict) and type(entry.get("seed")) is int
            and type(entry.get("count")) is int and isinstance(entry.get("tensors"), list)
            and len(entry["tensors"]) <= MAX_SAMPLED):
        return False
    return all(isinstance(t, dict) and isinstance(t.get("name"), str)
               and t.get("dtype") in ITEMSIZE and isinstance(t.get("shape"), list)
               and len(t["shape"]) <= MAX_RANK and all(type(d) is int and d >= 0
                                                       for d in t["shape"])
               and isinstance(t.get("values"), str) and len(t["values"]) <= 4 * SAMPLES * 2
               for t in entry["tensors"])


def _values(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text, validate=True), dtype="<f4").astype(np.float32)


def compare_samples(entry: dict | None, files_b: ModelFiles) -> Section:
    """The weights section of a suspect against a fingerprint's sampled values."""
    problems: list[Problem] = []
    if entry is None:
        return Section("weights", ABSENT, "not in the fingerprint (no tensors upstream)"
                       if files_b.weights or files_b.checkpoints else "")
    b = load_tensors(files_b, problems)
    if not b:
        return Section("weights", INDEPENDENT, "not compared: no readable tensors in B", {},
                       tuple(problems))
    kept = {t["name"]: t for t in entry["tensors"]}
    a = {n: TensorRef(n, "", t["dtype"], tuple(t["shape"]), 0) for n, t in kept.items()}
    pairs, key_map, left_a, left_b = pair_tensors(a, b)
    rows = []
    for ra, rb, how in pairs:
        xa = _values(kept[ra.name]["values"])
        xb = read_sample(rb, entry["seed"])
        if xa.shape != xb.shape:
            problems.append(("fingerprint", f"tensor {ra.name!r}: {xa.size} samples kept, "
                                            f"{xb.size} expected"))
            continue
        moments = Moments()
        moments.add(xa, xb)
        rows.append({"a": ra.name, "b": rb.name, "shape": list(ra.shape),
                     "dtype": [ra.dtype, rb.dtype], **_moment_figures(moments),
                     "permuted": False, "paired_by": how})
    figures = {"seed": entry["seed"], "full": False, "sample_elements": SAMPLES,
               "by": "values sampled in the fingerprint", "tensors": [entry["count"], len(b)],
               "paired": len(rows), "compared": len(rows), "key_map": key_map,
               "unpaired_a": left_a[:MAX_LISTED], "unpaired_b": left_b[:MAX_LISTED],
               "correlation_median": _median(rows, "correlation"),
               "correlation_min": min((r["correlation"] for r in rows
                                       if r["correlation"] is not None), default=None),
               "rel_l2_median": _median(rows, "rel_l2"), "noise": noise_signature(rows),
               "permuted": [], "histogram": None, "pairs": rows}
    complete = not left_a and len(b) == entry["count"] == len(rows) and not problems
    verdict, detail = _verdict(figures, rows, complete)
    return Section("weights", verdict, detail, figures, tuple(problems))
