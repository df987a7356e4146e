# SPDX-License-Identifier: Apache-2.0
"""Who had the code first: the history of both sides, read in both directions.

Each matched file carries, from the git objects already read, the commit
that introduced its blob on each side (date, commit, author; the upstream's
from the index).  The older side is the source of a match.  Without dates on
both sides the direction is unknown, and the report says so instead of
guessing.  Two signs that a history was rewritten to claim the code:

- *re-authored*: the suspect's blob equals the upstream's, its commit has the
  upstream's exact date, but another author (an imported history with the
  names replaced);
- *claimed priority*: the suspect's copy is dated before the upstream's, but
  the commit that brought it carries dates git would not write (a committer
  date before its author date, or before its parent's): dates set by hand.

Each side is dated twice: by committer dates (what git writes when a commit is
made) and by the author dates of the same commits.  A history rewritten later
(a rebase or filter-repo run: kjanko/python-fingerprint-recognition issue 17,
an upstream of 2017 whose every commit was committed again in 2024) keeps its
author dates, so the upstream looks years younger by committer dates alone;
an author date, in turn, is set freely (``git commit --date``), so a copy
backdated that way looks older by author dates alone.  The order is claimed
only where both agree; where they disagree one side's history was rewritten,
and the direction is undecided.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .model import Match

UPSTREAM_FIRST = "upstream first"
SUSPECT_FIRST = "this repository first"
SAME_TIME = "same dates"
MIXED = "mixed"
UNKNOWN = "unknown"
OVERLAP = "overlap"  # both sides held the file before the other's current version: undecided
DISAGREE = "dates disagree"  # author and committer dates order the sides differently: undecided
UNDECIDED = (UNKNOWN, OVERLAP, DISAGREE)
# clocks of different machines disagree: a commit a few hours "before" its parent is a merge
# or a rebase across time zones and skewed clocks, not a date set by hand
_SKEW = 86_400


@dataclass(frozen=True)
class FileHistory:
    """One matched file: when each side's history first holds it."""

    path: str
    upstream_path: str
    date: int | None
    commit: str | None
    author: str | None
    upstream_date: int | None
    upstream_commit: str | None
    upstream_author: str | None
    exact: bool  # some region is an unmodified copy
    first_date: int | None = None  # when this repository first held the path (any version)
    upstream_first_date: int | None = None  # when the upstream first held its path
    # the author dates of the same four commits (None: unknown)
    author_date: int | None = None
    first_author_date: int | None = None
    upstream_author_date: int | None = None
    upstream_first_author_date: int | None = None

    @property
    def older(self) -> str:
        """Which side had the code first, claimed only where committer and author dates agree.

        Committer dates decide as ever; where the author dates are known on both sides
        they decide too, and an order they do not share is no order (``DISAGREE``): a
        rewritten upstream must not make a copy the original, nor a backdated author
        date a copier.  Author dates alone never decide.
        """
        by_commit, by_author = self.orders
        if by_commit == UNKNOWN or by_author in (UNKNOWN, by_commit):
            return by_commit
        return DISAGREE

    @property
    def orders(self) -> tuple[str, str]:
        """(the order by committer dates, the order by author dates), each as :func:`_order`."""
        return (_order(self.date, self.first_date, self.upstream_date, self.upstream_first_date),
                _order(self.author_date, self.first_author_date, self.upstream_author_date,
                       self.upstream_first_author_date))

    @property
    def reauthored(self) -> bool:
        """Same content, the upstream's exact date, another author."""
        return (self.exact and self.date is not None and self.date == self.upstream_date
                and bool(self.author) and bool(self.upstream_author)
                and _who(self.author) != _who(self.upstream_author))

    def line(self) -> str:
        ours = _when(self.date, self.commit, self.author, self.author_date)
        theirs = _when(self.upstream_date, self.upstream_commit, self.upstream_author,
                       self.upstream_author_date)
        return (f"{self.path}: here since {ours}{_file_since(self.first_date, self.date)}; "
                f"upstream {self.upstream_path} since {theirs}"
                f"{_file_since(self.upstream_first_date, self.upstream_date)}")

    def disagreement(self) -> str:
        """How the two orders differ: ``author dates put the upstream first, commit dates
        this repository``."""
        by_commit, by_author = self.orders
        return f"author dates put {_WHO[by_author]} first, commit dates {_WHO[by_commit]}"


# who each order puts first, in the words of a disagreement
_WHO = {UPSTREAM_FIRST: "the upstream", SUSPECT_FIRST: "this repository",
        SAME_TIME: "neither side (the same dates)", OVERLAP: "neither side"}


def _order(date: int | None, first: int | None, up_date: int | None, up_first: int | None) -> str:
    """Which side had the code first by one kind of date.

    A file's current version can be younger than the code in it (an upstream that
    edited its file after the copy was taken looks younger than the copy by its blob),
    and a file can be older than the code in it (a function pasted into an old
    utils.py).  So: the upstream first when it held its file before this repository
    held its own *and* its version is not younger than the copy's; this repository
    first when its very version predates the upstream's file; else undecided.
    """
    if date is None or up_date is None:
        return UNKNOWN
    u_first = min(up_first or up_date, up_date)
    s_first = min(first or date, date)
    if date == up_date and s_first == u_first:
        return SAME_TIME
    if u_first < s_first and up_date <= date:
        return UPSTREAM_FIRST
    if date < u_first:
        return SUSPECT_FIRST
    return OVERLAP


