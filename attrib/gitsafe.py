# SPDX-License-Identifier: Apache-2.0
"""The one way attrib runs git: on a repository read as data, never configured by it.

A repository's ``.git/config`` is written by whoever made the repository, and
git runs programs it names (``log.showSignature`` + ``gpg.program``,
``core.fsmonitor``, ``diff.external``, ``filter.*``, ``core.sshCommand``,
``credential.helper``, a promisor remote's ``uploadpack`` on lazy fetch, ...).
So attrib never lets git read it.  :class:`Repo` builds a *private* git
directory in a temporary directory:

- ``objects/info/alternates`` names the repository's object directory, so
  every object is readable and nothing is copied;
- its refs, ``packed-refs``, ``HEAD`` and ``shallow`` are copied as data
  (regular files only: a symlinked ref is not followed);
- its config is attrib's own: no remote, no promisor (so a blob a partial clone
  lacks is simply missing: never fetched), no hooks, no helpers.  Of the
  repository's config only ``extensions.objectFormat`` is read, as data
  (``git config --file --no-includes``), so SHA-256 repositories open.

Every git process gets a scrubbed environment (no inherited ``GIT_*``; no
system or global config; ``GIT_NO_LAZY_FETCH``; no prompt, no pager), stdin
closed, ``core.hooksPath=/dev/null``, ``protocol.allow=never`` (a read needs
no transport) and a timeout.  Because ``GIT_DIR`` is explicit and is ours,
git's ownership check (``safe.directory``) does not apply: it exists to stop a
foreign repository's config from running code, and that config is never read.

*Containment.*  An untrusted repository is the tree attrib was pointed at: a
``.git`` file (``gitdir: ...``), ``commondir`` or object alternates that lead
out of that tree raise :class:`OutsideTree` (one line); nothing is read there.
The user's own repository (``attrib check``) is located the way git does
(parent directories, linked worktrees), but is opened the same private way.

*Clones.*  A ``file://`` URL is never cloned (that would run ``upload-pack``
inside it, configured by it): it is read in place like a path.  Other URLs
are cloned bare with only https, http, ssh and git transports allowed,
no submodules, no hooks, no prompt.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, NamedTuple
from urllib.parse import unquote, urlparse

from .errors import SourceError

CLONE_PROTOCOLS = "https:http:ssh:git"  # never file (read in place), ext or fd (run programs)
MAX_REFS = 200_000  # loose ref files copied; more is not a repository anyone scans
MAX_TREE_BYTES = 256 << 20  # one tree object; a 1,000,000-entry tree is about 40 MB
ALTERNATES_DEPTH = 5  # as deep as git itself follows alternates of alternates
READ_TIMEOUT = 600
CLONE_TIMEOUT = 1800
# git options on every command: no hooks, no fsmonitor, no pager, no signature checks.
_OPTIONS = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
            "-c", "core.pager=cat", "-c", "log.showSignature=false",
            "-c", "credential.helper=", "-c", "core.quotePath=false")
_HEX = re.compile(rb"[0-9a-f]{40}|[0-9a-f]{64}")
_SYMREF = re.compile(rb"ref: (refs/[^\s\0]+)")


class NotARepository(SourceError):
    """The path holds no git repository."""


class OutsideTree(SourceError):
    """The repository's git directory, common directory or object store is outside its tree."""


class MissingObject(SourceError):
    """An object the repository names is not in it (a partial or shallow clone)."""


