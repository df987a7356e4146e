# SPDX-License-Identifier: Apache-2.0
"""Licence texts: which reference texts, notices and "licensed under" statements a text holds.

The method is described in the package docstring (:mod:`attrib.licenses`).
"""
from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass

from .common import MAX_BYTES, Detection
from .expressions import _base, _join, spdx_headers
from .references import (
    _STOP,
    SHINGLE,
    _alias_pattern,
    _flat,
    _index,
    _Reference,
    _references,
    _shingles,
    _words,
    copyright_lines,
)

MIN_SCORE = 0.55  # containment a reference needs (tuned on benchmarks/licenses.py)
MIN_COVERAGE = 0.75  # share of a matched region's words in some matching shingle


@dataclass(frozen=True)
class _Found:
    key: str
    versioned: bool
    score: float
    first: int  # word positions of the text
    last: int
    start: int  # word positions of everything the reference accounts for
    end: int
    notice: bool = False  # the licence's standard short notice, not its text


# ---------------------------------------------------------------- licence texts

def _match(words: list[str]) -> list[_Found]:
    """The references a word list holds, greedily, best first (see the package docstring)."""
    refs, index = _references()
    hits: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pos, shingle in enumerate(_shingles(words)):
        for number in index.get(shingle, ()):
            hits[number].append((pos, shingle))
    padded = f" {' '.join(words)} "
    live = {n: h for n, h in hits.items()
            if all(f" {p} " in padded for p in refs[n].require)
            and _score(refs[n], h, set()) >= MIN_SCORE}
    used: set[int] = set()
    found: list[_Found] = []
    while live:
        scored = [(_score(refs[n], h, used), n) for n, h in live.items()]
        scored = [s for s in scored if s[0] >= MIN_SCORE]
        if not scored:
            break
        # the reference explaining most of the text first: a BSD-3-Clause copy
        # with its holder's name in clause 3 still holds more BSD-3 than BSD-2 shingles
        score, best = max(scored, key=lambda s: (round(s[0] * len(refs[s[1]].core)), s[0], -s[1]))
        ref, every = refs[best], live.pop(best)
        region = _region(ref, [(p, sh) for p, sh in every if p not in used])
        if region is None:
            continue
        found.append(_Found(ref.key, ref.versioned, min(score, 1.0), *region, ref.notice))
        used.update(p for p, _ in every)
    return sorted(found, key=lambda f: f.first)


def _score(ref: _Reference, hits: list[tuple[int, str]], used: set[int]) -> float:
    return len({s for p, s in hits if p not in used and s in ref.core}) / max(len(ref.core), 1)


def _region(ref: _Reference, hits: list[tuple[int, str]],
            gap: int = 100) -> tuple[int, int, int, int] | None:
    """Where the text is: (first, last word) of the first run of hits that
    follows the reference's order (gaps <= ``gap`` words), holds at least half as
    many hits as the largest run, and whose words are mostly covered by hits;
    then (first, last word) of all runs of some size, the stretch the reference
    accounts for.  None if no run qualifies.

    "Mostly covered" keeps an unknown licence that embeds a known one from
    reading as that one: NCSA holds all of MIT-0's words, MIT-CMU most of
    ISC's, but with clauses of their own in between; while a copy with one
    word in ten edited still has nine in ten words in some intact shingle.
    """
    runs: list[tuple[list[int], list[int]]] = []  # (hit positions, [offset in the reference])
    for pos, shingle in hits:
        offsets = ref.offsets[shingle]
        for positions, offset in reversed(runs[-8:]):  # the open runs, newest first
            at = bisect.bisect_left(offsets, offset[0] - SHINGLE)
            if pos - positions[-1] <= gap and at < len(offsets) and offsets[at] - offset[0] <= 4 * gap:
                positions.append(pos)  # goes on where the reference goes on
                offset[0] = offsets[at]
                break
        else:  # a new copy, or a stray phrase (one the reference repeats elsewhere)
            runs.append(([pos], [offsets[0]]))
    most = max(len(r[0]) for r in runs)
    big = [r[0] for r in runs if len(r[0]) >= 10] or [r[0] for r in runs]
    for positions, _ in runs:
        words = positions[-1] + SHINGLE - positions[0]
        covered = SHINGLE + sum(min(b - a, SHINGLE) for a, b in itertools.pairwise(positions))
        if 2 * len(positions) >= most and covered >= MIN_COVERAGE * words:
            return positions[0], positions[-1] + SHINGLE - 1, big[0][0], big[-1][-1] + SHINGLE - 1
    return None


