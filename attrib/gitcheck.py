# SPDX-License-Identifier: Apache-2.0
"""What a commit or a pull request adds, read from git objects: ``attrib check``.

``--staged`` reads the blobs in git's index (not the working tree) of the
files the commit changes; ``--diff BASE[..HEAD]`` the blobs at HEAD of the
files changed since the merge base.  Either way only the lines being added
count: a match must overlap them to be reported, so code that was already
there (and already credited, or already triaged) is not flagged on every
commit.  The repository is read through :mod:`attrib.gitsafe`: not with its
own config, no hooks, no external diff or textconv drivers, no checkout.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import SourceError
from .gitsafe import display
from .model import Report, Skip, Source, SourceFile
from .engine.sources import Limits, blob_dates, is_vendored, looks_binary

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_DIFF = ("--no-ext-diff", "--no-textconv", "--no-color", "--no-renames", "-U0",
         "--diff-filter=AMT")  # a deleted file adds nothing (and its blob may be missing)
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's id of the empty tree
# files the rules engine reads for context: licences, notices, credit
_CONTEXT = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|README|CREDITS|AUTHORS|THIRD[-_]PARTY|"
                      r"ACKNOWLEDG|\.attrib\.ya?ml$|pyproject\.toml$|setup\.cfg$|package\.json$)"
                      r"|^LICENSES/", re.I)


@dataclass(frozen=True)
class Change:
    """What a check looks at: the changed files, the lines they add, and context files."""

    source: Source  # changed files (their new blobs)
    context: Source  # changed files plus licence, notice and credit files, for the rules
    added: dict[str, frozenset[int]]  # path -> line numbers the change adds


def repo_at(path: str | Path):
    """The user's own repository around ``path``, opened as data with its staged index.

    Found the way git finds it (parent directories, a linked worktree's ``.git``
    file), but its config is never read: a pre-commit hook must not run the
    programs a config names (``diff.external``, ``core.fsmonitor``, ``gpg.program``)
    and personal settings (``diff.noprefix``, ``color.ui``) must not change what
    is parsed.  Git's ownership check does not apply: nothing it guards is read.
    """
    from . import gitsafe

    try:
        location = gitsafe.locate(path, trusted=True)
    except gitsafe.NotARepository:
        raise SourceError(f"{path}: not a git repository") from None
    if location.bare:
        raise SourceError(f"{path}: a bare repository has no index to check")
    return gitsafe.Repo(location, index=True, label=str(location.root))


def _git(repo, *args: str) -> str:
    """``git ARGS`` in the private directory; its output as text (paths kept as bytes
    through surrogateescape, so :func:`_path` can show them safely)."""
    try:
        out = repo.run(*args)
    except SourceError as exc:
        raise SourceError(str(exc).replace(f"{repo.label}: ",
                                           f"{repo.label}: git {args[0]} failed: ", 1)) from None
    return out.decode("utf-8", "surrogateescape")


def _path(name: str) -> str:
    """A path from git's output, as :func:`attrib.gitsafe.display` shows it."""
    return display(name.encode("utf-8", "surrogateescape"))


def added_lines(diff: str) -> dict[str, frozenset[int]]:
    """Line numbers each file gains, from a ``-U0`` unified diff (new side)."""
    out: dict[str, set[int]] = {}
    path = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = _unquote(line[4:].rstrip("\t"))  # git ends a name holding spaces with a tab
            path = None if name == "/dev/null" else name[2:] if name.startswith("b/") else name
            if path is not None:
                path = _path(path)
                out.setdefault(path, set())
        elif path is not None and line.startswith("@@"):
            m = _HUNK.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                out[path].update(range(start, start + count))
    return {p: frozenset(v) for p, v in out.items()}


def _with_names(added: dict[str, frozenset[int]], names: str) -> dict[str, frozenset[int]]:
    """Every added or modified path (binary ones have no diff lines), with its added lines."""
    return {_path(p): added.get(_path(p), frozenset()) for p in names.split("\0") if p}


def _unquote(name: str) -> str:
    """A path as git prints it: C-quoted when it holds unusual bytes (quotes, control, non-UTF-8)."""
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("utf-8", "surrogateescape").decode("unicode_escape")
    return raw.encode("latin-1", "replace").decode("utf-8", "surrogateescape")


def staged(path: str | Path, limits: Limits = Limits()) -> Change:
    """The change a commit would make now: staged blobs, and the lines they add."""
    with repo_at(path) as repo:
        _, head = repo.head()
        # on an unborn branch everything staged is new: compare with the empty tree
        against = "HEAD" if head else _EMPTY_TREE
        added = _diff_added(repo, "--cached", against)
        blobs: dict[str, tuple[str, int]] = {}
        for record in _git(repo, "ls-files", "--stage", "-z").split("\0"):
            meta, _, name = record.partition("\t")
            if not name:
                continue
            mode, sha, stage = meta.split()
            if stage != "0":
                raise SourceError(f"{repo.label}: a merge is in progress with unresolved "
                                  "conflicts; resolve them before checking")
            blobs[_path(name)] = (sha, int(mode, 8))
        return _change(repo, added, blobs, limits, dated=False)


