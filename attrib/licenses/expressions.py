# SPDX-License-Identifier: Apache-2.0
"""SPDX expressions: parsing and normalising them, ``SPDX-License-Identifier`` headers, licence families."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError
from .common import MAX_BYTES, Detection
from .references import _incorporated, _index

FAMILIES = ("public-domain", "permissive", "weak-copyleft", "strong-copyleft",
            "network-copyleft", "unknown")  # mildest first; unknown ranks as strictest


# ---------------------------------------------------------------- SPDX expressions

_REF = re.compile(r"^(?:DocumentRef-[\w.-]+:)?LicenseRef-[\w.-]+$")


@functools.lru_cache(maxsize=1)
def _licensing() -> Any:
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    return get_spdx_licensing()


def _normalise(expression: str) -> tuple[str | None, str]:
    """(normalised expression, "") or (None, what is wrong)."""
    if len(expression) > 2000:  # not an expression; and keeps the cache small
        return None, "longer than 2000 characters"
    return _normalise_cached(expression)


@functools.lru_cache(maxsize=4096)
def _normalise_cached(expression: str) -> tuple[str | None, str]:
    text = " ".join(expression.split())
    if not text:
        return None, "empty expression"
    licensing = _licensing()
    try:
        parsed = licensing.parse(text, validate=False, strict=True)
        unknown = [k for k in licensing.unknown_license_keys(parsed) if not _REF.match(k)]
    except Exception as exc:  # noqa: BLE001 - license-expression raises several types on bad input
        return None, str(exc) or type(exc).__name__
    if parsed is None:
        return None, "empty expression"
    if unknown:
        return None, f"unknown licence id(s) {', '.join(unknown)}"
    return parsed.render(), ""


def validate_spdx(expression: str) -> str:
    """``expression`` normalised (``gpl-2.0`` -> ``GPL-2.0-only``), or ConfigError."""
    spdx, problem = _normalise(str(expression))
    if spdx is None:
        from .metadata import _from_name  # metadata imports this module: import on use

        hint = _from_name(str(expression))[0]
        tip = f" (did you mean {hint!r}?)" if hint else ""
        raise ConfigError(f"{expression!r} is not a valid SPDX licence expression: {problem}{tip}")
    return spdx


def _join(ids: Iterable[str], operator: str = "AND") -> str | None:
    """One expression of several, duplicates and incorporated licences dropped."""
    unique = list(dict.fromkeys(ids))
    bases = {_base(i) for i in unique}
    inside = {inner for inner, outer in _incorporated().items() if outer in bases}
    unique = [i for i in unique if _base(i) not in inside] or unique
    parts = [f"({p})" if " " in p and len(unique) > 1 else p for p in unique]
    return _normalise(f" {operator} ".join(parts))[0] if parts else None


def _base(spdx: str) -> str:
    return re.sub(r"-(?:only|or-later)$|\+$", "", spdx)


def _keys(spdx: str) -> frozenset[str]:
    return frozenset(_base(k) for k in _ids(spdx))


def license_family(spdx: str) -> str:
    """public-domain | permissive | weak-copyleft | strong-copyleft | network-copyleft | unknown.

    For an expression, the strictest family among its licences; "unknown"
    (an id attrib has no family for) counts as stricter than all.
    """
    normalised, _ = _normalise(str(spdx or ""))
    if normalised is None:
        return "unknown"
    families = {i: fam for fam, ids in _index()["families"].items() for i in ids}
    linking = set(_index()["linking_exceptions"]["ids"])
    found = []
    for part in re.split(r"\s+(?:AND|OR)\s+", normalised.replace("(", " ").replace(")", " ").strip()):
        name, _, exception = part.partition(" WITH ")
        family = families.get(name.strip(), "unknown")
        if family == "strong-copyleft" and exception.strip() in linking:
            family = "weak-copyleft"
        found.append(family)
    return max(found, key=FAMILIES.index)


def _ids(spdx: str) -> set[str]:
    return set(re.split(r"[\s()]+", spdx)) - {"AND", "OR", "WITH", ""}


_SPDX_HEADER = re.compile(r"SPDX-License-Identifier:[ \t]*([A-Za-z0-9(][A-Za-z0-9.+:() \t-]*)")


def spdx_headers(text: str, path: str = "") -> list[Detection]:
    """Every ``SPDX-License-Identifier:`` line; spdx None where the expression is invalid."""
    found = []
    for number, line in enumerate(text[:MAX_BYTES].splitlines(), 1):
        m = _SPDX_HEADER.search(line)
        if m:
            spdx, _ = _normalise(m.group(1).rstrip(" \t-:"))
            found.append(Detection(spdx, path, number, "spdx-header", 1.0 if spdx else 0.0))
    return found
