# SPDX-License-Identifier: Apache-2.0
"""File headers: the copyright and licence lines a file opens with.

Apache-2.0 §4(c), MIT and the BSD licences ask that the copyright and licence
notices of copied files be retained, and Apache-2.0 §4(b) and GPL-3.0 §5(a)
that modified files say so; both live in the comments (or the docstring) at a
file's top.  This module reads them, for upstream files at index time and for
suspect files when the rules are checked.
"""
from __future__ import annotations

import re

HEADER_LINES = 60  # how far down a header may reach
_COMMENT = re.compile(r"^\s*(?:#!?|//+|/\*+|\*+/?|--|;+|<!--|\"\"\"|''')\s?")
_NOTICE = re.compile(r"copyright|\(c\)|©|spdx-license-identifier|licen[cs]ed under|"
                     r"licen[cs]e|all rights reserved|permission is hereby granted", re.I)
_CHANGED = re.compile(r"\b(modified|changed|adapted|derived|based on|ported|forked)\b", re.I)


def leading_comments(text: str, limit: int = HEADER_LINES) -> list[tuple[int, str]]:
    """(line number, text without its comment marker) of the comments a file opens with.

    A leading docstring counts as comment; the first line of code ends the header.
    """
    out: list[tuple[int, str]] = []
    in_string: str | None = None
    for number, line in enumerate(text.splitlines()[:limit], 1):
        stripped = line.strip()
        if in_string:
            out.append((number, stripped.replace(in_string, "").strip()))
            if in_string in stripped:
                in_string = None
            continue
        if not stripped:
            continue
        for quote in ('"""', "'''"):
            if stripped.lstrip("rRuU").startswith(quote):
                body = stripped.lstrip("rRuU")[3:]
                if quote not in body:
                    in_string = quote
                out.append((number, body.replace(quote, "").strip()))
                break
        else:
            match = _COMMENT.match(line)
            if not match:
                break
            out.append((number, line[match.end():].strip().rstrip("*/").strip()))
    return out


# who wrote the file, as a header says it ("@author: jane", "Author: Jane Roe", "Written by ...")
AUTHORSHIP = re.compile(r"@author\b|^authors?\s*[:=]|^(?:written|created|coded)\s+by\b", re.I)


def notice_lines(text: str, limit: int = HEADER_LINES) -> tuple[str, ...]:
    """The copyright, licence and authorship lines among a file's leading comments."""
    return tuple(t for _, t in leading_comments(text, limit)
                 if _NOTICE.search(t) or AUTHORSHIP.search(t))


def has_change_notice(text: str, limit: int = HEADER_LINES) -> bool:
    """Whether the leading comments state that the file was modified (Apache-2.0 §4(b))."""
    return any(_CHANGED.search(t) for _, t in leading_comments(text, limit))
