# SPDX-License-Identifier: Apache-2.0
"""Compare two config.json files: which keys differ, and how telling the shared values are."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .common_values import COSMETIC_KEYS, shared_weight
from .files import load_object
from .model import ABSENT, DERIVED, IDENTICAL, INDEPENDENT, Problem, Section

DERIVED_SCORE = 0.6  # share of evidence weight held by identical values
DERIVED_RARE = 2     # and at least this many shared values outside the common table


def flatten(config: dict, prefix: str = "") -> dict[str, Any]:
    """Nested configs (text_config, vision_config) as dotted keys, cosmetic keys dropped."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if key in COSMETIC_KEYS:
            continue
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _load(path: Path | None, problems: list[Problem]) -> dict | None:
    return load_object(path, problems)


def model_types(config: dict, prefix: str = "") -> dict[str, Any]:
    found = {f"{prefix}model_type": config["model_type"]} if "model_type" in config else {}
    for key, value in config.items():
        if isinstance(value, dict):
            found.update(model_types(value, f"{prefix}{key}."))
    return found


def compare_configs(path_a: Path | None, path_b: Path | None) -> Section:
    problems: list[Problem] = []
    a, b = _load(path_a, problems), _load(path_b, problems)
    if a is None or b is None:
        verdict = ABSENT if path_a is None and path_b is None else INDEPENDENT
        return Section("config", verdict, "not compared" if problems or path_a or path_b else "",
                       {}, tuple(problems))
    return _section(a, b, problems)


def _section(a: dict, b: dict, problems: list[Problem]) -> Section:
    flat_a, flat_b = flatten(a), flatten(b)
    keys = sorted(set(flat_a) | set(flat_b))
    same = [k for k in keys if k in flat_a and k in flat_b and flat_a[k] == flat_b[k]]
    differ = {k: [flat_a.get(k), flat_b.get(k)] for k in keys if k not in same}
    weight = {k: shared_weight(k, flat_a[k]) for k in same}
    score = sum(weight.values()) / (sum(weight.values()) + len(differ)) if keys else 0.0
    types_a, types_b = model_types(a), model_types(b)
    renames = {k: [types_a.get(k), types_b.get(k)] for k in sorted(set(types_a) | set(types_b))
               if types_a.get(k) != types_b.get(k)}
    rare = sorted(k for k, w in weight.items() if w == 1.0)
    figures = {"identical_keys": same, "differing_keys": differ, "model_type_renamed": renames,
               "rare_shared_keys": rare,
               "evidence_score": round(score, 4)}
    if not differ:
        verdict, detail = IDENTICAL, "renamed model_type" if renames else ""
    elif score >= DERIVED_SCORE and len(rare) >= DERIVED_RARE:
        verdict, detail = DERIVED, f"{len(differ)} of {len(keys)} keys differ"
    else:
        verdict, detail = INDEPENDENT, f"{len(differ)} of {len(keys)} keys differ"
    return Section("config", verdict, detail, figures, tuple(problems))
