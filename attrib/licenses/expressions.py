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

# Bounds on an expression from untrusted input (an upstream's SPDX header, a config, an index):
# an AND of n two-way ORs expands to 2**n alternatives, and the rules engine looks at each
# (issue 11: a crafted header ran > 90 s).  Real expressions stay far below all three:
# the longest in the SPDX examples has 8 licences, 2 levels of parentheses, 4 alternatives.
MAX_EXPRESSION_CHARS = 2000
MAX_LICENCES = 100      # licence ids (leaves) in one expression
MAX_NESTING = 16        # levels of parentheses; keeps every recursive walk shallow
MAX_ALTERNATIVES = 256  # terms of the disjunctive normal form (choices a copier has)
_OPERATORS = frozenset({"AND", "OR", "WITH"})


def size_problem(expression: str) -> str | None:
    """Why ``expression`` is too large to parse safely, or None; checked before parsing."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        return f"longer than {MAX_EXPRESSION_CHARS} characters"
    depth = deepest = 0
    for char in expression:
        if char in "()":
            depth += 1 if char == "(" else -1
            deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        return f"nested deeper than {MAX_NESTING} parentheses"
    words = re.split(r"[\s()]+", expression)
    leaves = sum(1 for w in words if w and w.upper() not in _OPERATORS)
    if leaves > MAX_LICENCES:
        return f"more than {MAX_LICENCES} licence ids ({leaves})"
    return None


def alternatives(parsed: Any, limit: int = MAX_ALTERNATIVES) -> int:
    """How many alternatives a parsed expression expands to (its DNF terms), capped at limit + 1.

    Counted, never expanded: an OR adds its operands' counts, an AND multiplies them.
    """
    licensing = _licensing()
    if isinstance(parsed, licensing.OR):
        return min(sum(alternatives(a, limit) for a in parsed.args), limit + 1)
    if isinstance(parsed, licensing.AND):
        total = 1
        for arg in parsed.args:
            total = min(total * alternatives(arg, limit), limit + 1)
        return total
    return 1


def alternatives_problem(parsed: Any) -> str | None:
    """Why a parsed expression has too many alternatives to evaluate, or None."""
    if alternatives(parsed) > MAX_ALTERNATIVES:
        return f"expands to more than {MAX_ALTERNATIVES} alternatives (an AND of many ORs)"
    return None


@functools.lru_cache(maxsize=1)
def _licensing() -> Any:
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    return get_spdx_licensing()


def _normalise(expression: str) -> tuple[str | None, str]:
    """(normalised expression, "") or (None, what is wrong)."""
    problem = size_problem(expression)  # before the cache: keeps it small
    if problem:
        return None, f"too large: {problem}"
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
    problem = alternatives_problem(parsed)
    if problem:
        return None, f"too large: {problem}"
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
