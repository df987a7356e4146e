# SPDX-License-Identifier: Apache-2.0
"""Compare two config.json files: which keys differ, and how telling the shared values are."""
from __future__ import annotations

from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from .common_values import COSMETIC_KEYS, shared_weight
from .files import load_object
from .model import ABSENT, DERIVED, IDENTICAL, INDEPENDENT, Problem, Section

DERIVED_SCORE = 0.6  # share of evidence weight held by identical values
DERIVED_RARE = 2     # and at least this many shared values outside the common table
NAME_SIMILAR = 0.5   # a common value pairs two renamed keys only when the names look alike
MAX_RENAME_KEYS = 2000  # keys on each side considered for renames
MAX_SAME_VALUE = 50     # keys on one side holding one value, beyond which none pairs by it
MAX_SIMILARITY_CALLS = 20_000  # name comparisons per config pair (~1 s at worst)


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


def _similarity(x: str, y: str) -> float:
    """How alike two key names are: their last components, and their whole paths."""
    leaf = SequenceMatcher(None, x.rsplit(".", 1)[-1], y.rsplit(".", 1)[-1]).ratio()
    return max(leaf, SequenceMatcher(None, x, y).ratio())


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, (list, dict)) else (type(value).__name__, value)


def pair_renamed_keys(only_a: dict[str, Any], only_b: dict[str, Any]) -> dict[str, str]:
    """Keys present on one side only, paired when they hold the same value: by a rare value
    both hold once, else by a renamed parent (``slice_config.* -> tiling.*``) or a similar name.

    A renamed key with an identical value is a sign of disguise, not two unrelated differences.
    """
    a_keys, b_keys = list(only_a)[:MAX_RENAME_KEYS], list(only_b)[:MAX_RENAME_KEYS]
    count_a = Counter(_hashable(only_a[k]) for k in a_keys)
    by_value: dict[Any, list[str]] = {}
    for kb in b_keys:
        by_value.setdefault(_hashable(only_b[kb]), []).append(kb)
    candidates, budget = [], MAX_SIMILARITY_CALLS
    for ka in a_keys:
        va = _hashable(only_a[ka])
        others = by_value.get(va, [])
        if len(others) > MAX_SAME_VALUE:  # a value many keys hold pairs nothing by itself
            continue
        for kb in others:
            unique = count_a[va] == 1 and len(others) == 1
            rare = shared_weight(ka, only_a[ka]) == 1.0 and shared_weight(kb, only_b[kb]) == 1.0
            budget -= 1
            sim = _similarity(ka, kb) if budget > 0 else 0.0
            if (rare and unique) or sim >= NAME_SIMILAR or (unique and sim >= NAME_SIMILAR / 2):
                candidates.append((unique and rare, sim, ka, kb))
    pairs: dict[str, str] = {}
    used = set()
    for _, _, ka, kb in sorted(candidates, key=lambda c: (-c[0], -c[1], c[2], c[3])):
        if ka not in pairs and kb not in used:
            pairs[ka] = kb
            used.add(kb)
    return dict(sorted(pairs.items()))


def renamed_prefixes(pairs: dict[str, str]) -> dict[str, str]:
    """Parent keys renamed consistently (two or more children moved together)."""
    moved = Counter((ka.rsplit(".", 1)[0], kb.rsplit(".", 1)[0]) for ka, kb in pairs.items()
                    if "." in ka and "." in kb and ka.rsplit(".", 1)[0] != kb.rsplit(".", 1)[0])
    return {f"{old}.*": f"{new}.*" for (old, new), n in sorted(moved.items()) if n >= 2}


def _section(a: dict, b: dict, problems: list[Problem]) -> Section:
    flat_a, flat_b = flatten(a), flatten(b)
    keys = sorted(set(flat_a) | set(flat_b))
    same = [k for k in keys if k in flat_a and k in flat_b and flat_a[k] == flat_b[k]]
    renamed = pair_renamed_keys({k: v for k, v in flat_a.items() if k not in flat_b},
                                {k: v for k, v in flat_b.items() if k not in flat_a})
    paired = set(renamed) | set(renamed.values())
    differ = {k: [flat_a.get(k), flat_b.get(k)] for k in keys if k not in same and k not in paired}
    weight = {k: shared_weight(k, flat_a[k]) for k in same}
    weight.update({f"{ka} -> {kb}": shared_weight(ka, flat_a[ka]) for ka, kb in renamed.items()})
    score = sum(weight.values()) / (sum(weight.values()) + len(differ)) if keys else 0.0
    types_a, types_b = model_types(a), model_types(b)
    renames = {k: [types_a.get(k), types_b.get(k)] for k in sorted(set(types_a) | set(types_b))
               if types_a.get(k) != types_b.get(k)}
    rare = sorted(k for k, w in weight.items() if w == 1.0)
    figures = {"identical_keys": same, "differing_keys": differ, "renamed_keys": renamed,
               "renamed_prefixes": renamed_prefixes(renamed), "model_type_renamed": renames,
               "rare_shared_keys": rare, "evidence_score": round(score, 4)}
    total = len(keys) - len(renamed)  # a renamed pair is one key
    if not differ and not renamed:
        verdict, detail = IDENTICAL, "renamed model_type" if renames else ""
    elif score >= DERIVED_SCORE and len(rare) >= DERIVED_RARE:
        verdict, detail = DERIVED, (f"{len(rare)} rare values shared, {len(renamed)} keys "
                                    f"renamed with their values, {len(differ)} of {total} "
                                    "keys differ")
    else:
        verdict, detail = INDEPENDENT, (f"{len(differ)} of {total} keys differ"
                                        + (f", {len(renamed)} renamed" if renamed else ""))
    return Section("config", verdict, detail, figures, tuple(problems))
