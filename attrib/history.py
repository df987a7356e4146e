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

    @property
    def older(self) -> str:
        if self.date is None or self.upstream_date is None:
            return UNKNOWN
        if self.upstream_date < self.date:
            return UPSTREAM_FIRST
        return SUSPECT_FIRST if self.date < self.upstream_date else SAME_TIME

    @property
    def reauthored(self) -> bool:
        """Same content, the upstream's exact date, another author."""
        return (self.exact and self.date is not None and self.date == self.upstream_date
                and bool(self.author) and bool(self.upstream_author)
                and _who(self.author) != _who(self.upstream_author))

    def line(self) -> str:
        return (f"{self.path}: here since {_when(self.date, self.commit, self.author)}; "
                f"upstream {self.upstream_path} since "
                f"{_when(self.upstream_date, self.upstream_commit, self.upstream_author)}")


def _who(name: str | None) -> str:
    return " ".join((name or "").lower().split())


def _when(date: int | None, commit: str | None, author: str | None) -> str:
    if date is None:
        return "? (no history)"
    return (time.strftime("%Y-%m-%d", time.gmtime(date)) + f" ({(commit or '')[:10]}"
            + (f" by {author}" if author else "") + ")")


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
                               any(m.clone_type == "exact" for m in ms)))
    return out


def direction(histories: list[FileHistory]) -> tuple[str, str]:
    """(which side is older, why): upstream first, this repository first, same, mixed or unknown."""
    kinds = {h.older for h in histories} - {UNKNOWN}
    if not kinds:
        ours = any(h.date is not None for h in histories)
        theirs = any(h.upstream_date is not None for h in histories)
        side = ("either side" if not (ours or theirs) else
                "the upstream's files" if ours else "this repository's files")
        return UNKNOWN, f"direction unknown: no history for {side}"
    if len(kinds) > 1:
        return MIXED, "direction mixed: some files were here first, others upstream first"
    kind = kinds.pop()
    dated = [h for h in histories if h.older != UNKNOWN]
    if kind == UPSTREAM_FIRST:
        return kind, f"the upstream had the code first ({len(dated)} file(s) dated on both sides)"
    if kind == SUSPECT_FIRST:
        # the index dates the upstream's current blob: an upstream file edited after the suspect
        # copied an older version looks younger than it is; say so where the copies differ
        caveat = ("" if all(h.exact for h in dated) else
                  "; by the dates of the upstream's current versions of the files")
        return kind, (f"this repository had the code first ({len(dated)} file(s) dated on both "
                      f"sides{caveat})")
    return kind, "both sides date the code to the same second"


def rewritten_commits(root: str | Path, commit: str | None) -> dict[str, str]:
    """Commits of ``root``'s history whose dates git would not have written, and why.

    Read from ``git log`` of ``commit`` (no checkout); a directory that is not a
    git repository, or a failing git, gives nothing.
    """
    if not commit:
        return {}
    import git

    from .sources import SAFE_GIT

    try:
        repo = git.Repo(root, search_parent_directories=False)
        out = repo.git.execute(["git", *SAFE_GIT, "log", "--format=%H %at %ct %P", commit],
                               stdout_as_string=True)
    except (git.GitError, OSError, ValueError):
        return {}
    rows = [line.split() for line in out.splitlines() if line.strip()]
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
