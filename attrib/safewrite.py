# SPDX-License-Identifier: Apache-2.0
"""Writing a file so that a hostile tree cannot redirect it, and a failure leaves no trace.

    write_atomic(Path("THIRD_PARTY_NOTICES.md"), text.encode(), root=Path("."),
                 refuse_symlink=True)

The new content goes to a temporary file created exclusively (``O_EXCL |
O_NOFOLLOW``, a random name, like ``tempfile.mkstemp``) in the target's own
directory, opened once as a directory descriptor so every step happens in that
directory; then ``os.replace`` puts it in place in one step.  So a planted
``THIRD_PARTY_NOTICES.md.tmp`` or ``x.py.attrib-*.tmp`` symlink is never followed
(issue 11: such names were once fixed or time-predictable), a reader sees the old
file or the new one, and a full disk (``ENOSPC``, or ``EFBIG`` past
``RLIMIT_FSIZE``), a path beyond ``PATH_MAX`` or an unwritable directory is one
``OutputError`` with the target as it was.  ``root``: the directory must resolve
inside it; ``refuse_symlink``: a target that is a symlink is refused (else the
link itself is replaced, never followed).
"""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from .errors import OutputError

_DIR_FD = os.open in os.supports_dir_fd and os.replace in os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def write_atomic(target: str | Path, data: bytes, root: str | Path | None = None,
                 refuse_symlink: bool = False) -> None:
    """Write ``data`` to ``target`` atomically; OutputError (one line) if it cannot be."""
    target = Path(target)
    folder = target.parent
    name = target.name
    if not name or name in (".", ".."):
        raise OutputError(f"{short(str(target))}: not a file name")
    if root is not None:
        _check_inside(folder, Path(root), target)
    try:
        dfd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC) \
            if _DIR_FD else None
    except OSError as exc:
        raise OutputError(f"{short(str(target))}: cannot write ({exc.strerror})") from None
    try:
        _write_in(dfd, folder, name, data, refuse_symlink, target)
    finally:
        if dfd is not None:
            os.close(dfd)


def _write_in(dfd: int | None, folder: Path, name: str, data: bytes, refuse_symlink: bool,
              target: Path) -> None:
    def at(n: str) -> str:
        return n if dfd is not None else str(folder / n)

    mode = _existing_mode(dfd, at(name), refuse_symlink, target)
    tmp = f".{name[:200]}.{secrets.token_hex(8)}.tmp"  # short enough for NAME_MAX (255)
    try:
        fd = os.open(at(tmp), os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                     0o666, dir_fd=dfd)  # 0666 less the umask, as open() would make it
    except OSError as exc:
        raise OutputError(f"{short(str(target))}: cannot write ({exc.strerror})") from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if mode is not None:
                os.fchmod(fd, mode)  # a rewritten source file keeps its mode (e.g. +x)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(at(tmp), at(name), src_dir_fd=dfd, dst_dir_fd=dfd)
    except OSError as exc:
        try:
            os.unlink(at(tmp), dir_fd=dfd)
        except OSError:
            pass
        raise OutputError(f"{short(str(target))}: cannot write ({exc.strerror}); "
                          "left as it was") from None


def _existing_mode(dfd: int | None, name: str, refuse_symlink: bool, target: Path) -> int | None:
    try:
        info = os.lstat(name, dir_fd=dfd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{short(str(target))}: cannot write ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        if refuse_symlink:
            raise OutputError(f"{short(str(target))}: is a symbolic link; not written "
                              "through (remove it, or write elsewhere with -o)")
        return None
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{short(str(target))}: exists and is not a regular file")
    return stat.S_IMODE(info.st_mode)


def _check_inside(folder: Path, root: Path, target: Path) -> None:
    real, top = os.path.realpath(folder), os.path.realpath(root)
    if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
        raise OutputError(f"{short(str(target))}: its directory resolves outside "
                          f"{short(str(root))} ({short(real)}); not written")


def short(text: str, limit: int = 160) -> str:
    """A path cut in the middle: a message about a 5,000-character path stays readable."""
    return text if len(text) <= limit else text[:100] + "..." + text[-(limit - 103):]
