# SPDX-License-Identifier: Apache-2.0
"""``compare_models``: config, tokenizer, weight map, LFS pointers and weights of B against A."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .configs import compare_configs
from .files import locate
from .model import (
    ABSENT,
    DERIVED,
    IDENTICAL,
    INDEPENDENT,
    SAME_LAYOUT,
    ArtifactReport,
    Section,
)
from .tokenizers import compare_tokenizers
from .weightmap import compare_lfs, compare_weight_maps
from .weights import compare_weights

NOISE_COPY = "same weight map, same file sizes, other bytes: the noise-added copy's signature"


def overall(config: Section, tokenizer: Section, weights: Section,
            weight_map: Section | None = None, lfs: Section | None = None) -> tuple[str, str]:
    """The weights decide when present; then the LFS pointers and the weight map; config and
    tokenizer alone when the config carries renamed keys or both agree."""
    weight_map = weight_map or Section("weight_map", ABSENT)
    lfs = lfs or Section("lfs", ABSENT)
    compared = [s for s in (config, tokenizer, weight_map, lfs, weights)
                if s.verdict != ABSENT and s.figures]
    if compared and all(s.verdict == IDENTICAL for s in compared):
        return IDENTICAL, "every compared artifact identical"
    if weights.figures:
        if weights.verdict == IDENTICAL:
            return DERIVED, "identical weights, other config or tokenizer"
        return weights.verdict, f"weights: {weights.detail}"
    if lfs.verdict in (IDENTICAL, DERIVED):
        return DERIVED, f"LFS pointers: {lfs.detail}"
    if lfs.verdict == SAME_LAYOUT and weight_map.verdict in (IDENTICAL, DERIVED):
        if weight_map.verdict == DERIVED or config.verdict == DERIVED:
            return DERIVED, NOISE_COPY + (f"; {weight_map.detail}"
                                          if weight_map.verdict == DERIVED else "")
    if weight_map.verdict == DERIVED:
        return DERIVED, f"weight map: {weight_map.detail}"
    if config.verdict == DERIVED and config.figures.get("renamed_keys"):
        return DERIVED, f"config: {config.detail}"
    if config.figures and tokenizer.figures and INDEPENDENT not in (config.verdict,
                                                                  tokenizer.verdict):
        return DERIVED, "config and tokenizer agree (no weights compared)"
    return INDEPENDENT, "no weights compared; config or tokenizer differ"


def compare_models(a: str | Path, b: str | Path, base: str | Path | None = None,
                   full: bool = False, seed: int = 0) -> ArtifactReport:
    """Compare model B with model A (trees searched for model files, or single files; A may
    be a fingerprint file from ``attrib model fingerprint``).

    Raises SourceError if a path does not exist; every unreadable artifact inside is a
    recorded problem on its section instead.
    """
    from .fingerprint import compare_with_fingerprint, is_fingerprint, load_fingerprint

    if is_fingerprint(a):  # an upstream kept as a fingerprint: no tensor data to compare
        return compare_with_fingerprint(load_fingerprint(a), b, str(a))
    files_a, files_b = locate(a), locate(b)
    files_base = locate(base) if base is not None else None
    config = compare_configs(files_a.config, files_b.config)
    walk = files_a.problems + files_b.problems
    if walk:  # a bounded walk that stopped early: said once, on the first section
        config = dataclasses.replace(config, problems=config.problems + walk)
    tokenizer = compare_tokenizers(files_a, files_b)
    weight_map = compare_weight_maps(files_a, files_b)
    lfs = compare_lfs(files_a, files_b)
    weights = compare_weights(files_a, files_b, files_base, seed=seed, full=full)
    verdict, detail = overall(config, tokenizer, weights, weight_map, lfs)
    return ArtifactReport(str(a), str(b), None if base is None else str(base), seed, full,
                          config, tokenizer, weights, verdict, detail, weight_map=weight_map,
                          lfs=lfs, folders=(files_a.folders, files_b.folders))
