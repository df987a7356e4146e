# SPDX-License-Identifier: Apache-2.0
"""Languages without a grammar here: pygments tokens, at file and window granularity.

Every name becomes ``$`` (pygments cannot tell a project's own names from a
library's) except builtins; strings become ``S``, numbers ``N``; comments and
layout are dropped.  Fragments are the whole file plus its functions and classes
(found from the braces, :mod:`attrib.engine.lang.braces`), or, for a file without functions,
overlapping windows of :data:`WINDOW` lines, so a copied part of a long file still has
a unit of its size.
"""
from __future__ import annotations

from functools import lru_cache

from ...model import Fragment, TokenStream

VERSION = 4  # 2: brace-language functions (braces.py); external members kept verbatim
# 3: keyword-like method names (`match`, `with`) are functions outside the languages
#    whose keyword they are
# 4: C++ out-of-class methods (`X::f`) and constructors with member initialisers are functions
WINDOW = 40  # lines per window fragment; windows start every WINDOW // 2 lines

_LEXERS = {"javascript": "javascript", "typescript": "typescript", "c": "c", "cpp": "cpp",
           "java": "java", "go": "go", "rust": "rust"}


@lru_cache(maxsize=None)
def _lexer(language: str):
    from pygments.lexers import get_lexer_by_name

    return get_lexer_by_name(_LEXERS[language], stripnl=False, ensurenl=False)


def parse(text: str, language: str) -> tuple[TokenStream, list[Fragment]]:
    from pygments.token import Comment, Name, Number, String, Text, Whitespace

    from . import MAX_TOKENS, ParseFailure

    texts: list[str] = []
    raw: list[str] = []
    lines: list[int] = []
    renameable: list[bool] = []
    places: list[tuple[int, int, int]] = []  # (start col, end line, end col) per token
    line, col = 1, 1 if text.startswith("\ufeff") else 0  # pygments drops a BOM
    for ttype, value in _lexer(language).get_tokens(text):
        here, at = line, col
        line, col = _advance(line, col, value)
        if ttype in Comment or ttype in Whitespace or ttype in Text or not value.strip():
            continue
        lead = len(value) - len(value.lstrip())
        here, at = _advance(here, at, value[:lead])
        end = _advance(here, at, value.strip())
        if ttype in String:
            if texts and texts[-1] == "S" and lines[-1] >= here - 1:
                places[-1] = (places[-1][0], *end)  # one literal, lexed in pieces
                continue
            token, abstract = "S", False
        elif ttype in Number:
            token, abstract = "N", False
        elif ttype in Name and ttype not in Name.Builtin:
            token, abstract = "$", True
        else:
            token, abstract = value.strip(), False
        if len(texts) == MAX_TOKENS:  # stop lexing here: pygments takes ~10 s per dense MB
            raise ParseFailure(f"too many tokens (> {MAX_TOKENS})")
        texts.append(token)
        raw.append(value.strip())
        lines.append(here)
        renameable.append(abstract)
        places.append((at, *end))
    _keep_external_attributes(texts, raw, renameable)
    cols, end_lines, end_cols = zip(*places) if places else ((), (), ())
    stream = TokenStream(tuple(texts), tuple(raw), tuple(lines), tuple(renameable),
                         tuple(cols), tuple(end_lines), tuple(end_cols))
    return stream, _fragments(stream, language)


def _advance(line: int, col: int, value: str) -> tuple[int, int]:
    """Where (line, column) is after ``value`` (pygments turns every line ending into ``\\n``)."""
    newlines = value.count("\n")
    if not newlines:
        return line, col + len(value)
    return line + newlines, len(value) - value.rfind("\n") - 1


_MEMBER = frozenset({".", "->", "?."})


def _keep_external_attributes(texts: list[str], raw: list[str], renameable: list[bool]) -> None:
    """Names the file only ever reaches through a dot stay verbatim (``t.Fail``, ``res.send``).

    pygments cannot tell a project's names from a library's, but a copier can rename
    only what the file itself binds: a member that is never assigned (``.x =``), never
    declared or used bare anywhere in the file belongs to an outside API, and keeping it
    is the evidence that tells an independent test loop from a copied one (DESIGN.md,
    "abstract only what a copier can rename").
    """
    bare: set[str] = set()
    for i, token in enumerate(texts):
        if token != "$":
            continue
        member = i > 0 and raw[i - 1] in _MEMBER
        assigned = i + 1 < len(raw) and raw[i + 1] in ("=", ":")
        if not member or assigned:
            bare.add(raw[i])
    for i, token in enumerate(texts):
        if token == "$" and i > 0 and raw[i - 1] in _MEMBER and raw[i] not in bare:
            texts[i] = raw[i]
            renameable[i] = False


def _fragments(stream: TokenStream, language: str = "") -> list[Fragment]:
    n = len(stream.lines)
    if not n:
        return [Fragment("module", "<file>", 1, 1, 0, 0)]
    frags = [Fragment("module", "<file>", stream.lines[0], stream.lines[-1], 0, n)]
    from .braces import fragments as blocks

    found = blocks(stream, language)
    if any(f.kind == "function" for f in found):
        return frags + found
    last = stream.lines[-1]
    start_line = stream.lines[0]
    i = 0
    while start_line + WINDOW <= last + WINDOW // 2:
        end_line = start_line + WINDOW - 1
        while i < n and stream.lines[i] < start_line:
            i += 1
        j = i
        while j < n and stream.lines[j] <= end_line:
            j += 1
        if j > i and (start_line, min(end_line, last)) != (frags[0].start_line, last):
            frags.append(Fragment("window", f"lines {start_line}-{min(end_line, last)}",
                                  stream.lines[i], stream.lines[j - 1], i, j))
        start_line += WINDOW // 2
    return frags
