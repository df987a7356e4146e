# SPDX-License-Identifier: Apache-2.0
"""Licence detection: SPDX ids from licence files, SPDX headers and packaging metadata.

Licence *texts* are recognised by comparing them with the reference texts
shipped in ``attrib/data/licenses`` (listed in its ``index.toml``):

1. Normalise: drop copyright lines (they differ in every copy), lowercase,
   keep only words (``[a-z0-9]`` runs, ``2.1`` kept whole), so comment
   prefixes (``#``, `` * ``, ``//``), punctuation, Markdown and line wrapping
   all vanish; "licence" is read as "license".
2. Cut the words into overlapping 5-word shingles.  A reference's score in a
   candidate is *containment*: the share of the reference's core shingles
   (the text without its optional how-to-apply appendix or exhibits) found in
   the candidate.  Extra text around it (a second licence, a preamble, an
   edited copyright holder) does not lower it; a missing appendix does not
   either; an edited word costs only the five shingles that hold it.
3. Pick greedily: the reference with most shingles found wins and the
   candidate positions it explains are used up; the others are scored again
   on what is left.  So BSD-3-Clause, which contains all of BSD-2-Clause,
   beats it (even with a holder's name in clause 3), AGPL-3.0 beats GPL-3.0
   on an AGPL text, and MIT followed by Apache-2.0 yields both.  A winner
   must also cover most words of its region (the run of hits that follows
   the reference's order): NCSA holds every word of MIT-0 but has clauses of
   its own in between, so it is not MIT-0.  Look-alikes also need their
   distinguishing phrase (``require`` in the index: ISC's "permission notice
   appear in all copies", which 0BSD lacks; BSD-3-Clause's clause 3).
4. GPL-family texts are the same for "-only" and "-or-later": the suffix
   comes from a notice ("either version 3 of the License, or (at your
   option) any later version", "GPL-2.0+", "version 2 only"), never from the
   template notice inside the licence's own how-to-apply appendix.  A bare
   text with no notice is reported "-only": the text alone grants no more
   than that version (GPL-3.0 §14 lets the *program* opt into later versions;
   the text does not), "-only" is the stricter reading for compatibility
   checks, and it is what ScanCode (key ``gpl-3.0``, SPDX ``GPL-3.0-only``)
   and licensee (``GPL-3.0``, SPDX's deprecated id for ``GPL-3.0-only``)
   report for a bare text.  A tree's metadata or
   SPDX headers naming the same licence "-or-later" upgrade it.
5. Several licences in one file join with AND, or with OR when a statement
   just above the texts (or at the top of the file) offers a choice ("dual
   licensed", "either of", "at your choice"); a bundle of third-party
   licences stays AND even if one of its parts is dual-licensed.  Statements
   without a text ("Licensed under the MIT License", "released under the
   GPLv3+") are read by name, and only after a grant ("licensed under",
   "distributed under the terms of"): prose that merely names licences is
   not a licence.

Names and expressions are parsed and normalised with ``license-expression``'s
SPDX licensing (``GPL-2.0`` -> ``GPL-2.0-only``, ``mit`` -> ``MIT``); free-text
names ("Apache 2.0", "GPLv3+") and trove classifiers go through the tables in
the index.  Input is untrusted: bytes are decoded defensively, at most
200 KB are read, and malformed content never raises.
"""
from __future__ import annotations

import bisect
import configparser
import functools
import itertools
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import Source

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_BYTES = 200_000  # read at most this much of any file
HEADER_BYTES = 8_192  # SPDX headers are looked for near the top of tree files
SHINGLE = 5
MIN_SCORE = 0.55  # containment a reference needs (tuned on benchmarks/licenses.py)
MIN_COVERAGE = 0.75  # share of a matched region's words in some matching shingle
DATA = Path(__file__).parent / "data" / "licenses"
FAMILIES = ("public-domain", "permissive", "weak-copyleft", "strong-copyleft",
            "network-copyleft", "unknown")  # mildest first; unknown ranks as strictest
