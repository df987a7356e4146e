# SPDX-License-Identifier: Apache-2.0
"""What a commit or a pull request adds, read from git objects: ``attrib check``.

``--staged`` reads the blobs in git's index (not the working tree) of the
files the commit changes; ``--diff BASE[..HEAD]`` the blobs at HEAD of the
files changed since the merge base.  Either way only the lines being added
count: a match must overlap them to be reported, so code that was already
there (and already credited, or already triaged) is not flagged on every
commit.  The repository is untrusted: no hooks, no external diff or textconv
drivers, no checkout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import SourceError
from .model import Report, Skip, Source, SourceFile
from .sources import SAFE_GIT, Limits, blob_dates, is_vendored, looks_binary

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_DIFF = ("--no-ext-diff", "--no-textconv", "--no-color", "--no-renames", "-U0")
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
    import git

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise SourceError(f"{path}: not a git repository") from None
    if repo.bare:
        raise SourceError(f"{path}: a bare repository has no index to check")
    return repo


def _git(repo, *args: str) -> str:
    import git

    try:
        # quotePath off: non-ASCII paths come through as they are, not as C-quoted octal
        return repo.git.execute(["git", *SAFE_GIT, "-c", "core.quotePath=false", *args],
                                stdout_as_string=True)
    except git.GitCommandError as exc:
        last = (str(exc.stderr).strip().splitlines() or ["git failed"])[-1]
        raise SourceError(f"{repo.working_dir}: git {args[0]} failed: "
                          f"{last.strip().strip(chr(39)).removeprefix('fatal: ')}") from None


def added_lines(diff: str) -> dict[str, frozenset[int]]:
    """Line numbers each file gains, from a ``-U0`` unified diff (new side)."""
    out: dict[str, set[int]] = {}
    path = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = _unquote(line[4:].rstrip("\t"))  # git ends a name holding spaces with a tab
            path = None if name == "/dev/null" else name[2:] if name.startswith("b/") else name
            if path is not None:
                out.setdefault(path, set())
        elif path is not None and line.startswith("@@"):
            m = _HUNK.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                out[path].update(range(start, start + count))
    return {p: frozenset(v) for p, v in out.items()}


def _with_names(added: dict[str, frozenset[int]], names: str) -> dict[str, frozenset[int]]:
    """Every added or modified path (binary ones have no diff lines), with its added lines."""
    return {p: added.get(p, frozenset()) for p in names.split("\0") if p}


def _unquote(name: str) -> str:
    """A path as git prints it: C-quoted when it holds unusual bytes (quotes, control, non-UTF-8)."""
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def has_head(repo) -> bool:
    try:
        repo.head.commit
        return True
    except ValueError:
        return False


def staged(path: str | Path, limits: Limits = Limits()) -> Change:
    """The change a commit would make now: staged blobs, and the lines they add."""
    repo = repo_at(path)
    # on an unborn branch everything staged is new: compare with the empty tree
    against = "HEAD" if has_head(repo) else _EMPTY_TREE
    added = _with_names(added_lines(_git(repo, "diff", "--cached", *_DIFF, against, "--")),
                        _git(repo, "diff", "--cached", "--name-only", "-z", "--no-renames",
                             "--diff-filter=AMT", against, "--"))
    entries = {e.path: e for e in repo.index.entries.values()}  # (path, stage) -> entry
    if any(stage for _, stage in repo.index.entries):
        raise SourceError(f"{repo.working_dir}: a merge is in progress with unresolved "
                          "conflicts; resolve them before checking")
    blobs = {p: (e.hexsha, e.mode) for p, e in entries.items()}
    return _change(repo, added, blobs, limits, dated=False)


def diff(path: str | Path, spec: str, limits: Limits = Limits()) -> Change:
    """The change ``BASE..HEAD`` (``BASE`` alone: up to HEAD) makes, from the merge base."""
    repo = repo_at(path)
    base, _, head = spec.partition("..")
    head = head.lstrip(".") or "HEAD"
    for ref in (base, head):
        try:
            repo.commit(ref)
        except Exception:  # noqa: BLE001 - gitpython raises several kinds for a missing ref
            shallow = (Path(repo.git_dir) / "shallow").exists()
            hint = (" (this is a shallow clone: fetch more history, e.g. actions/checkout with "
                    "fetch-depth: 0, or git fetch --unshallow)") if shallow else ""
            raise SourceError(f"{repo.working_dir}: cannot find {ref!r}{hint}") from None
    added = _with_names(added_lines(_git(repo, "diff", *_DIFF, f"{base}...{head}", "--")),
                        _git(repo, "diff", "--name-only", "-z", "--no-renames",
                             "--diff-filter=AMT", f"{base}...{head}", "--"))
    tree = repo.commit(head).tree
    blobs = {}
    for rel in added:
        try:
            item = tree / rel
        except KeyError:
            continue
        blobs[rel] = (item.hexsha, item.mode)
    for item in tree.traverse(predicate=lambda i, d: d == 1 and _CONTEXT.match(i.path), depth=2):
        blobs.setdefault(item.path, (item.hexsha, item.mode))
    return _change(repo, added, blobs, limits, dated=True, head=repo.commit(head).hexsha)


def _change(repo, added: dict[str, frozenset[int]], blobs: dict[str, tuple[str, int]],
            limits: Limits, dated: bool, head: str | None = None) -> Change:
    dates = blob_dates(repo, head) if dated and head else {}
    changed: list[SourceFile] = []
    context: list[SourceFile] = []
    skipped: list[Skip] = []
    for rel, (sha, mode) in sorted(blobs.items()):
        wanted = rel in added
        if not wanted and not _CONTEXT.match(rel):
            continue
        reason = _reason(repo, rel, sha, mode, limits)
        if reason:
            if wanted:
                skipped.append(Skip(rel, reason))
            continue
        data = repo.odb.stream(bytes.fromhex(sha)).read()
        if looks_binary(data):
            if wanted:
                skipped.append(Skip(rel, "binary"))
            continue
        data = data.replace(b"\r\n", b"\n")  # CRLF files give the same tokens and lines as LF
        d = dates.get(sha, (None, None, None))
        f = SourceFile(rel, sha, data, *d)
        context.append(f)
        if wanted:
            changed.append(f)
    root = str(repo.working_dir)
    return Change(Source(root, tuple(changed), tuple(skipped)),
                  Source(root, tuple(context), ()), added)


def _reason(repo, rel: str, sha: str, mode: int, limits: Limits) -> str | None:
    if mode & 0o170000 == 0o120000:
        return "symlink (not followed)"
    if mode & 0o170000 == 0o160000:
        return "submodule (not followed)"
    if is_vendored(rel):
        return "vendored"
    size = repo.odb.info(bytes.fromhex(sha)).size
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