def environment(git_dir: Path | None = None, clone: bool = False) -> dict[str, str]:
    """The environment of every git process attrib starts.

    Inherited ``GIT_*`` variables are dropped (``GIT_DIR``, ``GIT_CONFIG_PARAMETERS``,
    ``GIT_EXTERNAL_DIFF``, ``GIT_SSH_COMMAND``, ``GIT_PROXY_COMMAND`` ... could
    point git elsewhere or make it run a program; a clone keeps the user's
    ``GIT_SSH_COMMAND``), except git's own test knob
    ``GIT_TEST_ASSUME_DIFFERENT_OWNER``, which can only make git stricter and
    lets the ownership behaviour be tested.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") or k == "GIT_TEST_ASSUME_DIFFERENT_OWNER"}
    env.pop("SSH_ASKPASS", None)
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_NO_LAZY_FETCH="1",
               GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", PAGER="cat", GIT_OPTIONAL_LOCKS="0",
               GIT_ATTR_NOSYSTEM="1", LC_ALL="C", LANGUAGE="C")
    if clone:
        # the user's own GIT_SSH_COMMAND (a CI deploy key) is theirs, not the repository's
        env.update(GIT_ALLOW_PROTOCOL=CLONE_PROTOCOLS, GIT_PROTOCOL_FROM_USER="0",
                   GIT_SSH_COMMAND=os.environ.get("GIT_SSH_COMMAND") or "ssh -o BatchMode=yes")
    else:
        env["GIT_ALLOW_PROTOCOL"] = ""  # a read never needs a transport
    if git_dir is not None:
        env["GIT_DIR"] = str(git_dir)
    return env


def failure(stderr: bytes | str, where: str) -> str:
    """One line saying why git failed at ``where``; git's ownership refusal named, with its fix."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    if "dubious ownership" in text:
        return (f"{where}: git refuses this repository because another user owns it "
                f"(dubious ownership); if you trust it: "
                f"git config --global --add safe.directory {where}")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    last = lines[-1] if lines else "git failed"
    for prefix in ("fatal: ", "error: "):
        last = last.removeprefix(prefix)
    return f"{where}: {last}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def display(raw: bytes) -> str:
    """A git path as text that is always valid: bytes that are not UTF-8, and control
    characters, become ``\\xNN`` (so reports, SQLite, SARIF and HTML never see surrogates,
    and a terminal never sees an escape sequence)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "backslashreplace")
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# ---- where a repository is ------------------------------------------------------------


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


def _small_text(path: Path, limit: int = 4096) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(limit)


def _gitdir_of_file(dot_git: Path) -> Path:
    """The directory a ``.git`` file names (``gitdir: PATH``, relative to the file)."""
    try:
        line = _small_text(dot_git).splitlines()[0] if dot_git.stat().st_size else b""
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
        common = git_dir / os.fsdecode(_small_text(git_dir / "commondir").strip())
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
        lines = _small_text(alternates, 1 << 20).splitlines()
    except OSError:
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b'"'):  # a C-quoted path: unusual enough to refuse unread
            raise OutsideTree(f"{start}: its object alternates name a quoted path; not followed")
        _check_objects(objects / os.fsdecode(line), root, start, depth + 1)


# ---- a repository opened as data -------------------------------------------------------


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
        self._catfile: _CatFile | None = None
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
        head = _small_text(src / "HEAD") if (src / "HEAD").is_file() else b""
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
            done = subprocess.run(["git", *_OPTIONS, *args], env=self.env, cwd=self.git_dir,
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
                ["git", *_OPTIONS, *args], env=self.env, cwd=self.git_dir,
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
        """The commit id ``ref`` names; an unknown ref is one line (with a hint on a shallow clone)."""
        if ref.startswith("-"):
            raise SourceError(f"{self.label}: a git ref may not start with '-'")
        done = subprocess.run(["git", *_OPTIONS, "rev-parse", "--verify", "--quiet",
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

    def catfile(self) -> "_CatFile":
        if self._catfile is None:
            self._catfile = _CatFile(self)
        return self._catfile

    def sizes(self, shas: Iterable[str]) -> dict[str, int | None]:
        """Each object's size, None where the object is not present (never fetched)."""
        wanted = list(dict.fromkeys(shas))
        return self._batch_check(wanted) if wanted else {}

    def _batch_check(self, wanted: list[str]) -> dict[str, int | None]:
        proc = self.popen("cat-file", "--batch-check", stdin=True)
        feed = threading.Thread(target=_feed, args=(proc.stdin, wanted), daemon=True)
        feed.start()
        sizes: dict[str, int | None] = {}
        assert proc.stdout is not None
        for sha in wanted:
            line = proc.stdout.readline().split()
            # "<sha> <type> <size>", or "<name> missing" / "ambiguous"
            sizes[sha] = int(line[2]) if len(line) == 3 and line[2].isdigit() else None
        feed.join()
        _finish(proc)
        return sizes

    def blobs(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
        """(sha, content or None when not present), in order.  One ``cat-file --batch`` fed
        by a thread (no round trip per blob), each distinct blob read once."""
        order = list(shas)
        unique = list(dict.fromkeys(order))
        if not unique:
            return
        proc = self.popen("cat-file", "--batch", stdin=True)
        feed = threading.Thread(target=_feed, args=(proc.stdin, unique), daemon=True)
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
                                              self.label))
        finally:
            feed.join(timeout=5)
            _finish(proc, kill=True)
        for sha in order:
            yield sha, got[sha]

    def walk(self, commit: str, descend: Callable[[str], bool] | None = None) -> Iterator["Entry"]:
        """Every entry of ``commit``'s tree, depth first in git's order, read lazily.

        ``descend(dir_path)`` false: the directory is yielded as a "tree" entry and
        not entered.  A tree that is not present (a partial clone) or too large is
        yielded as kind "missing" or "too large"; the walk goes on.  Stop iterating to
        stop reading: work is bounded by what the caller takes.
        """
        cat = self.catfile()
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

    def log_blobs(self, commit: str, wanted: set[str] | None = None
                  ) -> dict[str, tuple[int, str, str]]:
        """For each blob in the history of ``commit`` (only ``wanted`` ones, if given):
        (date, commit, author) of the oldest commit that shows it.  Streamed, and stopped
        as soon as every wanted blob is dated; a history git cannot read dates nothing."""
        proc = self.popen("log", "--reverse", "--raw", "--no-abbrev", "--no-renames",
                          "--no-show-signature", "--format=%x00%H %ct %an", commit, "--")
        timer = threading.Timer(READ_TIMEOUT, proc.kill)
        timer.start()
        dates: dict[str, tuple[int, str, str]] = {}
        current: tuple[int, str, str] | None = None
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith(b"\0"):
                    sha, ct, author = (line[1:].rstrip(b"\n").split(b" ", 2) + [b"", b""])[:3]
                    current = (int(ct or 0), sha.decode(), author.decode("utf-8", "replace"))
                elif line.startswith(b":") and current is not None:
                    fields = line.split(b"\t", 1)[0].split()
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
            _finish(proc, kill=True)
        return dates

    def config_value(self, key: str) -> str | None:
        """One value of the repository's own config, read as data (no includes, nothing run)."""
        return config_get(self.location.common_dir / "config", key)


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
            _finish(self.proc, kill=True)
            self.proc = None


