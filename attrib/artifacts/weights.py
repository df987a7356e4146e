# SPDX-License-Identifier: Apache-2.0
"""Compare two models' weights and say whether one is the other, perturbed or fine-tuned.

The noise signature: B = A + Gaussian noise leaves a difference B - A that is Gaussian (excess
kurtosis ~0) at one scale (absolute or relative to each tensor's spread) across all tensors. A
fine-tune's difference is structured: heavy-tailed and scaled differently layer by layer.
With a known public base, the correlation of the two models' deltas from it separates copying
the upstream (deltas correlate) from fine-tuning the same base independently (~0).
"""
from __future__ import annotations

import math
import statistics

import numpy as np

from .files import ModelFiles
from .model import (
    ABSENT,
    DERIVED,
    IDENTICAL,
    INDEPENDENT,
    SHARES_BASE,
    Problem,
    Section,
)
from .pairing import load_tensors, pair_tensors
from .stats import SAMPLE_ELEMENTS, Moments, chunks, match_rows, matched_moments
from .tensorfile import TensorRef

DERIVED_CORRELATION = 0.5   # median over tensors; independent weights sit near 0
DELTA_CORRELATION = 0.2     # deltas from a base: copies ~1, independent fine-tunes ~0
PERMUTE_BELOW = 0.3         # look for moved rows only where positions do not correlate
PERMUTE_MAX_ELEMENTS = 1 << 24
NOISE_MAX_CV = 0.35
# Pairs compared at most (issue 11: 100k tiny tensors took > 60 s, ~0.3 ms each and more for
# large ones); the largest checkpoints have a few thousand tensors, and medians over a
# couple of thousand pairs are as telling as over all.
MAX_COMPARED = 2048
NOISE_MAX_KURTOSIS = 1.0