NOTICE_NAMES = frozenset({"notice", "notice.txt", "notice.md"})
_LICENSE_FILE = re.compile(r"^(?:[\w.-]*[-_.])?(?:un)?(?:licen[cs]es?|copying)(?:[-_.][\w.-]*)?$",
                           re.IGNORECASE)
_CODE_EXT = frozenset({"py", "js", "ts", "go", "rs", "c", "h", "java", "rb", "json", "toml", "yml",
                       "yaml", "cfg", "ini", "sh", "php", "cs", "cpp", "kt", "swift", "pyc"})


@dataclass(frozen=True)
class Detection:
    """One licence statement found in a file."""

    spdx: str | None  # normalised SPDX expression; None: seen but not recognised
    path: str  # file it came from ("" for text)
    line: int  # 1-based line where the text/header/key starts (0: nowhere)
    source: str  # license-file | spdx-header | metadata | text
    confidence: float  # 0..1
    copyrights: tuple[str, ...] = ()


@dataclass(frozen=True)
class TreeLicense:
    """The licence of a source tree and the evidence for it."""

    spdx: str | None
    detections: tuple[Detection, ...]
    license_files: tuple[str, ...]
    notice_files: tuple[str, ...]


@dataclass(frozen=True)
class _Reference:
    key: str  # SPDX id, without -only/-or-later when versioned
    versioned: bool
    core: frozenset[str]
    every: frozenset[str]  # core plus appendix shingles
    require: tuple[str, ...]
    notice: bool  # a standard short notice, not a licence text
    offsets: Mapping[str, tuple[int, ...]]  # where each shingle sits in the reference


@dataclass(frozen=True)
class _Found:
    key: str
    versioned: bool
    score: float
    first: int  # word positions of the text
    last: int
    start: int  # word positions of everything the reference accounts for
    end: int


# ---------------------------------------------------------------- decoding

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode(data: bytes, limit: int = MAX_BYTES) -> str:
    """Text of untrusted bytes: BOM sniffing, then UTF-8, then latin-1; "" for binary."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):len(bom) + limit].decode(codec, "replace")
    chunk = data[:limit]
    if b"\0" in chunk[:8192]:
        return _bomless_utf16(chunk)
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(data) > limit and exc.start >= len(chunk) - 3:  # cut inside a character
            return chunk[:exc.start].decode("utf-8", "replace")
        return chunk.decode("latin-1")


def _bomless_utf16(chunk: bytes) -> str:
    sample = chunk[:512]
    half = len(sample) // 2
    for codec, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if half and zeros.count(0) >= 0.9 * half:  # ASCII text as UTF-16
            return chunk.decode(codec, "replace")
    return ""


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


# ---------------------------------------------------------------- licence texts

def _match(words: list[str]) -> list[_Found]:
    """The references a word list holds, greedily, best first (see the module docstring)."""
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
        found.append(_Found(ref.key, ref.versioned, min(score, 1.0), *region))
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


# ---------------------------------------------------------------- packaging metadata

_OR = re.compile(r"\s*(?:/|,|\bor\b(?! (?:at your option |any )*(?:later|newer)))\s*", re.IGNORECASE)


def _from_name(value: str) -> tuple[str | None, float]:
    """A free-text licence name or expression as SPDX, with a confidence."""
    if len(value.split()) > 12:  # a whole licence text in a metadata field
        found = detect_license_text(value)
        return found.spdx, found.confidence
    spdx, _ = _normalise(value)
    if spdx:
        return spdx, 1.0
    parts, operator = [value], "OR"
    if _alias(value) is None:  # "MIT/Apache-2.0", "BSD or GPLv2+", "MIT and ISC"
        parts = _OR.split(value)
        if len(parts) == 1:
            parts, operator = re.split(r"\s+and\s+", value, flags=re.IGNORECASE), "AND"
    ids = [_alias(p) for p in parts if p.strip()]
    if not ids or None in ids:
        return None, 0.0
    return _join([i for i in ids if i], operator), 0.9


def _alias(name: str) -> str | None:
    spdx, _ = _normalise(name)
    if spdx:
        return spdx
    m = _alias_pattern().fullmatch(_reduce(name))
    if not m:
        return None
    spdx = _index()["aliases"][m["name"]]
    if any(e["id"] == spdx and e.get("versioned") for e in _index()["license"]):
        spdx += "-or-later" if (m["later"] or "").startswith(" or") else "-only"
    return spdx


def _line_of(text: str, pattern: str) -> int:
    return _first_line(text, re.compile(pattern, re.MULTILINE))


def _named_file(value: str, files: Mapping[str, bytes], path: str, line: int) -> Detection:
    data = files.get(value.strip().lstrip("./"))
    found = detect_license_text(decode(data)) if data is not None else None
    return Detection(found.spdx if found else None, path, line, "metadata",
                     found.confidence if found else 0.0)


def _value(value: object, files: Mapping[str, bytes], path: str, line: int) -> Detection | None:
    """A ``license`` value: a string, {text=...}, {file=...} or npm's {type=...}."""
    if isinstance(value, dict):
        if isinstance(value.get("file"), str):
            return _named_file(value["file"], files, path, line)
        value = value.get("text", value.get("type"))
    if not isinstance(value, str) or not value.strip():
        return None
    see = re.match(r"\s*(?:see licen[cs]e in|file:)\s*(\S+)", value, re.IGNORECASE)
    if see:
        return _named_file(see.group(1), files, path, line)
    spdx, confidence = _from_name(value)
    return Detection(spdx, path, line, "metadata", confidence)


