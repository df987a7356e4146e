# SPDX-License-Identifier: Apache-2.0
"""Sources: the files of a directory, a single file, or a git tree at a ref.

Scanned trees are untrusted.  Nothing here executes their code: git objects
are read through gitpython's object database (``git cat-file``), symlinks are
never followed, sizes are bounded, and every file that is not analysed becomes
a :class:`~attrib.model.Skip` with its reason.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import SourceError
from .model import Skip, Source, SourceFile

# Path components that mark third-party or generated code, not the project's own.
# (A virtual environment is recognised by its pyvenv.cfg, not by a name like
# "venv", which is also the name of a standard library package.)
VENDORED_DIRS = frozenset(
    {"vendor", "vendored", "third_party", "thirdparty", "third-party", "node_modules",
     "site-packages", "dist-packages", "__pycache__", ".git", ".hg", ".svn", ".tox",
     ".venv", ".mypy_cache", ".pytest_cache", "bower_components"}
)
# git options that keep an untrusted repository's config from running programs.
SAFE_GIT = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
            "-c", "protocol.ext.allow=never")


@dataclass(frozen=True)
class Limits:
    """Bounds on what a source may feed the pipeline."""

    max_file_bytes: int = 1_000_000
    max_files: int = 200_000


def blob_id(data: bytes) -> str:
    """The git blob id of ``data`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_vendored(path: str) -> bool:
    parts = path.split("/")[:-1]
    return any(p in VENDORED_DIRS or p.endswith(".egg-info") for p in parts)


def looks_binary(data: bytes) -> bool:
    """NUL bytes mean binary, unless a UTF-16 byte-order mark says it is text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\0" in data[:8192]


def skip_reason(path: str, size: int, limits: Limits, taken: int = 0) -> str | None:
    """Why a file must be skipped before reading it (``taken`` files already read), or None."""
    if is_vendored(path):
        return "vendored"
    if size > limits.max_file_bytes:
        return f"oversized ({size} bytes > {limits.max_file_bytes})"
    if taken >= limits.max_files:
        return f"file limit reached ({limits.max_files})"
    return None


def open_source(path: str | os.PathLike[str], ref: str | None = None,
                limits: Limits = Limits(), wanted=None) -> Source:
    """Read ``path`` as a directory, a single file, or (with ``ref``) a git tree.

    ``wanted(path) -> bool`` filters by relative path before any file is read.
    """
    p = Path(path)
    if not p.exists():
        raise SourceError(f"{path}: no such file or directory")
    if ref is not None:
        return read_git(p, ref, limits, wanted)
    if p.is_file():
        return read_file(p, limits)
    return read_directory(p, limits, wanted)


def read_file(path: Path, limits: Limits = Limits()) -> Source:
    size = path.stat().st_size
    name = path.name
    reason = "oversized" if size > limits.max_file_bytes else None
    if reason is None:
        data = path.read_bytes()
        if looks_binary(data):
            return Source(str(path), (), (Skip(name, "binary"),))
        return Source(str(path.parent), (SourceFile(name, blob_id(data), data),), ())
    return Source(str(path), (), (Skip(name, f"oversized ({size} bytes)"),))


def read_directory(root: Path, limits: Limits = Limits(), wanted=None) -> Source:
    files: list[SourceFile] = []
    skipped: list[Skip] = []
    for rel, entry in _walk(root, skipped):
        if wanted is not None and not wanted(rel):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            skipped.append(Skip(rel, f"unreadable ({exc.strerror})"))
            continue
        reason = skip_reason(rel, st.st_size, limits, len(files))
        if reason:
            skipped.append(Skip(rel, reason))
            continue
        try:
            data = Path(entry.path).read_bytes()
        except OSError as exc:
            skipped.append(Skip(rel, f"unreadable ({exc.strerror})"))
            continue
        if looks_binary(data):
            skipped.append(Skip(rel, "binary"))
            continue
        files.append(SourceFile(rel, blob_id(data), data))
    files.sort(key=lambda f: f.path)
    skipped.sort(key=lambda s: s.path)
    return Source(str(root), tuple(files), tuple(skipped))


def _walk(root: Path, skipped: list[Skip]) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Regular files under ``root`` (relative posix path, entry), honouring .gitignore.

    Symlinks are never followed: one that points anywhere is recorded as a skip.
    """
    stack: list[tuple[str, list]] = [("", [])]
    while stack:
        rel_dir, specs = stack.pop()
        full = root / rel_dir if rel_dir else root
        specs = specs + _gitignore(full, rel_dir)
        try:
            entries = sorted(os.scandir(full), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skip(rel_dir or ".", f"unreadable directory ({exc.strerror})"))
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.name == ".git":
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if _ignored(specs, rel, is_dir):
                continue
            if entry.is_symlink():
                skipped.append(Skip(rel, "symlink (not followed)"))
            elif is_dir:
                if entry.name in VENDORED_DIRS or (Path(entry.path) / "pyvenv.cfg").is_file():
                    skipped.append(Skip(rel + "/", "vendored"))
                else:
                    stack.append((rel, specs))
            elif stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                yield rel, entry


def _gitignore(directory: Path, rel_dir: str) -> list:
    import pathspec

    path = directory / ".gitignore"
    if not path.is_file() or path.is_symlink():
        return []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [(rel_dir, pathspec.GitIgnoreSpec.from_lines(lines))]


def _ignored(specs: list, rel: str, is_dir: bool) -> bool:
    ignored = False
    for base, spec in specs:
        sub = rel[len(base) + 1:] if base else rel
        if is_dir:
            sub += "/"
        result = spec.check_file(sub)
        if result.include is not None:
            ignored = result.include
    return ignored


def read_git(path: Path, ref: str, limits: Limits = Limits(), wanted=None) -> Source:
    """The tree of ``ref`` in the repository at ``path``, from git objects (no checkout)."""
    repo = open_repo(path)
    commit = resolve_commit(repo, ref, path)
    dates = blob_dates(repo, commit.hexsha)
    files: list[SourceFile] = []
    skipped: list[Skip] = []
    for item in commit.tree.traverse():
        if item.type == "tree":
            continue
        rel = item.path
        if wanted is not None and not wanted(rel):
            continue
        if item.type == "commit":
            skipped.append(Skip(rel, "submodule (not followed)"))
            continue
        if item.mode & 0o170000 == 0o120000:
            skipped.append(Skip(rel, "symlink (not followed)"))
            continue
        reason = skip_reason(rel, item.size, limits, len(files))
        if reason:
            skipped.append(Skip(rel, reason))
            continue
        data = item.data_stream.read()
        if looks_binary(data):
            skipped.append(Skip(rel, "binary"))
            continue
        date, sha, author = dates.get(item.hexsha, (None, None, None))
        files.append(SourceFile(rel, item.hexsha, data, date, sha, author))
    files.sort(key=lambda f: f.path)
    skipped.sort(key=lambda s: s.path)
    return Source(str(path), tuple(files), tuple(skipped), ref=ref, commit=commit.hexsha)


def open_repo(path: Path):
    import git

    try:
        return git.Repo(path, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise SourceError(f"{path}: not a git repository (a --ref needs one)") from None


def resolve_commit(repo, ref: str, path: Path):
    import git

    try:
        return repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise SourceError(f"{path}: unknown git ref {ref!r}") from None


def blob_dates(repo, commit: str) -> dict[str, tuple[int, str, str]]:
    """For each blob in the history of ``commit``: (date, commit, author) of the commit that added it.

    One ``git log`` pass, oldest first; the first commit that shows a blob id wins.
    """
    import git

    try:
        out = repo.git.execute(
            ["git", *SAFE_GIT, "log", "--reverse", "--raw", "--no-abbrev", "--no-renames",
             "--format=%x00%H %ct %an", commit],
            stdout_as_string=True,
        )
    except git.GitCommandError:
        return {}
    dates: dict[str, tuple[int, str, str]] = {}
    current: tuple[int, str, str] | None = None
    for line in out.splitlines():
        if line.startswith("\0"):
            sha, ct, author = (line[1:].split(" ", 2) + ["", ""])[:3]
            current = (int(ct), sha, author)
        elif line.startswith(":") and current is not None:
            fields = line.split("\t", 1)[0].split()
            if len(fields) >= 4:
                dates.setdefault(fields[3], current)
    return dates


def head_info(path: Path) -> tuple[str | None, str | None]:
    """(branch or None, commit) of a directory that is a git work tree, else (None, None)."""
    import git

    try:
        repo = git.Repo(path, search_parent_directories=False)
        commit = repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None, None
    try:
        branch = repo.active_branch.name
    except TypeError:
        branch = None
    return branch, commit


def with_history(source: Source, path: Path) -> Source:
    """A work tree's files, dated by the history of HEAD where their blob is unchanged.

    A directory that is not a git work tree comes back as it was.
    """
    from dataclasses import replace

    _, commit = head_info(path)
    if not commit:
        return source
    dates = blob_dates(open_repo(path), commit)
    files = tuple(replace(f, date=d[0], commit=d[1], author=d[2]) if (d := dates.get(f.blob_id))
                  else f for f in source.files)
    return replace(source, files=files, commit=commit)