def _feed(pipe: IO[bytes] | None, lines: list[str]) -> None:
    if pipe is None:
        return
    try:
        for line in lines:
            pipe.write(line.encode() + b"\n")
        pipe.close()
    except (BrokenPipeError, OSError):
        pass


def _finish(proc: subprocess.Popen, kill: bool = False) -> None:
    for pipe in (proc.stdin,):
        try:
            if pipe:
                pipe.close()
        except OSError:
            pass
    if kill and proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe:
            pipe.close()


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
        if b"extensions" not in _small_text(config, 1 << 20).lower():
            return None
    except OSError:
        return None
    value = config_get(config, "extensions.objectformat")
    return value if value in ("sha1", "sha256") else None


def config_get(config: Path, key: str) -> str | None:
    if not config.is_file():
        return None
    try:
        done = subprocess.run(["git", "config", "--file", str(config), "--no-includes",
                               "--get", key], env=environment(), cwd=tempfile.gettempdir(),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace").strip() or None if done.returncode == 0 else None


def open_repo(path: str | os.PathLike[str], trusted: bool = False, index: bool = False,
              label: str | None = None) -> Repo:
    """The repository at ``path`` opened as data (see :func:`locate` and :class:`Repo`)."""
    return Repo(locate(path, trusted), index=index, label=label or str(path))


# ---- URLs -------------------------------------------------------------------------------


def file_url_path(url: str) -> Path | None:
    """The local path of a ``file://`` URL, else None."""
    if not url.lower().startswith("file://"):
        return None
    parsed = urlparse(url)
    return Path(unquote(parsed.path))


def local_path_of(url: str) -> Path:
    """A ``file://`` URL's repository in place: a missing one is reported as missing."""
    path = file_url_path(url)
    assert path is not None
    if not path.exists():
        raise SourceError(f"{url}: no such repository ({path} does not exist)")
    return path


def clone(url: str, dest: Path, timeout: float = CLONE_TIMEOUT) -> None:
    """A bare clone of ``url`` into ``dest``: allowed transports only, no submodules, no hooks,
    no prompt, no system or global config (so no credential helper, no insteadOf)."""
    if url.startswith("-"):
        raise SourceError(f"{url!r}: a location may not start with '-'")
    args = ["git", *_OPTIONS, "-c", "protocol.allow=never", "clone", "--bare", "--quiet",
            "--no-recurse-submodules", "--template=", "--", url, str(dest)]
    _remote_git(args, url, "cannot clone", timeout)


def ls_remote(url: str, ref: str, timeout: float = 300) -> dict[str, str]:
    """``git ls-remote URL REF`` as {ref name: object id}; nothing cloned."""
    args = ["git", *_OPTIONS, "-c", "protocol.allow=never", "ls-remote", "--", url, ref]
    out = _remote_git(args, url, "cannot list its refs", timeout)
    refs: dict[str, str] = {}
    for line in out.decode("utf-8", "replace").splitlines():
        commit, _, name = line.partition("\t")
        refs[name] = commit
    return refs


def _remote_git(args: list[str], url: str, what: str, timeout: float) -> bytes:
    try:
        # cwd: an empty directory, so no repository around the user's cwd is discovered
        with tempfile.TemporaryDirectory(prefix="attrib-cwd-") as cwd:
            done = subprocess.run(args, env=environment(clone=True), cwd=cwd,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SourceError(f"{url}: {what} (no answer in {timeout:.0f} s)") from None
    except OSError as exc:
        raise SourceError(f"{url}: {what} ({exc.strerror})") from None
    if done.returncode:
        reason = failure(done.stderr, url).removeprefix(f"{url}: ")
        raise SourceError(f"{url}: {what} ({reason})")
    return done.stdout
