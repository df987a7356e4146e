# SPDX-License-Identifier: Apache-2.0
"""``compare_models``: config, tokenizer and weights of model B against model A."""
from __future__ import annotations

from pathlib import Path

from .configs import compare_configs
from .files import locate
from .model import ABSENT, DERIVED, IDENTICAL, INDEPENDENT, ArtifactReport, Section
from .tokenizers import compare_tokenizers
from .weights import compare_weights


def overall(config: Section, tokenizer: Section, weights: Section) -> tuple[str, str]:
    """The weights decide when present; config and tokenizer alone only when both agree."""
    compared = [s for s in (config, tokenizer, weights) if s.verdict != ABSENT and s.figures]
    if compared and all(s.verdict == IDENTICAL for s in compared):
        return IDENTICAL, "every compared artifact identical"
    if weights.figures:
        if weights.verdict == IDENTICAL:
            return DERIVED, "identical weights, other config or tokenizer"
        return weights.verdict, f"weights: {weights.detail}"
    if config.figures and tokenizer.figures and INDEPENDENT not in (config.verdict,
                                                                  tokenizer.verdict):
        return DERIVED, "config and tokenizer agree (no weights compared)"
    return INDEPENDENT, "no weights compared; config or tokenizer differ"


def compare_models(a: str | Path, b: str | Path, base: str | Path | None = None,
                   full: bool = False, seed: int = 0) -> ArtifactReport:
    """Compare model B with model A (directories or single files).

    Raises SourceError if a path does not exist; every unreadable artifact inside is a
    recorded problem on its section instead.
    """
    files_a, files_b = locate(a), locate(b)
    files_base = locate(base) if base is not None else None
    config = compare_configs(files_a.config, files_b.config)
    tokenizer = compare_tokenizers(files_a, files_b)
    weights = compare_weights(files_a, files_b, files_base, seed=seed, full=full)
    verdict, detail = overall(config, tokenizer, weights)
    return ArtifactReport(str(a), str(b), None if base is None else str(base), seed, full,
                          config, tokenizer, weights, verdict, detail)