def _file_since(first: int | None, date: int | None) -> str:
    """`` (the file since 2015-03-01)`` where the path is older than its current version."""
    if first is None or date is None or first >= date:
        return ""
    return f" (the file since {time.strftime('%Y-%m-%d', time.gmtime(first))})"


def _who(name: str | None) -> str:
    return " ".join((name or "").lower().split())


def _when(date: int | None, commit: str | None, author: str | None,
          authored: int | None = None) -> str:
    if date is None:
        return "? (no history)"
    day = time.strftime("%Y-%m-%d", time.gmtime(date))
    other = time.strftime("%Y-%m-%d", time.gmtime(authored)) if authored is not None else day
    return (day + f" ({(commit or '')[:10]}" + (f" by {author}" if author else "")
            + (f", authored {other}" if other != day else "") + ")")


def file_histories(matches: tuple[Match, ...] | list[Match]) -> list[FileHistory]:
    """Per suspect file, its first commit and the earliest upstream commit of what it matches."""
    by_path: dict[str, list[Match]] = {}
    for m in matches:
        by_path.setdefault(m.path, []).append(m)
    out = []
    for path, ms in sorted(by_path.items()):
        dated = [m for m in ms if m.upstream_date is not None]
        first = min(dated, key=lambda m: m.upstream_date or 0) if dated else ms[0]
        out.append(FileHistory(path, first.upstream_path, ms[0].date, ms[0].commit, ms[0].author,
                               first.upstream_date, first.upstream_commit, first.upstream_author,
                               any(m.clone_type == "exact" for m in ms), ms[0].first_date,
                               first.upstream_first_date, ms[0].author_date,
                               ms[0].first_author_date, first.upstream_author_date,
                               first.upstream_first_author_date))
    return out


def direction(histories: list[FileHistory]) -> tuple[str, str]:
    """(which side is older, why): upstream first, this repository first, same, mixed or unknown.

    A file whose author and committer dates disagree decides nothing, and while one
    does, this repository is never declared first: one side's history was rewritten,
    and which one the dates cannot say.
    """
    kinds = {h.older for h in histories} - set(UNDECIDED)
    rewritten = [h for h in histories if h.older == DISAGREE]
    if rewritten and (not kinds or SUSPECT_FIRST in kinds):
        ways = "; ".join(dict.fromkeys(h.disagreement() for h in rewritten))
        return UNKNOWN, (f"direction unknown: the history of one side was rewritten ({ways}: "
                         + "; ".join(h.line() for h in rewritten)[:300] + ")")
    if not kinds and any(h.older == OVERLAP for h in histories):
        return UNKNOWN, ("direction unknown: each side held the files before the other's "
                         "current version (" + "; ".join(h.line() for h in histories
                                                         if h.older == OVERLAP)[:300] + ")")
    if not kinds:
        ours = any(h.date is not None for h in histories)
        theirs = any(h.upstream_date is not None for h in histories)
        side = ("either side" if not (ours or theirs) else
                "the upstream's files" if ours else "this repository's files")
        return UNKNOWN, f"direction unknown: no history for {side}"
    if len(kinds) > 1:
        return MIXED, "direction mixed: some files were here first, others upstream first"
    kind = kinds.pop()
    dated = [h for h in histories if h.older not in UNDECIDED]
    if kind == UPSTREAM_FIRST:
        return kind, f"the upstream had the code first ({len(dated)} file(s) dated on both sides)"
    if kind == SUSPECT_FIRST:
        return kind, (f"this repository had the code first ({len(dated)} file(s) dated on both "
                      "sides; each copy's version is older than the upstream's file)")
    return kind, "both sides date the code to the same second"


def rewritten_commits(root: str | Path, commit: str | None) -> dict[str, str]:
    """Commits of ``root``'s history whose dates git would not have written, and why.

    Read from ``git log`` of ``commit`` (no checkout); a directory that is not a
    git repository, or a failing git, gives nothing.
    """
    if not commit:
        return {}
    from . import gitsafe
    from .errors import AttribError

    # through gitsafe like every git attrib runs: the history is the scanned repository's,
    # and its configuration (log.showSignature + gpg.program, ...) must not apply
    try:
        with gitsafe.open_repo(root) as repo:
            raw = repo.run("log", "--no-show-signature", "--format=%H %at %ct %P", commit, "--")
    except (AttribError, OSError):
        return {}
    rows = [line.split() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    committed = {r[0]: int(r[2]) for r in rows if len(r) >= 3}
    flags = {}
    for sha, at, ct, *parents in (r for r in rows if len(r) >= 3):
        if int(ct) + _SKEW < int(at):
            flags[sha] = "committed before it was authored (dates set by hand)"
        elif any(p in committed and int(ct) + _SKEW < committed[p] for p in parents):
            flags[sha] = "dated before its parent commit (dates set by hand)"
    return flags


def claimed_priority(histories: list[FileHistory], flags: dict[str, str]) -> list[str]:
    """Files dated before the upstream only by commits whose dates were set by hand."""
    return [f"{h.line()}; {h.commit and flags[h.commit]}" for h in histories
            if h.older == SUSPECT_FIRST and h.commit in flags]
