# SPDX-License-Identifier: Apache-2.0
"""Sources: the files of a directory, a single file, or a git tree at a ref.

Scanned trees are untrusted.  Nothing here executes their code: git objects
are read through :mod:`attrib.gitsafe` (a private git directory, never the
repository's own config), symlinks are
never followed, sizes are bounded, and every file that is not analysed becomes
a :class:`~attrib.model.Skip` with its reason.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..errors import SourceError
from ..model import Skip, Source, SourceFile

if TYPE_CHECKING:
    from ..gitsafe.objects import Dated

# Path components that mark third-party or generated code, not the project's own.
# (A virtual environment is recognised by its pyvenv.cfg, not by a name like
# "venv", which is also the name of a standard library package.)
VENDORED_DIRS = frozenset(
    {"vendor", "vendored", "third_party", "thirdparty", "third-party", "node_modules",
     "site-packages", "dist-packages", "__pycache__", ".git", ".hg", ".svn", ".tox",
     ".venv", ".mypy_cache", ".pytest_cache", "bower_components"}
)


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
    """The tree of ``ref`` in the repository at ``path``, from git objects (no checkout).

    The repository is opened as data (:mod:`attrib.gitsafe`): its config never
    applies.  The file limit bounds the walk itself (files read, and skips
    recorded, each at most ``max_files``): a tree of a million entries costs no
    more than the limit.  A blob or tree a partial clone lacks is a skip.
    """
    with open_repo(path) as repo:
        commit = repo.resolve(ref)
        files, skipped = _git_files(repo, commit, limits, wanted)
        paths: dict[str, Dated] = {}
        dates = repo.log_blobs(commit, {f.blob_id for f in files}, paths)
    files = [_dated(f, dates, paths) for f in files]
    files.sort(key=lambda f: f.path)
    skipped.sort(key=lambda s: s.path)
    return Source(str(path), tuple(files), tuple(skipped), ref=ref, commit=commit)


def _git_files(repo, commit: str, limits: Limits, wanted) -> tuple[list[SourceFile], list[Skip]]:
    candidates, skipped = _git_candidates(repo, commit, limits, wanted)
    sizes = repo.sizes(e.sha for e in candidates)
    readable = []
    for e in candidates:
        size = sizes.get(e.sha)
        reason = ("blob not present: partial clone" if size is None
                  else skip_reason(e.path, size, limits))
        if reason:
            skipped.append(Skip(e.path, reason))
        else:
            readable.append(e)
    files = []
    for e, (_, data) in zip(readable, repo.blobs(e.sha for e in readable)):
        if data is None:
            skipped.append(Skip(e.path, "blob not present: partial clone"))
        elif looks_binary(data):
            skipped.append(Skip(e.path, "binary"))
        else:
            files.append(SourceFile(e.path, e.sha, data))
    return files, skipped


_ENTRY_SKIPS = {"symlink": "symlink (not followed)", "submodule": "submodule (not followed)",
                "missing": "tree not present: partial clone",
                "too large": "tree object too large (not read)", "tree": "vendored",
                "bad name": "invalid name in the git tree (not read)"}


def _git_candidates(repo, commit: str, limits: Limits, wanted) -> tuple[list, list[Skip]]:
    """The blobs of ``commit`` worth reading, and skips; the walk stops at the file limit."""
    candidates: list = []
    skipped: list[Skip] = []
    descend = (lambda d: not is_vendored(d + "/x"))
    for entry in repo.walk(commit, descend):
        if len(candidates) >= limits.max_files or len(skipped) >= limits.max_files:
            skipped.append(Skip(entry.path, f"file limit reached ({limits.max_files}): "
                                            "the rest of the tree was not read"))
            break
        if (wanted is not None and entry.kind in ("blob", "symlink", "submodule")
                and not wanted(entry.path)):
            continue
        if entry.kind == "blob":
            candidates.append(entry)
        else:
            suffix = "/" if entry.kind in ("tree", "missing", "too large") else ""
            skipped.append(Skip(entry.path + suffix, _ENTRY_SKIPS[entry.kind]))
    return candidates, skipped


def open_repo(path: Path):
    """The repository at ``path`` opened as data; a one-line error if there is none."""
    from .. import gitsafe

    try:
        return gitsafe.open_repo(path)
    except gitsafe.NotARepository:
        raise SourceError(f"{path}: not a git repository (a --ref needs one)") from None


def resolve_commit(path: Path, ref: str) -> str:
    """The commit id ``ref`` names in the repository at ``path``."""
    with open_repo(path) as repo:
        return repo.resolve(ref)


def blob_dates(repo, commit: str, wanted: set[str] | None = None) -> dict[str, Dated]:
    """For each blob in the history of ``commit``: (date, commit, author, author date) of the
    commit that added it.

    One ``git log`` pass, oldest first; the first commit that shows a blob id wins.
    """
    return repo.log_blobs(commit, wanted)


def head_info(path: Path) -> tuple[str | None, str | None]:
    """(branch or None, commit) of a directory that is a git work tree, else (None, None)."""
    from .. import gitsafe

    try:
        with gitsafe.open_repo(path) as repo:
            return repo.head()
    except SourceError:
        return None, None


def with_history(source: Source, path: Path) -> Source:
    """A work tree's files, dated by the history of HEAD where their blob is unchanged.

    A directory that is not a git work tree comes back as it was; one whose
    ``.git`` leads out of the tree too, with a skip saying its history was not read.
    """
    from .. import gitsafe

    try:
        repo = gitsafe.open_repo(path)
    except gitsafe.OutsideTree as exc:
        why = str(exc).split(": ", 1)[-1]
        return replace(source, skipped=source.skipped + (Skip(".git", f"{why}: history not read"),))
    except SourceError:
        return source
    with repo:
        _, commit = repo.head()
        if not commit:
            return source
        paths: dict[str, Dated] = {}
        dates = repo.log_blobs(commit, {f.blob_id for f in source.files}, paths)
    files = tuple(_dated(f, dates, paths) for f in source.files)
    return replace(source, files=files, commit=commit)


def _dated(f: SourceFile, dates: dict[str, Dated], paths: dict[str, Dated]) -> SourceFile:
    """``f`` with the commit that introduced its blob, and when its path first appeared
    (by committer dates, and by the author dates of the same commits)."""
    d = dates.get(f.blob_id)
    if d is None:
        return f
    first = paths.get(f.path)
    return replace(f, date=d[0], commit=d[1], author=d[2],
                   first_date=min(first[0], d[0]) if first else d[0],
                   author_date=d[3], first_author_date=min(first[3], d[3]) if first else d[3])
