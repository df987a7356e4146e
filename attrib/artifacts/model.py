# SPDX-License-Identifier: Apache-2.0
"""The records of a model-artifact comparison: one section per artifact kind, one report.

Verdict words, as used here:
  identical   - the same values (weights: every compared value equal);
  derived     - one is the other changed: ``detail`` says how (noise-perturbed, fine-tuned);
  shares-base - both derive from the ``--base`` model, independently of each other;
  independent - no evidence that one comes from the other;
  same-layout - (LFS pointers) the same file sizes, other bytes: perturbed or fine-tuned;
  absent      - neither side has this artifact.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
IDENTICAL, DERIVED, SHARES_BASE, INDEPENDENT, ABSENT, SAME_LAYOUT = (
    "identical", "derived", "shares-base", "independent", "absent", "same-layout")

Problem = tuple[str, str]  # (path, message): bad input recorded, the comparison goes on


@dataclass(frozen=True)
class Section:
    """The comparison of one artifact kind (config, tokenizer, weights)."""

    name: str
    verdict: str
    detail: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class ArtifactReport:
    """Model B compared with model A (and optionally a public base both may start from)."""

    a: str
    b: str
    base: str | None
    seed: int
    full: bool
    config: Section
    tokenizer: Section
    weights: Section
    verdict: str
    detail: str = ""
    weight_map: Section = Section("weight_map", ABSENT)
    lfs: Section = Section("lfs", ABSENT)
    folders: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # where A's and B's files are
    rerun: str = ""  # the command that repeats this comparison, when not `model compare A B`

    @property
    def sections(self) -> tuple[Section, ...]:
        return (self.config, self.tokenizer, self.weight_map, self.lfs, self.weights)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(p for s in self.sections for p in s.problems)

    @property
    def is_copy(self) -> bool:
        return self.verdict in (IDENTICAL, DERIVED)