def spread(items: list, count: int) -> list:
    """``count`` of ``items`` at even steps, first and last included (deterministic)."""
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def _r(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def _moment_figures(m: Moments) -> dict:
    x_std = m.x_std()
    return {"correlation": _r(m.correlation()), "rel_l2": _r(m.rel_l2()),
            "delta_std": _r(m.delta_std()), "delta_kurtosis": _r(m.kurtosis()),
            "rel_delta_std": _r(m.delta_std() / x_std) if x_std > 0 else None,
            "identical": m.equal, "samples": m.n}


def _with_base(ra: TensorRef, rb: TensorRef, rbase: TensorRef, seed: int, full: bool) -> dict:
    delta, a_base, b_base = Moments(), Moments(), Moments()
    for a, b, base in chunks((ra, rb, rbase), seed, full):
        delta.add(a - base, b - base)
        a_base.add(base, a)
        b_base.add(base, b)
    return {"delta_correlation": _r(delta.correlation()),
            "correlation_a_base": _r(a_base.correlation()),
            "correlation_b_base": _r(b_base.correlation())}


def _permuted(ra: TensorRef, rb: TensorRef, seed: int) -> dict | None:
    rows_b, rows_a, best = match_rows(ra, rb, seed)
    # the best of many random rows correlates ~sqrt(2 ln rows / width) by chance: stay above it
    floor = max(DERIVED_CORRELATION, 5 / math.sqrt(max(ra.size // ra.rows, 1)))
    if float(np.median(best)) < floor or np.array_equal(rows_a, rows_b):
        return None
    figures = _moment_figures(matched_moments(ra, rb, rows_b, rows_a))
    figures.update(permuted=True, moved_rows=round(float(np.mean(rows_a != rows_b)), 4))
    return figures


def compare_pair(ra: TensorRef, rb: TensorRef, rbase: TensorRef | None, seed: int,
                 full: bool) -> dict:
    """The figures of one tensor pair (a JSON-ready row)."""
    moments = Moments()
    for a, b in chunks((ra, rb), seed, full):
        moments.add(a, b)
    row = {"a": ra.name, "b": rb.name, "shape": list(ra.shape), "dtype": [ra.dtype, rb.dtype],
           **_moment_figures(moments), "permuted": False}
    corr = moments.correlation()
    if ((math.isnan(corr) and not moments.equal) or corr < PERMUTE_BELOW) and ra.rows > 1 \
            and (full or ra.size <= PERMUTE_MAX_ELEMENTS):
        row.update(_permuted(ra, rb, seed) or {})
    if rbase is not None:
        row.update(_with_base(ra, rb, rbase, seed, full))
    if not full and row.get("delta_std"):
        row["hist"] = _histogram(ra, rb, seed, row["delta_std"])
    return row


HIST_EDGES = [round(-5 + i * 0.25, 2) for i in range(41)]  # in units of the difference's std


def _histogram(ra: TensorRef, rb: TensorRef, seed: int, scale: float) -> list[int]:
    """Counts of the sampled differences B - A, standardised, over HIST_EDGES."""
    counts = np.zeros(len(HIST_EDGES) - 1, dtype=np.int64)
    for a, b in chunks((ra, rb), seed, False):
        d = (np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)) / scale
        counts += np.histogram(np.clip(d, -4.999, 4.999), bins=HIST_EDGES)[0]
    return counts.tolist()


def histogram_figure(rows: list[dict]) -> dict | None:
    """The pooled histogram of standardised differences, beside the standard Gaussian it
    would be for a copy plus Gaussian noise (the chart that exposed Llama3-V)."""
    hists = [r["hist"] for r in rows if r.get("hist")]
    if not hists:
        return None
    counts = np.sum(np.array(hists), axis=0)
    total, width = int(counts.sum()), HIST_EDGES[1] - HIST_EDGES[0]
    centres = [(lo + hi) / 2 for lo, hi in zip(HIST_EDGES, HIST_EDGES[1:])]
    gaussian = [total * width * math.exp(-c * c / 2) / math.sqrt(2 * math.pi) for c in centres]
    return {"edges": HIST_EDGES, "counts": counts.tolist(),
            "gaussian": [round(g, 3) for g in gaussian], "unit": "std of B - A"}


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.median(values), 6) if values else None


def _cv(values: list[float]) -> float | None:
    if len(values) < 2 or statistics.fmean(values) == 0:
        return None
    return round(statistics.pstdev(values) / statistics.fmean(values), 6)


def noise_signature(rows: list[dict]) -> dict:
    changed = [r for r in rows if not r["identical"] and r["delta_std"]]
    rel = [r["rel_delta_std"] for r in changed if r["rel_delta_std"] is not None]
    return {"changed_tensors": len(changed), "unchanged_tensors": len(rows) - len(changed),
            "delta_std_cv": _cv([r["delta_std"] for r in changed]),
            "rel_delta_std_cv": _cv(rel), "rel_delta_std_median": _median(changed, "rel_delta_std"),
            "delta_kurtosis_median": _median(changed, "delta_kurtosis")}


def _kind(noise: dict, rows: list[dict]) -> str:
    cvs = [c for c in (noise["delta_std_cv"], noise["rel_delta_std_cv"]) if c is not None]
    kurt = noise["delta_kurtosis_median"]
    gaussian = kurt is not None and abs(kurt) <= NOISE_MAX_KURTOSIS
    kind = "noise-perturbed" if gaussian and cvs and min(cvs) <= NOISE_MAX_CV else "fine-tuned"
    if any(r["permuted"] for r in rows):
        kind += ", rows permuted"
    return kind


def _verdict(figures: dict, rows: list[dict], complete: bool) -> tuple[str, str]:
    if rows and complete and all(r["identical"] for r in rows):
        return IDENTICAL, "every compared value equal"
    corr = figures["correlation_median"]
    derived = corr is not None and corr >= DERIVED_CORRELATION
    if figures.get("base"):
        base = figures["base"]
        on_base = all(c is not None and c >= DERIVED_CORRELATION
                      for c in (base["correlation_a_base"], base["correlation_b_base"]))
        if on_base and base["delta_correlation_median"] is not None:
            if base["delta_correlation_median"] >= DELTA_CORRELATION:
                return DERIVED, f"copied the upstream: {_kind(figures['noise'], rows)}"
            return SHARES_BASE, "fine-tuned from the same base independently"
    if derived:
        return DERIVED, _kind(figures["noise"], rows)
    return INDEPENDENT, "weights do not correlate"


def _base_figures(rows: list[dict]) -> dict:
    with_base = [r for r in rows if "delta_correlation" in r]
    return {"paired_with_base": len(with_base),
            "delta_correlation_median": _median(with_base, "delta_correlation"),
            "correlation_a_base": _median(with_base, "correlation_a_base"),
            "correlation_b_base": _median(with_base, "correlation_b_base")}


def compare_weights(files_a: ModelFiles, files_b: ModelFiles, files_base: ModelFiles | None,
                    seed: int = 0, full: bool = False) -> Section:
    problems: list[Problem] = []
    a, b = load_tensors(files_a, problems), load_tensors(files_b, problems)
    base = load_tensors(files_base, problems) if files_base else {}
    if not a or not b:
        none = not (files_a.weights or files_b.weights or files_a.checkpoints
                    or files_b.checkpoints)
        pointers = files_a.lfs or files_b.lfs
        detail = "" if none else "not compared"
        if pointers and none:
            detail = "not fetched: Git LFS pointers (compared as pointers and weight map)"
        return Section("weights", ABSENT if none else INDEPENDENT, detail, {}, tuple(problems))
    pairs, key_map, left_a, left_b = pair_tensors(a, b)
    paired = len(pairs)
    if paired > MAX_COMPARED:
        problems.append((str(files_b.root), f"{len(pairs)} tensor pairs: {MAX_COMPARED} "
                                            "compared, spread evenly over the names"))
        pairs = spread(pairs, MAX_COMPARED)
    base_of = {ra.name: rbase for ra, rbase, _ in pair_tensors(a, base)[0]} if base else {}
    rows = [compare_pair(ra, rb, base_of.get(ra.name), seed, full) for ra, rb, _ in pairs]
    for row, (_, _, how) in zip(rows, pairs):
        row["paired_by"] = how
    figures = {
        "seed": seed, "full": full, "sample_elements": None if full else SAMPLE_ELEMENTS,
        "tensors": [len(a), len(b)], "paired": paired, "compared": len(rows), "key_map": key_map,
        "unpaired_a": left_a[:20], "unpaired_b": left_b[:20],
        "correlation_median": _median(rows, "correlation"),
        "correlation_min": min((r["correlation"] for r in rows if r["correlation"] is not None),
                               default=None),
        "rel_l2_median": _median(rows, "rel_l2"),
        "noise": noise_signature(rows),
        "permuted": [r["b"] for r in rows if r["permuted"]],
    }
    if base:
        figures["base"] = _base_figures(rows)
    figures["histogram"] = histogram_figure(rows)
    for row in rows:
        row.pop("hist", None)
    figures["pairs"] = rows
    complete = not left_a and not left_b and not problems
    verdict, detail = _verdict(figures, rows, complete)
    return Section("weights", verdict, detail, figures, tuple(problems))