def diff(path: str | Path, spec: str, limits: Limits = Limits()) -> Change:
    """The change ``BASE..HEAD`` (``BASE`` alone: up to HEAD) makes, from the merge base."""
    with repo_at(path) as repo:
        base, _, head = spec.partition("..")
        head = head.lstrip(".") or "HEAD"
        for ref in (base, head):
            try:
                repo.resolve(ref)
            except SourceError:
                hint = (" (this is a shallow clone: fetch more history, e.g. actions/checkout "
                        "with fetch-depth: 0, or git fetch --unshallow)") if repo.shallow else ""
                raise SourceError(f"{repo.label}: cannot find {ref!r}{hint}") from None
        added = _diff_added(repo, f"{base}...{head}")
        commit = repo.resolve(head)
        return _change(repo, added, _tree_blobs(repo, commit, set(added)), limits,
                       dated=True, head=commit)


def _diff_added(repo, *spec: str) -> dict[str, frozenset[int]]:
    """Path -> lines ``spec`` adds.  In a partial clone whose old blobs are missing (never
    fetched), git cannot diff those files: each then counts as added whole, since which
    of its lines are new cannot be told, and the other files are diffed as usual."""
    names = _git(repo, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=AMT",
                 *spec, "--")
    try:
        return _with_names(added_lines(_git(repo, "diff", *_DIFF, *spec, "--")), names)
    except SourceError as exc:
        if "unable to read" not in str(exc):
            raise
    records = []  # (old blob, new blob, raw path)
    fields = repo.run("diff", "--raw", "-z", "--no-abbrev", "--no-renames",
                      "--diff-filter=AMT", *spec, "--").split(b"\0")
    for meta, raw in zip(fields[::2], fields[1::2]):
        parts = meta.lstrip(b":").split()
        if len(parts) >= 4:
            records.append((parts[2].decode(), parts[3].decode(), raw))
    sizes = repo.sizes([old for old, _, _ in records] + [new for _, new, _ in records])
    present = {sha for sha, size in sizes.items() if size is not None or not sha.strip("0")}
    both = [raw for old, new, raw in records if old in present and new in present]
    added = {}
    if both:
        patch = repo.run("--literal-pathspecs", "diff", *_DIFF, *spec, "--",
                         *(os.fsdecode(raw) for raw in both))
        added = added_lines(patch.decode("utf-8", "surrogateescape"))
    whole = [(new, raw) for old, new, raw in records if old not in present and new in present]
    for (new, raw), (_, data) in zip(whole, repo.blobs(new for new, _ in whole)):
        added[display(raw)] = frozenset(range(1, (data or b"").count(b"\n") + 2))
    return {display(raw): added.get(display(raw), frozenset()) for _, _, raw in records}


def _tree_blobs(repo, commit: str, paths: set[str]) -> dict[str, tuple[str, int]]:
    """(blob id, mode) at ``commit`` of ``paths`` and of the top-level context files;
    only the directories that lead to them are read."""
    dirs = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    dirs.add("LICENSES")
    blobs = {}
    for entry in repo.walk(commit, descend=lambda d: d in dirs):
        if entry.kind in ("blob", "symlink", "submodule") and (
                entry.path in paths or _CONTEXT.match(entry.path)):
            blobs[entry.path] = (entry.sha, entry.mode)
    return blobs


def _change(repo, added: dict[str, frozenset[int]], blobs: dict[str, tuple[str, int]],
            limits: Limits, dated: bool, head: str | None = None) -> Change:
    wanted = {rel: v for rel, v in sorted(blobs.items()) if rel in added or _CONTEXT.match(rel)}
    sizes = repo.sizes(sha for sha, mode in wanted.values() if mode & 0o170000 == 0o100000)
    changed: list[SourceFile] = []
    context: list[SourceFile] = []
    skipped: list[Skip] = []
    readable = []
    for rel, (sha, mode) in wanted.items():
        reason = _reason(rel, mode, sizes.get(sha), limits)
        if reason and rel in added:
            skipped.append(Skip(rel, reason))
        elif not reason:
            readable.append((rel, sha))
    dates = blob_dates(repo, head, {sha for _, sha in readable}) if dated and head else {}
    for (rel, sha), (_, data) in zip(readable, repo.blobs(sha for _, sha in readable)):
        if data is None or looks_binary(data):
            if rel in added:
                skipped.append(Skip(rel, "blob not present: partial clone" if data is None
                                    else "binary"))
            continue
        data = data.replace(b"\r\n", b"\n")  # CRLF files give the same tokens and lines as LF
        date, commit, author, authored = dates.get(sha, (None, None, None, None))
        f = SourceFile(rel, sha, data, date, commit, author, author_date=authored)
        context.append(f)
        if rel in added:
            changed.append(f)
    root = str(repo.location.root)
    return Change(Source(root, tuple(changed), tuple(skipped)),
                  Source(root, tuple(context), ()), added)


def _reason(rel: str, mode: int, size: int | None, limits: Limits) -> str | None:
    if mode & 0o170000 == 0o120000:
        return "symlink (not followed)"
    if mode & 0o170000 == 0o160000:
        return "submodule (not followed)"
    if is_vendored(rel):
        return "vendored"
    if size is None:
        return "blob not present: partial clone"
    if size > limits.max_file_bytes:
        return f"oversized ({size} bytes > {limits.max_file_bytes})"
    return None


def only_added(report: Report, added: dict[str, frozenset[int]]) -> Report:
    """The report with only the matches that overlap lines the change adds."""
    def touches(m) -> bool:
        lines = added.get(m.path, frozenset())
        return any(n in lines for n in range(m.start_line, m.end_line + 1))

    matches = tuple(m for m in report.matches if touches(m))
    paths = {m.path for m in matches}
    return replace(report, matches=matches, files=tuple(f for f in report.files
                                                        if f.path in paths))