def _classifiers(values: object, text: str, path: str) -> list[Detection]:
    table = _index()["classifiers"]
    found = []
    for c in values if isinstance(values, list) else []:
        name = " ".join(str(c).split())
        if name in table:
            found.append(Detection(table[name], path, _line_of(text, re.escape(name)), "metadata", 0.8))
    return found


_Found2 = tuple[list[Detection], list[Detection]]  # (declared licence fields, classifiers)


def _table(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _pyproject(text: str, files: Mapping[str, bytes]) -> _Found2:
    doc = tomllib.loads(text)
    project = _table(doc, "project")
    poetry = _table(_table(doc, "tool"), "poetry")
    line = _line_of(text, r"^\s*license\s*=")
    found = [_value(project.get("license"), files, "pyproject.toml", line),
             _value(poetry.get("license"), files, "pyproject.toml", line)]
    return [d for d in found if d], _classifiers(project.get("classifiers"), text, "pyproject.toml")


def _setup_cfg(text: str, files: Mapping[str, bytes]) -> _Found2:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    if not parser.has_section("metadata"):
        return [], []
    meta = parser["metadata"]
    found = _value(meta.get("license"), files, "setup.cfg", _line_of(text, r"^\s*license\s*[=:]"))
    classifiers = [c for c in meta.get("classifiers", "").splitlines() if c.strip()]
    return [found] if found else [], _classifiers(classifiers, text, "setup.cfg")


def _package_json(text: str, files: Mapping[str, bytes]) -> _Found2:
    doc = json.loads(text)
    if not isinstance(doc, dict):
        return [], []
    line = _line_of(text, r'"licen[cs]es?"\s*:')
    value = doc.get("license")
    if value is None and isinstance(doc.get("licenses"), list):  # the old npm form
        names = [v.get("type") for v in doc["licenses"] if isinstance(v, dict)]
        value = " OR ".join(n for n in names if isinstance(n, str))
    if isinstance(value, str) and value.strip().upper() == "UNLICENSED":  # npm: all rights reserved
        return [Detection(None, "package.json", line, "metadata", 0.0)], []
    found = _value(value, files, "package.json", line)
    return [found] if found else [], []


def _cargo(text: str, files: Mapping[str, bytes]) -> _Found2:
    package = tomllib.loads(text).get("package")
    if not isinstance(package, dict):
        return [], []
    if isinstance(package.get("license-file"), str) and "license" not in package:
        return [_named_file(package["license-file"], files, "Cargo.toml",
                            _line_of(text, r"^\s*license-file\s*="))], []
    found = _value(package.get("license"), files, "Cargo.toml", _line_of(text, r"^\s*license\s*="))
    return [found] if found else [], []


_METADATA = {"pyproject.toml": _pyproject, "setup.cfg": _setup_cfg,
             "package.json": _package_json, "Cargo.toml": _cargo}
_PARSE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, RecursionError, configparser.Error)


