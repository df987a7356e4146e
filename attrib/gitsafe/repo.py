# SPDX-License-Identifier: Apache-2.0
"""A repository opened as data: a private git directory, never the repository's config."""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import SourceError
from . import objects
from .location import Location, small_text, locate
from .run import OPTIONS, READ_TIMEOUT, config_get, environment, failure

MAX_REFS = 200_000  # loose ref files copied; more is not a repository anyone scans
_HEX = re.compile(rb"[0-9a-f]{40}|[0-9a-f]{64}")
_SYMREF = re.compile(rb"ref: (refs/[^\s\0]+)")


class Repo:
    """A repository read through a private git directory (see the module docstring).

    ``index``: also copy the staged index (``attrib check --staged``): the file
    ``$GIT_INDEX_FILE`` names when set (a hook during ``git commit -a``), else
    the repository's own.  Close it (or use ``with``) to remove the directory.
    """

    def __init__(self, location: Location, index: bool = False, label: str | None = None):
        self.location = location
        self.label = label or str(location.root)
        self.git_dir = Path(tempfile.mkdtemp(prefix="attrib-git-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.git_dir), True)
        self._catfile: objects._CatFile | None = None
        self.hexlen = 40  # characters of an object id: 64 in a SHA-256 repository
        try:
            self._build(index)
        except BaseException:
            self.close()
            raise
        self.env = environment(self.git_dir)

    # -- set-up --

    def _build(self, index: bool) -> None:
        src, common, mine = self.location.git_dir, self.location.common_dir, self.git_dir
        (mine / "objects" / "info").mkdir(parents=True)
        (mine / "refs").mkdir()
        (mine / "objects" / "info" / "alternates").write_bytes(
            _quoted(str((common / "objects").resolve())) + b"\n")
        head = small_text(src / "HEAD") if (src / "HEAD").is_file() else b""
        head = head.strip()
        if not (_SYMREF.fullmatch(head) or _HEX.fullmatch(head)):
            head = b"ref: refs/heads/attrib-no-head"  # git needs a HEAD; this one names nothing
        (mine / "HEAD").write_bytes(head + b"\n")
        _copy_refs(common / "refs", mine / "refs", self.label)
        for name in ("packed-refs", "shallow"):
            _copy_regular(common / name, mine / name)
        (mine / "config").write_text(self._config(common / "config"))
        if index:
            self._copy_index(src)

    def _config(self, theirs: Path) -> str:
        lines = ["[core]", "\trepositoryformatversion = 0", "\tbare = true"]
        fmt = _object_format(theirs)
        if fmt and fmt != "sha1":
            self.hexlen = 64
            lines[1] = "\trepositoryformatversion = 1"
            lines += ["[extensions]", f"\tobjectFormat = {fmt}"]
        return "\n".join(lines) + "\n"

    def _copy_index(self, src: Path) -> None:
        named = os.environ.get("GIT_INDEX_FILE")
        index = Path(named) if named else src / "index"
        _copy_regular(index, self.git_dir / "index")
        for shared in src.glob("sharedindex.*"):  # a split index keeps its entries there
            _copy_regular(shared, self.git_dir / shared.name)

    # -- running git --

    def run(self, *args: str, timeout: float = READ_TIMEOUT, ok: Iterable[int] = (0,)) -> bytes:
        """Run ``git ARGS`` here; its stdout.  A failure is a :class:`SourceError` (one line)."""
        try:
            done = subprocess.run(["git", *OPTIONS, *args], env=self.env, cwd=self.git_dir,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SourceError(f"{self.label}: git {args[0]} took more than {timeout:.0f} s") \
                from None
        except OSError as exc:
            raise SourceError(f"{self.label}: cannot run git ({exc.strerror})") from None
        if done.returncode not in ok:
            raise SourceError(failure(done.stderr, self.label))
        return done.stdout

    def popen(self, *args: str, stdin: bool = False) -> subprocess.Popen:
        try:
            return subprocess.Popen(
                ["git", *OPTIONS, *args], env=self.env, cwd=self.git_dir,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise SourceError(f"{self.label}: cannot run git ({exc.strerror})") from None

    def close(self) -> None:
        if self._catfile is not None:
            self._catfile.close()
            self._catfile = None
        self._cleanup()

    def __enter__(self) -> "Repo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what attrib asks of a repository --

    @property
    def shallow(self) -> bool:
        return (self.git_dir / "shallow").is_file()

    def resolve(self, ref: str) -> str:
        """The commit id ``ref`` names; an unknown ref is one line (hinting at a shallow clone)."""
        if ref.startswith("-"):
            raise SourceError(f"{self.label}: a git ref may not start with '-'")
        done = subprocess.run(["git", *OPTIONS, "rev-parse", "--verify", "--quiet",
                               "--end-of-options", f"{ref}^{{commit}}"],
                              env=self.env, cwd=self.git_dir, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=READ_TIMEOUT)
        sha = done.stdout.strip()
        if done.returncode == 0 and _HEX.fullmatch(sha):
            return sha.decode()
        hint = (" (this is a shallow clone: its history is cut there; fetch more history, "
                "e.g. git fetch --unshallow)") if self.shallow else ""
        raise SourceError(f"{self.label}: unknown git ref {ref!r}{hint}")

    def head(self) -> tuple[str | None, str | None]:
        """(branch or None, commit or None) of HEAD."""
        head = (self.git_dir / "HEAD").read_bytes().strip()
        branch = None
        if m := _SYMREF.fullmatch(head):
            name = m.group(1).decode("utf-8", "replace")
            branch = name.removeprefix("refs/heads/") if name.startswith("refs/heads/") else None
        try:
            return branch, self.resolve("HEAD")
        except SourceError:
            return branch, None

    def catfile(self) -> objects._CatFile:
        if self._catfile is None:
            self._catfile = objects._CatFile(self)
        return self._catfile

    def sizes(self, shas: Iterable[str]) -> dict[str, int | None]:
        """Each object's size, None where the object is not present (never fetched)."""
        wanted = list(dict.fromkeys(shas))
        return objects.sizes_of(self, wanted) if wanted else {}

    def blobs(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
        """(sha, content or None when not present), in order (:func:`objects.blobs`)."""
        return objects.blobs(self, shas)

    def walk(self, commit: str, descend: Callable[[str], bool] | None = None
             ) -> Iterator[objects.Entry]:
        """The entries of ``commit``'s tree, lazily (:func:`objects.walk`)."""
        return objects.walk(self, commit, descend)

    def log_blobs(self, commit: str, wanted: set[str] | None = None,
                  paths: dict[str, objects.Dated] | None = None
                  ) -> dict[str, objects.Dated]:
        """(date, commit, author, author date) first showing each blob
        (:func:`objects.log_blobs`)."""
        return objects.log_blobs(self, commit, wanted, paths)


def _quoted(path: str) -> bytes:
    """A path for an alternates file (git C-unquotes a line that starts with a quote)."""
    raw = os.fsencode(path)
    if not re.search(rb'[\n"\\]', raw) and not raw.startswith(b"#"):
        return raw
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n") + b'"'


def _copy_regular(src: Path, dest: Path, limit: int | None = None) -> bool:
    """Copy ``src`` if it is a regular file (never through a symlink)."""
    try:
        st = os.lstat(src)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or (limit is not None and st.st_size > limit):
        return False
    shutil.copyfile(src, dest, follow_symlinks=False)
    return True


def _copy_refs(src: Path, dest: Path, label: str) -> None:
    """The loose refs under ``src``, regular files only; a symlinked ref or directory is left."""
    if not src.is_dir() or src.is_symlink():
        return
    copied = 0
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            if _copy_regular(Path(dirpath) / name, dest / rel / name, limit=4096):
                copied += 1
                if copied > MAX_REFS:
                    raise SourceError(f"{label}: more than {MAX_REFS} refs; not read")


def _object_format(config: Path) -> str | None:
    try:
        if b"extensions" not in small_text(config, 1 << 20).lower():
            return None
    except OSError:
        return None
    value = config_get(config, "extensions.objectformat")
    return value if value in ("sha1", "sha256") else None


def open_repo(path: str | os.PathLike[str], trusted: bool = False, index: bool = False,
              label: str | None = None) -> Repo:
    """The repository at ``path`` opened as data (see :func:`locate` and :class:`Repo`)."""
    return Repo(locate(path, trusted), index=index, label=label or str(path))
