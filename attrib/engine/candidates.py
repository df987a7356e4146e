# SPDX-License-Identifier: Apache-2.0
"""Candidates: the upstream blobs worth tiling against each suspect file, from the LSH index.

Every eligible suspect fragment's MinHash band keys go to the index; a fragment
of an upstream blob sharing ``min_bands`` bands makes that blob a candidate, and
a file's candidates are ranked by the most bands any of its fragments shares (ties: by
blob id, so both stores give the same list).
"""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from ..model import ParsedFile
from .fingerprint import Params, band_keys, minhashes
from .index.base import Store
from .verify import MatchOptions


Focus = dict[str, frozenset[int]]  # path -> the lines a change adds


def candidates(store: Store, files: list[ParsedFile], params: Params,
               options: MatchOptions, focus: Focus | None = None) -> dict[int, list[str]]:
    """For each suspect file index, the upstream blob ids worth tiling, best first.

    With ``focus``, only fragments that touch the added lines ask the index
    (the whole file only when the change adds all of it).
    """
    rows: list[int] = []
    keys: list[np.ndarray] = []
    for fi, parsed in enumerate(files):
        chosen, values = minhashes(parsed, params)
        if focus is not None:
            keep = _focused(parsed, chosen, focus.get(parsed.path, frozenset()))
            values = values[keep]
        if len(values):
            keys.append(band_keys(values, params))
            rows += [fi] * len(values)
    if not keys:
        return {}
    hits = store.query(np.vstack(keys), options.min_bands)
    best: dict[int, Counter[str]] = defaultdict(Counter)
    for row, found in hits.items():
        counter = best[rows[row]]
        for (blob_id, _idx), n in found.items():
            counter[blob_id] = max(counter[blob_id], n)
    # ties by blob id: the same index gives the same candidates whatever order a store
    # returns its fragments in (SQLite and Redis differ)
    return {fi: [b for b, _ in sorted(c.items(), key=lambda bn: (-bn[1], bn[0]))
                 [:options.max_candidates]] for fi, c in best.items()}


def _focused(parsed: ParsedFile, chosen: list[int], lines: frozenset[int]) -> list[int]:
    """Rows of ``chosen`` fragments that touch ``lines`` (the file fragment: only if all added)."""
    whole = len(lines) >= parsed.line_count
    keep = []
    for row, i in enumerate(chosen):
        f = parsed.fragments[i]
        if f.kind == "module" and not whole:
            continue
        if any(n in lines for n in range(f.start_line, f.end_line + 1)):
            keep.append(row)
    return keep

