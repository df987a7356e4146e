# SPDX-License-Identifier: Apache-2.0
"""Where a repository's parts are, and whether they stay inside the tree attrib was given."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import SourceError

ALTERNATES_DEPTH = 5  # as deep as git itself follows alternates of alternates


class NotARepository(SourceError):
    """The path holds no git repository."""


class OutsideTree(SourceError):
    """The repository's git directory, common directory or object store is outside its tree."""


@dataclass(frozen=True)
class Location:
    """Where a repository's parts are on disk."""

    root: Path  # the tree it belongs to: its work tree, or the bare repository itself
    git_dir: Path  # HEAD and the index
    common_dir: Path  # objects, refs, packed-refs, shallow, config
    bare: bool


def _inside(path: Path, root: Path) -> bool:
    real, top = path.resolve(), root.resolve()
    return real == top or top in real.parents


def _looks_like_git_dir(path: Path) -> bool:
    try:
        # a linked worktree's git directory has HEAD and a commondir, the rest is there
        return (path / "HEAD").is_file() and (
            (path / "commondir").is_file()
            or ((path / "objects").is_dir() and (path / "refs").is_dir()))
    except OSError:
        return False


def small_text(path: Path, limit: int = 4096) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(limit)


def _gitdir_of_file(dot_git: Path) -> Path:
    """The directory a ``.git`` file names (``gitdir: PATH``, relative to the file)."""
    try:
        line = small_text(dot_git).splitlines()[0] if dot_git.stat().st_size else b""
    except (OSError, IndexError):
        line = b""
    if not line.startswith(b"gitdir: "):
        raise NotARepository(f"{dot_git}: a .git file that names no git directory")
    return dot_git.parent / os.fsdecode(line[len(b"gitdir: "):].strip())


def locate(path: str | os.PathLike[str], trusted: bool = False) -> Location:
    """The repository at ``path`` (``trusted``: or in a parent directory, as git finds it).

    Untrusted, every part must lie inside ``path``: else :class:`OutsideTree`.
    """
    start = Path(path)
    if not start.exists():
        raise SourceError(f"{path}: no such file or directory")
    candidates = [start] + (list(start.resolve().parents) if trusted else [])
    for top in candidates:
        loc = _at(top, start, trusted)
        if loc is not None:
            return loc
    raise NotARepository(f"{path}: not a git repository")


def _at(top: Path, start: Path, trusted: bool) -> Location | None:
    dot = top / ".git"
    if os.path.lexists(dot):
        if not trusted and not _inside(dot, top):  # a symlink: not even read
            raise OutsideTree(f"{start}: its .git points outside the tree ({dot.resolve()}); "
                              "not followed")
        git_dir = _gitdir_of_file(dot) if dot.is_file() else dot
        root, bare = top, False
    elif _looks_like_git_dir(top):
        git_dir, root, bare = top, top, True
    else:
        return None
    if not trusted and not _inside(git_dir, root):
        raise OutsideTree(f"{start}: its .git points outside the tree ({git_dir.resolve()}); "
                          "not followed")
    if not _looks_like_git_dir(git_dir):
        raise NotARepository(f"{start}: {git_dir} is not a git directory")
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = git_dir / os.fsdecode(small_text(git_dir / "commondir").strip())
        if not trusted and not _inside(common, root):
            raise OutsideTree(f"{start}: its commondir points outside the tree "
                              f"({common.resolve()}); not followed")
    if not trusted:
        _check_objects(common / "objects", root, start)
    return Location(root, git_dir, common, bare)


def _check_objects(objects: Path, root: Path, start: Path, depth: int = 0) -> None:
    """Refuse an object store, or an alternate of it (git follows them), outside ``root``."""
    if not _inside(objects, root):
        raise OutsideTree(f"{start}: its objects are outside the tree ({objects.resolve()}); "
                          "not followed")
    alternates = objects / "info" / "alternates"
    if depth > ALTERNATES_DEPTH or not alternates.is_file():
        return
    try:
        lines = small_text(alternates, 1 << 20).splitlines()
    except OSError:
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b'"'):  # a C-quoted path: unusual enough to refuse unread
            raise OutsideTree(f"{start}: its object alternates name a quoted path; not followed")
        _check_objects(objects / os.fsdecode(line), root, start, depth + 1)
