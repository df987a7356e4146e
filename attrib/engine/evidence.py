# SPDX-License-Identifier: Apache-2.0
"""Evidence a reviewer can publish: the files' own lines, and one-to-one rename maps.

Quoted lines are the file's lines as decoded from its bytes, never rebuilt
from tokens (dropped parentheses change the meaning of ``unfold(x, (p, p))``);
the tokens the alignment matched are marked by their column ranges.

A rename map is built from the aligned identifiers of a whole file pair: each
(upstream name, suspect name) pair of aligned renameable tokens is a vote, a
name kept as it was votes for itself, and names are paired greedily by support
so that each upstream name gets at most one suspect name and each suspect name
at most one upstream name.  A short tile that aligns a parameter with its
neighbour (one was deleted) loses to the neighbour's own occurrences, so the
shift does not chain into false renames.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..model import ParsedFile, QuotedLine

MIN_SUPPORT = 2  # aligned occurrences a rename needs to be reported
QUOTE_LIMIT = 200  # lines quoted per side of a match

Votes = Counter  # (upstream name, suspect name) -> aligned occurrences


def rename_votes(parsed: ParsedFile, upstream: ParsedFile,
                 pairs: Iterable[tuple[int, int]], definitions: int = 1) -> Votes:
    """Aligned renameable identifiers, counted by (upstream name, suspect name).

    A name aligned where both sides define it (``def``, ``class``, ``function``...) counts
    ``definitions`` times: a class is often named once, and that one aligned
    header is stronger evidence than a shifted parameter list.
    """
    s, u = parsed.stream, upstream.stream
    votes: Votes = Counter()
    for si, ui in pairs:
        if s.renameable[si] and u.renameable[ui]:
            defined = si and ui and s.texts[si - 1] in _DEFINES and u.texts[ui - 1] in _DEFINES
            votes[(u.raw[ui], s.raw[si])] += definitions if defined else 1
    return votes


# keywords before a defined name: Python; JavaScript/TypeScript, Go, Rust, C/C++/Java types
_DEFINES = frozenset({"def", "class", "function", "func", "fn", "struct", "interface", "enum"})


def one_to_one(votes: Votes, support: Votes | None = None,
               min_support: int = MIN_SUPPORT) -> dict[str, tuple[str, int]]:
    """Upstream name -> (suspect name, votes): a matching of ``votes``, best-supported first.

    ``support`` (the whole file pair's votes, by default ``votes`` themselves)
    breaks ties and must reach ``min_support`` for a rename to be returned.
    Names kept unchanged take part (and claim both sides) but are not returned.
    """
    support = votes if support is None else support
    taken_old: set[str] = set()
    taken_new: set[str] = set()
    out: dict[str, tuple[str, int]] = {}
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], -support[kv[0]],
                                                   kv[0][0] != kv[0][1], kv[0]))
    for (old, new), n in ranked:
        if old in taken_old or new in taken_new:
            continue
        taken_old.add(old)
        taken_new.add(new)
        if old != new and support[(old, new)] >= min_support:
            out[old] = (new, n)
    return out


def region_renames(votes: Votes, support: Votes) -> tuple[tuple[tuple[str, str], ...],
                                                           tuple[int, ...]]:
    """A region's renames, one-to-one, each with how often the region's alignment has it.

    Matched within the region, since a copier renames a parameter differently
    in each function; a rename must be supported by the whole file pair.
    """
    shown = sorted((old, new, n) for old, (new, n) in one_to_one(votes, support).items())
    return tuple((a, b) for a, b, _ in shown), tuple(n for _, _, n in shown)


def renamed_tokens(parsed: ParsedFile, upstream: ParsedFile, pairs: Iterable[tuple[int, int]],
                   renames: Iterable[tuple[str, str]]) -> tuple[set[int], set[int]]:
    """Suspect and upstream token indexes of the aligned identifiers ``renames`` explains."""
    wanted = set(renames)
    s, u = parsed.stream, upstream.stream
    ours: set[int] = set()
    theirs: set[int] = set()
    for si, ui in pairs:
        if s.renameable[si] and u.renameable[ui] and (u.raw[ui], s.raw[si]) in wanted:
            ours.add(si)
            theirs.add(ui)
    return ours, theirs


def quote(parsed: ParsedFile, start: int, end: int, matched: Iterable[int] = (),
          renamed: Iterable[int] = (), limit: int = QUOTE_LIMIT) -> tuple[QuotedLine, ...]:
    """Lines ``start..end`` of the file as it is, the ``matched`` tokens' columns marked.

    Nothing is quoted of a file whose lines were not kept (then nothing could
    be quoted truthfully).
    """
    text = parsed.text_lines
    if parsed.path.lower().endswith(".ipynb"):  # only the lines that hold code (lang/notebook.py)
        shown = [n for n in range(start, min(end, len(text)) + 1) if text[n - 1]][:limit]
    else:
        shown = list(range(start, min(end, len(text), start + limit - 1) + 1))
    if not shown:
        return ()
    spans = _line_spans(parsed, matched, shown[0], shown[-1])
    marks = _line_spans(parsed, renamed, shown[0], shown[-1])
    return tuple(QuotedLine(n, text[n - 1], spans.get(n, ()), marks.get(n, ())) for n in shown)


def _line_spans(parsed: ParsedFile, tokens: Iterable[int], start: int,
                end: int) -> dict[int, tuple[tuple[int, int], ...]]:
    """Per line, the merged column ranges the tokens cover (a token may span lines)."""
    s, text = parsed.stream, parsed.text_lines
    if len(s.cols) != len(s.texts):
        return {}  # no columns were recorded: mark nothing rather than guess
    raw: dict[int, list[tuple[int, int]]] = {}
    for i in tokens:
        a, b = s.lines[i], s.end_lines[i]
        if b < start or a > end:
            continue
        for n in range(max(a, start), min(b, end) + 1):
            lo = s.cols[i] if n == a else 0
            hi = s.end_cols[i] if n == b else len(text[n - 1])
            if hi > lo:
                raw.setdefault(n, []).append((lo, hi))
    return {n: _merged(ranges, text[n - 1]) for n, ranges in raw.items()}


def _merged(ranges: list[tuple[int, int]], line: str) -> tuple[tuple[int, int], ...]:
    """Ranges joined where only blanks part them (``a = b`` is one span, ``f(x, (p`` two)."""
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and (lo <= out[-1][1] or not line[out[-1][1]:lo].strip()):
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)