_NOTICE = re.compile(r"\b(?:version|[al]?gpl) (?P<v>\d+(?:\.\d+)?)(?: [a-z]+){0,4}?"
                     r" (?P<how>or(?: [a-z]+){0,4}? (?:later|newer)|only)\b")
_TEMPLATE = "one line to give the"  # the how-to-apply appendix's placeholder before its notice


def _suffix(flat: str, base: str) -> tuple[str, bool]:
    """("-only" | "-or-later", whether a notice said so) for a GPL-family base id.

    Notices inside licence texts do not count: the template in the GPL's
    how-to-apply appendix, and mentions such as MPL-2.0 §3.3's "Version 3.0,
    or any later versions of those licenses".
    """
    major = base.split("-")[1].split(".")[0]
    words = flat.split()
    hows = []
    for m in _NOTICE.finditer(flat):
        at = flat.count(" ", 0, m.start())
        around = _shingles(words[max(0, at - SHINGLE + 1):at + SHINGLE])
        in_text = sum(s in _licence_prose() for s in around) * 2 > len(around)
        template = _TEMPLATE in flat[max(0, m.start() - 400):m.start()]
        if m["v"].split(".")[0] == major and not (in_text or template):
            hows.append(m["how"])
    if any(h.startswith("or") for h in hows):
        return "-or-later", True
    return "-only", bool(hows)


def _is_prose(words: list[str]) -> bool:
    """True if most of these words are a licence's own terms (MPL-2.0 §3.3 names the GPLs)."""
    shingles = _shingles(words)
    return sum(s in _licence_prose() for s in shingles) * 2 > len(shingles) > 0


@functools.lru_cache(maxsize=1)
def _licence_prose() -> frozenset[str]:
    """Shingles of the licence texts' terms that no standard notice has."""
    refs = _references()[0]
    notices = frozenset().union(*(r.every for r in refs if r.notice))
    return frozenset().union(*(r.core for r in refs if not r.notice)) - notices


_DUAL = re.compile(r"\bdual(?:ly)? ?licensed\b|\beither of\b|\bat your (?:option|choice)\b(?! any later)"
                   r"|\byour choice of\b|\bchoose (?:either|between|one of)\b|\bmulti ?licensed\b"
                   r"|\bunder either\b")


def _dual(words: list[str], lines: list[int], before: int | None) -> bool:
    """True if the text offers a choice of licences ("dual licensed", "either of ...").

    With licence texts, the statement must come before the first one, in the
    file's first 25 lines or at most 25 lines above it: a bundle of third-party
    licences may hold a dual-licensed part.
    Phrases inside a licence text (GPL-3.0 §14: "either of that numbered
    version") do not count: most 5-word shingles around them are in a reference.
    """
    index = _references()[1]
    joined = " ".join(words)
    for m in _DUAL.finditer(joined):
        at = joined.count(" ", 0, m.start())
        line = lines[at]
        if before is not None and not (line <= before and (line <= 25 or line >= before - 25)):
            continue
        around = _shingles(words[max(0, at - SHINGLE + 1):at + SHINGLE])
        if sum(s in index for s in around) * 2 <= len(around):
            return True
    return False


_GRANT = re.compile(r"\b(?:licensed|released|distributed|available|published|offered|provided|"
                    r"covered|governed|made available)(?: \w+){0,2}? under\b|\bdual(?:ly)? ?licensed\b"
                    r"|\bunder (?:the )?terms of\b|^license |\bpublic domain\b")
_SENTENCE = re.compile(r"[.!?;](?=\s)|\n\s*\n")


