# SPDX-License-Identifier: Apache-2.0
"""Reading objects: trees walked lazily, blob sizes and contents in batches, history dates."""
from __future__ import annotations

import re
import subprocess
import threading
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, NamedTuple

from ..errors import SourceError
from .run import READ_TIMEOUT, feed_lines, finish, display, failure

if TYPE_CHECKING:
    from .repo import Repo

MAX_TREE_BYTES = 256 << 20  # one tree object; a 1,000,000-entry tree is about 40 MB


class Entry(NamedTuple):
    """One entry of a git tree: its display path (see :func:`display`), raw path bytes,
    mode, object id and kind: blob, symlink, submodule, tree, missing, too large, or
    bad name (``.``, ``..`` or a name holding ``/``: only a forged tree has one)."""

    path: str
    raw: bytes
    mode: int
    sha: str
    kind: str


_KINDS = {0o040000: "tree", 0o120000: "symlink", 0o160000: "submodule"}


def _kind(mode: int) -> str:
    return _KINDS.get(mode & 0o170000, "blob")


_ENTRY = {20: re.compile(rb"([0-7]{5,6}) ([^\0]+)\0(.{20})", re.S),
          32: re.compile(rb"([0-7]{5,6}) ([^\0]+)\0(.{32})", re.S)}