def detect_metadata(files: Mapping[str, bytes]) -> list[Detection]:
    """Licences declared in pyproject.toml, setup.cfg, package.json and Cargo.toml at the root.

    ``files`` maps root-relative paths to contents; a ``{file = ...}`` value
    is looked up in it.  A file that does not parse is skipped.  Licence
    fields come before trove classifiers.
    """
    declared, classified = _metadata(files)
    return declared + classified


def _metadata(files: Mapping[str, bytes]) -> _Found2:
    declared: list[Detection] = []
    classified: list[Detection] = []
    for name, parse in _METADATA.items():
        data = files.get(name)
        if data is None:
            continue
        try:  # tomllib.TOMLDecodeError and json.JSONDecodeError are ValueErrors
            fields, classifiers = parse(decode(data), files)
        except _PARSE_ERRORS:
            continue
        declared += fields
        classified += classifiers
    return declared, classified


# ---------------------------------------------------------------- trees

def is_license_file(path: str) -> bool:
    """LICENSE, LICENCE.md, COPYING.LESSER, LICENSE-MIT, UNLICENSE... (not license.py)."""
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return bool(_LICENSE_FILE.match(name)) and ext not in _CODE_EXT


def detect_tree(source: Source) -> TreeLicense:
    """A tree's licence: root licence files first, then metadata, then the most common SPDX header."""
    root = {f.path: f for f in source.files if "/" not in f.path}
    license_files = tuple(p for p in sorted(root) if is_license_file(p))
    notice_files = tuple(p for p in sorted(root) if p.lower() in NOTICE_NAMES)
    from_files: list[Detection] = []
    defaulted: set[str] = set()
    for path in license_files:
        found, default = _license_file(decode(root[path].data), path)
        from_files.append(found)
        defaulted |= default
    declared, classified = _metadata({f.path: f.data for f in source.files})
    headers = [d for f in source.files for d in spdx_headers(decode(f.data, HEADER_BYTES), f.path)]
    spdx = _decide(from_files, defaulted, declared, classified, headers)
    detections = sorted(from_files + declared + classified + headers,
                        key=lambda d: (d.path, d.line, d.source, d.spdx or ""))
    return TreeLicense(spdx, tuple(detections), license_files, notice_files)


def _decide(files: list[Detection], defaulted: set[str], declared_in: list[Detection],
            classified: list[Detection], headers: list[Detection]) -> str | None:
    declared = [d.spdx for d in declared_in if d.spdx]
    # several licence classifiers: the package offers each (e.g. Apache or BSD)
    classifiers = [d.spdx for d in classified if d.spdx]
    counts = Counter(d.spdx for d in headers if d.spdx)
    common = min(counts, key=lambda s: (-counts[s], s)) if counts else None
    from_files = _join([d.spdx for d in files if d.spdx])
    if from_files is None:
        return declared[0] if declared else _join(classifiers, "OR") or common
    for other in declared[:1] + ([common] if common else []):
        # the same licences stated with more precision: OR from the metadata of
        # LICENSE-MIT + LICENSE-APACHE, "-or-later" for a bare GPL text
        if _keys(other) == _keys(from_files) and _agrees(from_files, other, defaulted):
            return other
    return from_files


def _agrees(from_files: str, other: str, defaulted: set[str]) -> bool:
    """True if ``other`` differs from ``from_files`` only where the files said nothing."""
    ours, theirs = _ids(from_files), _ids(other)
    return all(_base(i) in defaulted for i in ours - theirs)


def _ids(spdx: str) -> set[str]:
    return set(re.split(r"[\s()]+", spdx)) - {"AND", "OR", "WITH", ""}


def detect_source(source: Source) -> str | None:
    """The licence of a tree (see :func:`detect_tree`), or None."""
    return detect_tree(source).spdx