def _named(text: str) -> list[str]:
    """Licences named in "licensed under ..." statements of ``text``, in order."""
    found: list[str] = []
    aliases = _index()["aliases"]
    versioned = {e["id"] for e in _index()["license"] if e.get("versioned")}
    sentences = [" ".join(w for w in _flat(s).split() if w != "the") for s in _SENTENCE.split(text)]
    for number, flat in enumerate(sentences):
        grant = _GRANT.search(flat)
        if not grant or _is_prose(_words(flat)[0]):
            continue
        # the name may follow in the next sentence: "... to the public domain. See <CC0's URL>"
        rest = flat[grant.end():] + " " + "".join(sentences[number + 1:number + 2])
        rest = re.sub(r"\bas published by free software foundation\b|\beither\b", " ", rest)
        rest = " ".join(w for w in rest.split() if w not in _STOP)
        for m in _alias_pattern().finditer(rest):
            spdx = aliases[m["name"]]
            if spdx in versioned:
                later = (m["later"] or "").startswith(" or") or _suffix(flat, spdx)[0] == "-or-later"
                spdx += "-or-later" if later else "-only"
            found.append(spdx)
    return found


def _detect(text: str) -> tuple[str | None, float, int, frozenset[str]]:
    """(expression, confidence, line, GPL-family bases whose suffix was a default)."""
    text = text[:MAX_BYTES]
    words, lines = _words(text)
    found = _match(words) if len(words) >= SHINGLE else []
    flat = _flat(text)
    covered = {n for f in found for n in range(lines[f.start], lines[f.end] + 1)}
    rest = "\n".join(line for n, line in enumerate(text.splitlines(), 1) if n not in covered)
    ids: list[str] = []
    defaulted: set[str] = set()
    for f in found:
        spdx = f.key
        if f.versioned:
            suffix, explicit = _suffix(flat, f.key)
            spdx += suffix
            if not explicit:
                defaulted.add(f.key)
        ids.append(spdx)
    named = [n for n in _named(rest) if _base(n) not in {f.key for f in found}]
    operator = "OR" if _dual(words, lines, lines[found[0].first] if found else None) else "AND"
    expression = _join(ids + named, operator)
    if expression is None:
        return None, 0.0, 0, frozenset()
    confidence = min([f.score for f in found] + [0.6] * bool(named))
    line = lines[found[0].first] if found else _first_line(text, _GRANT_RAW)
    return expression, round(confidence, 3), line, frozenset(defaulted)


_GRANT_RAW = re.compile(r"licen[cs]ed|released|distributed|available|under the terms", re.IGNORECASE)


def _first_line(text: str, pattern: re.Pattern[str]) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            return number
    return 1


def full_texts(text: str) -> frozenset[str]:
    """The licences whose full text ``text`` holds (matched against the reference texts),
    whatever else it says: an SPDX line or a "licensed under" sentence names a licence
    without carrying it, and so does the GPL's "This program is free software ... see
    <https://www.gnu.org/licenses/>" notice, which points to the licence it is not."""
    words, _ = _words(text[:MAX_BYTES])
    found = _match(words) if len(words) >= SHINGLE else []
    return frozenset(f.key for f in found if f.score >= 0.9 and not f.notice)


def detect_license_text(text: str, path: str = "") -> Detection:
    """What a licence file's text is (full texts, notices, "licensed under" statements)."""
    return _license_file(text, path)[0]


def _license_file(text: str, path: str) -> tuple[Detection, frozenset[str]]:
    text = text[:MAX_BYTES]
    spdx, confidence, line, defaulted = _detect(text)
    source = "license-file" if path else "text"
    if spdx is None:  # a licence file holding just an SPDX header
        headers = [d for d in spdx_headers(text, path) if d.spdx]
        if headers:
            spdx, line, confidence = _join(d.spdx for d in headers if d.spdx), headers[0].line, 1.0
    copyrights = copyright_lines(text, limit_lines=10**9)
    return Detection(spdx, path, line, source, confidence, copyrights), defaulted


def detect_text(text: str) -> str | None:
    """The SPDX expression of a licence text or header, or None."""
    headers = [d.spdx for d in spdx_headers(text[:MAX_BYTES]) if d.spdx]
    if headers:
        return _join(headers)
    return detect_license_text(text).spdx
