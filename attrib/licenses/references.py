# SPDX-License-Identifier: Apache-2.0
"""Reference texts and the words they are compared by.

Normalisation (copyright lines dropped, lowercase words, 5-word shingles) and the
reference data of ``attrib/data/licenses`` (its ``index.toml``, the texts, their shingles).
"""
from __future__ import annotations

import functools
import re
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHINGLE = 5
DATA = Path(__file__).parent.parent / "data" / "licenses"


@dataclass(frozen=True)
class _Reference:
    key: str  # SPDX id, without -only/-or-later when versioned
    versioned: bool
    core: frozenset[str]
    every: frozenset[str]  # core plus appendix shingles
    require: tuple[str, ...]
    notice: bool  # a standard short notice, not a licence text
    offsets: Mapping[str, tuple[int, ...]]  # where each shingle sits in the reference


# ---------------------------------------------------------------- copyright lines

_PREFIX = re.compile(r"^\s*(?:(?:#+|//+|/\*+|\*+/?|--+|;+|%+|!+|<!--|\.\.|'{3}|\"{3}|rem\b|dnl\b)\s*)*",
                     re.IGNORECASE)
_COPYRIGHT = re.compile(r"^(?:spdx-filecopyrighttext:\s*\S|©\s*\S|\(c\)\s*\d{4}"
                        r"|copyright\b\s*:?\s*(?:\(c\)|©|\d{4}|[<\[{]))", re.IGNORECASE)
_COPYRIGHT_NAMED = re.compile(  # "Copyright The Kubernetes Authors." (exact case: not "COPYRIGHT HOLDERS")
    r"^Copyright:?\s+(?!(?:holders?|owners?|notices?|licen[cs]es?|laws?|interest|statement)\b)[A-Z]")
_PLACEHOLDER = re.compile(r"[<\[{]\s*(?:yyyy|year|name|fullname|copyright|owner|author|holder)"
                          r"|\byear\s+name of author\b", re.IGNORECASE)
_CLOSER = re.compile(r"\s*(?:\*/|-->|\*+|#+|\"{3}|'{3})\s*$")


def _copyright_of(line: str) -> str | None:
    body = _PREFIX.sub("", line, count=1).strip()
    if not (_COPYRIGHT.match(body) or _COPYRIGHT_NAMED.match(body)):
        return None
    return " ".join(_CLOSER.sub("", body).split())


def copyright_lines(text: str, limit_lines: int = 60) -> tuple[str, ...]:
    """The copyright lines among the first ``limit_lines`` lines, comment prefixes stripped.

    Template lines ("Copyright [yyyy] [name of copyright owner]") and the
    licence texts' own notices (the FSF's) are left out.
    """
    found: dict[str, None] = {}
    for line in text.splitlines()[:limit_lines]:
        found_line = _copyright_of(line)
        if found_line and not _PLACEHOLDER.search(found_line) \
                and " ".join(_words(found_line, keep_copyright=True)[0]) not in _reference_copyrights():
            found.setdefault(found_line)
    return tuple(found)


# ---------------------------------------------------------------- normalisation

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")
_SAME = {"licence": "license", "licences": "licenses", "licenced": "licensed",
         "sublicence": "sublicense", "authorised": "authorized"}


def _words(text: str, keep_copyright: bool = False) -> tuple[list[str], list[int]]:
    """Normalised words of ``text`` and the 1-based line of each."""
    words: list[str] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not keep_copyright and _copyright_of(line):
            continue
        for w in _WORD.findall(line.lower()):
            words.append(_SAME.get(w, w))
            lines.append(number)
    return words, lines


def _flat(text: str) -> str:
    """Lowercase words for phrase rules: "+" reads "or later", "GPLv3" reads "gpl 3"."""
    t = re.sub(r"[^a-z0-9.]+", " ", text.lower().replace("+", " or later "))
    t = re.sub(r"(?<![0-9])\.|\.(?![0-9])", " ", t)
    t = re.sub(r"\b([a-z]+?)v(\d)", r"\1 \2", re.sub(r"\bv(\d)", r"\1", t))
    return " ".join(_SAME.get(w, w) for w in t.split())


_STOP = frozenset({"the", "license", "licenses", "version"})


def _reduce(name: str) -> str:
    return " ".join(w for w in _flat(name).split() if w not in _STOP)


def _shingles(words: list[str]) -> list[str]:
    return [" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]


# ---------------------------------------------------------------- reference data

@functools.lru_cache(maxsize=1)
def _index() -> dict[str, Any]:
    return tomllib.loads((DATA / "index.toml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _references() -> tuple[tuple[_Reference, ...], dict[str, tuple[int, ...]]]:
    """The reference texts and notices, and an inverted index shingle -> references."""
    refs: list[_Reference] = []
    for entry in _index()["license"]:
        text = (DATA / entry["text"]).read_text(encoding="utf-8")
        core, _, appendix = text.partition(entry.get("appendix", "\0"))
        require = tuple(" ".join(_words(p)[0]) for p in entry.get("require", ()))
        refs.append(_reference(entry, core, appendix, require, False))
        if "notice" in entry:
            notice = (DATA / entry["notice"]).read_text(encoding="utf-8")
            refs.append(_reference(entry, notice, "", (), True))
    index: dict[str, list[int]] = defaultdict(list)
    for number, ref in enumerate(refs):
        for shingle in ref.every:
            index[shingle].append(number)
    return tuple(refs), {k: tuple(v) for k, v in index.items()}


def _reference(entry: Mapping[str, Any], core: str, appendix: str,
               require: tuple[str, ...], notice: bool) -> _Reference:
    core_set = frozenset(_shingles(_words(core)[0]))
    offsets: dict[str, list[int]] = defaultdict(list)
    for offset, shingle in enumerate(_shingles(_words(core + "\n" + appendix)[0])):
        offsets[shingle].append(offset)
    every = core_set | frozenset(offsets)
    return _Reference(entry["id"], bool(entry.get("versioned")), core_set, every, require, notice,
                      {k: tuple(v) for k, v in offsets.items()})


@functools.lru_cache(maxsize=1)
def _reference_copyrights() -> frozenset[str]:
    found = set()
    for entry in _index()["license"]:
        for line in (DATA / entry["text"]).read_text(encoding="utf-8").splitlines():
            if _copyright_of(line):
                found.add(" ".join(_words(line, keep_copyright=True)[0]))
    return frozenset(found)


@functools.lru_cache(maxsize=1)
def _alias_pattern() -> re.Pattern[str]:
    names = sorted(_index()["aliases"], key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?P<name>" + "|".join(re.escape(n) for n in names) + r")"
                      r"(?P<later> or (?:at your option )?(?:any )?(?:later|newer)| only)?(?![\w.])")


def _incorporated() -> dict[str, str]:
    return {e["incorporates"]: e["id"] for e in _index()["license"] if "incorporates" in e}
