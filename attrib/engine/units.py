# SPDX-License-Identifier: Apache-2.0
"""Units: the parts of a file that are scored and reported as matches.

Top-level functions and methods, classes without methods, and for files
without functions their non-overlapping windows, else the whole file.  A
class's header (``class X(Base):``, its attributes before the first method)
rides with its first method when it is short and is a unit of its own when it
is not.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model import Fragment, ParsedFile


# tokens of a class header (``class X(Base):`` is 7) from which it is a unit of its own:
# a header with a few class attributes, dealt with each method of a class split over files,
# otherwise voted the method's home onto the upstream header (issue 10; split level, seeds
# 1-3: precision 0.984/0.961/0.963 -> 0.995/0.992/0.980; 8, 16, 26 and 40 measured no better)
HEADER_TOKENS = 12


@dataclass(frozen=True)
class Unit:
    index: int  # position in the file's fragments
    fragment: Fragment


def units(parsed: ParsedFile) -> list[Unit]:
    """Top-level functions and methods; classes without methods; else the whole file.

    A short class header (its name and bases) belongs to the unit of its first
    method, so the class's rename is part of the evidence.  A header of
    ``HEADER_TOKENS`` or more (class attributes, option tables) is a unit of its
    own, indexed by its class's fragment: riding with a method, its tokens
    outvoted the method's in the choice of an upstream home, so a method of a
    class spread over several files was credited to the upstream header.
    """
    frags = parsed.fragments
    parent = _parents(frags)
    in_function = [False] * len(frags)  # has a function among its ancestors
    has_method = [False] * len(frags)  # a class with a function inside
    for i, f in enumerate(frags):
        p = parent[i]
        if p >= 0:
            in_function[i] = in_function[p] or frags[p].kind == "function"
        if f.kind == "function":
            a = p
            while a >= 0:
                if frags[a].kind == "class":
                    has_method[a] = True
                a = parent[a]
    out: list[Unit] = []
    headed: set[int] = set()
    for i, f in enumerate(frags):
        if f.kind == "function" and not in_function[i]:
            owner = parent[i]
            if owner >= 0 and frags[owner].kind == "class" and owner not in headed:
                headed.add(owner)
                c = frags[owner]
                if f.tok_start - c.tok_start >= HEADER_TOKENS:
                    end = parsed.stream.lines[f.tok_start - 1]
                    out.append(Unit(owner, Fragment(c.kind, c.name, c.start_line, end,
                                                    c.tok_start, f.tok_start)))
                else:
                    f = Fragment(f.kind, f.name, c.start_line, f.end_line, c.tok_start,
                                 f.tok_end)
            out.append(Unit(i, f))
        elif f.kind == "class" and not has_method[i] and not in_function[i]:
            out.append(Unit(i, f))
    if not out:
        out = _windows(frags)
    return out


def _windows(frags: tuple[Fragment, ...]) -> list[Unit]:
    """Units of a file without functions: its windows that do not overlap, else the file."""
    out: list[Unit] = []
    end = -1
    for i, f in enumerate(frags):
        if f.kind == "window" and f.tok_start >= end:
            out.append(Unit(i, f))
            end = f.tok_end
    if out and out[-1].fragment.tok_end < frags[0].tok_end:  # the tail after the last window
        last = out.pop()
        f = last.fragment
        out.append(Unit(last.index, Fragment(f.kind, f.name, f.start_line, frags[0].end_line,
                                              f.tok_start, frags[0].tok_end)))
    return out or ([Unit(0, frags[0])] if frags else [])


def _parents(frags: tuple[Fragment, ...]) -> list[int]:
    """Index of each fragment's innermost enclosing fragment (-1 for none), by a stack.

    Fragments come sorted by (tok_start, -tok_end), so an enclosing one comes first.
    """
    parent = [-1] * len(frags)
    stack: list[int] = []
    for i, f in enumerate(frags):
        while stack and not _inside(f, frags[stack[-1]]):
            stack.pop()
        parent[i] = stack[-1] if stack else -1
        stack.append(i)
    return parent


def _inside(inner: Fragment, outer: Fragment) -> bool:
    return (outer.tok_start <= inner.tok_start and inner.tok_end <= outer.tok_end
            and (outer.tok_start, outer.tok_end) != (inner.tok_start, inner.tok_end))