def _tree_entries(data: bytes, hexlen: int) -> Iterator[tuple[int, bytes, str]]:
    """(mode, name, sha) of a tree object, parsed lazily: ``<octal mode> <name>\\0<id>``.
    A malformed or truncated tree ends where it stops parsing; what came before stands."""
    modes: dict[bytes, int] = {}
    pos = 0
    for m in _ENTRY[hexlen // 2].finditer(data):
        if m.start() != pos:
            return
        pos = m.end()
        raw_mode = m.group(1)
        mode = modes.get(raw_mode)
        if mode is None:
            mode = modes[raw_mode] = int(raw_mode, 8)
        yield mode, m.group(2), m.group(3).hex()


class _CatFile:
    """One ``git cat-file --batch`` process: request an object, read its header and content."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.proc: subprocess.Popen | None = None
        self.hexlen = repo.hexlen

    def _start(self) -> subprocess.Popen:
        if self.proc is None:
            self.proc = self.repo.popen("cat-file", "--batch", stdin=True)
        return self.proc

    def read(self, name: str, limit: int | None = None) -> tuple[str, bytes] | None:
        """(type, content) of object ``name``; None if not present; ("too large", b"") past
        ``limit`` (the process is restarted rather than drained)."""
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(name.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
        except (BrokenPipeError, OSError):
            self.close()
            raise SourceError(f"{self.repo.label}: git cat-file stopped") from None
        if len(header) != 3 or not header[2].isdigit():
            if not header:
                self.close()
                raise SourceError(failure(proc.stderr.read() if proc.stderr else b"",
                                          self.repo.label))
            return None  # "<name> missing", "ambiguous"
        size = int(header[2])
        if limit is not None and size > limit:
            self.close()
            return ("too large", b"")
        data = proc.stdout.read(size + 1)[:-1]  # content, then a newline
        return header[1].decode(), data

    def close(self) -> None:
        if self.proc is not None:
            finish(self.proc, kill=True)
            self.proc = None


def sizes_of(repo: Repo, wanted: list[str]) -> dict[str, int | None]:
    """Each object's size (None: not present), through one ``cat-file --batch-check``."""
    proc = repo.popen("cat-file", "--batch-check", stdin=True)
    feed = threading.Thread(target=feed_lines, args=(proc.stdin, wanted), daemon=True)
    feed.start()
    sizes: dict[str, int | None] = {}
    assert proc.stdout is not None
    for sha in wanted:
        line = proc.stdout.readline().split()
        # "<sha> <type> <size>", or "<name> missing" / "ambiguous"
        sizes[sha] = int(line[2]) if len(line) == 3 and line[2].isdigit() else None
    feed.join()
    finish(proc)
    return sizes


def blobs(repo: Repo, shas: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
    """(sha, content or None when not present), in order.  One ``cat-file --batch`` fed
    by a thread (no round trip per blob), each distinct blob read once."""
    order = list(shas)
    unique = list(dict.fromkeys(order))
    if not unique:
        return
    proc = repo.popen("cat-file", "--batch", stdin=True)
    feed = threading.Thread(target=feed_lines, args=(proc.stdin, unique), daemon=True)
    feed.start()
    assert proc.stdout is not None
    got: dict[str, bytes | None] = {}
    try:
        for sha in unique:
            header = proc.stdout.readline().split()
            if len(header) == 3 and header[2].isdigit():
                got[sha] = proc.stdout.read(int(header[2]) + 1)[:-1]
            elif header:
                got[sha] = None  # "<sha> missing"
            else:
                raise SourceError(failure(proc.stderr.read() if proc.stderr else b"",
                                          repo.label))
    finally:
        feed.join(timeout=5)
        finish(proc, kill=True)
    for sha in order:
        yield sha, got[sha]


def walk(repo: Repo, commit: str, descend: Callable[[str], bool] | None = None
         ) -> Iterator[Entry]:
    """Every entry of ``commit``'s tree, depth first in git's order, read lazily.

    ``descend(dir_path)`` false: the directory is yielded as a "tree" entry and
    not entered.  A tree that is not present (a partial clone) or too large is
    yielded as kind "missing" or "too large"; the walk goes on.  Stop iterating to
    stop reading: work is bounded by what the caller takes.
    """
    cat = repo.catfile()
    got = cat.read(f"{commit}^{{tree}}")
    if got is None:
        yield Entry("", b"", 0o40000, commit, "missing")
        return
    stack: list[tuple[bytes, str, Iterator[tuple[int, bytes, str]]]] = [
        (b"", "", _tree_entries(got[1], cat.hexlen))]
    while stack:
        prefix, _, entries = stack[-1]
        item = next(entries, None)
        if item is None:
            stack.pop()
            continue
        mode, name, sha = item
        raw = prefix + name
        kind = "bad name" if name in (b".", b"..") or b"/" in name else _kind(mode)
        entry = Entry(display(raw), raw, mode, sha, kind)
        if entry.kind != "tree":
            yield entry
            continue
        if descend is not None and not descend(entry.path):
            yield entry
            continue
        sub = cat.read(sha, limit=MAX_TREE_BYTES)
        if sub is None or sub[0] != "tree":
            why = "too large" if sub is not None and sub[0] == "too large" else "missing"
            yield Entry(entry.path, raw, mode, sha, why)
            continue
        stack.append((raw + b"/", entry.path, _tree_entries(sub[1], cat.hexlen)))


# (committer date, commit, author, author date) of one commit
Dated = tuple[int, str, str, int]


def log_blobs(repo: Repo, commit: str, wanted: set[str] | None = None,
              paths: dict[str, Dated] | None = None) -> dict[str, Dated]:
    """For each blob in the history of ``commit`` (only ``wanted`` ones, if given):
    (date, commit, author, author date) of the oldest commit that shows it.  Streamed,
    and stopped as soon as every wanted blob is dated; a history git cannot read dates
    nothing.

    The date is the committer date (what git itself writes); the author date rides
    along because a rewritten history (a rebase or filter-repo run years later,
    kjanko/python-fingerprint-recognition issue 17) keeps the author dates and gives
    every commit a new committer date, while a copier can set an author date freely
    (``git commit --date``): who had it first is read from both (:mod:`attrib.history`).

    ``paths``, when given, is filled with the oldest commit that shows each path at all
    (any version of the file): when an upstream first had a file, which is what "who
    had it first" must compare a copy's date with (a copy of an old version predates
    the upstream's current blob, never the upstream's file).
    """
    if wanted is not None and not wanted:
        return {}
    proc = repo.popen("log", "--reverse", "--raw", "--no-abbrev", "--no-renames",
                      "--no-show-signature", "--format=%x00%H %ct %at %an", commit, "--")
    timer = threading.Timer(READ_TIMEOUT, proc.kill)
    timer.start()
    dates: dict[str, Dated] = {}
    current: Dated | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(b"\0"):
                sha, ct, at, author = (line[1:].rstrip(b"\n").split(b" ", 3) + [b""] * 3)[:4]
                current = (int(ct or 0), sha.decode(), author.decode("utf-8", "replace"),
                           int(at or 0))
            elif line.startswith(b":") and current is not None:
                meta, _, name = line.rstrip(b"\n").partition(b"\t")
                fields = meta.split()
                if paths is not None and name:
                    paths.setdefault(name.decode("utf-8", "surrogateescape"), current)
                if len(fields) >= 4:
                    blob = fields[3].decode()
                    if (wanted is None or blob in wanted) and blob not in dates:
                        dates[blob] = current
                        if wanted is not None and len(dates) == len(wanted):
                            break
    except ValueError:
        return {}
    finally:
        timer.cancel()
        finish(proc, kill=True)
    return dates
