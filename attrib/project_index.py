# SPDX-License-Identifier: Apache-2.0
"""Whole indexes: one portable file per index, and the index a project declares.

*Export and import.*  An index, or some of its upstreams, travels as one
SQLite file in the embedded store's own format, so an exported file is also
an index ``attrib scan --index FILE`` reads as is.  The importing side trusts
the file for nothing: it is opened read-only with SQLite's defensive pragmas,
every value read is type- and size-checked (SQL bounds text before Python
sees it), blobs are inflated with a bound and their JSON checked field
by field (data only, never pickle), band keys are recomputed from the MinHash
values, and the whole file is checked before the target index is touched.

*The project index.*  The upstreams a project declares in ``.attrib.yaml``
are indexed once into the user's cache, one SQLite file per set of
(upstream, commit), and reused; so the pre-commit hook and the Action need
no set-up.  A URL's commit comes from ``git ls-remote`` (nothing is cloned
unless that commit is not cached yet); a path's from its repository; a path
with no ref is keyed by its working files' blob ids.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sqlite3
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol

from .config import Config, DeclaredUpstream
from .errors import ConfigError, IndexError_, SourceError, UsageError
from .engine.fingerprint import Params, band_keys, default_params, minhashes
from .engine.index import default_location, open_store
from .engine.index.base import (SCHEMA, BlobRecord, IndexedFile, Store, check_params,
                                parse_blob)
from .engine.index.base import artifact_stamp
from .engine.index.sqlite import AUTHOR_DATES, SqliteStore, is_wal_file
from .engine.indexing import Parsers, index_source
from .model import ParsedFile, Source, UpstreamInfo
from .engine.sources import open_source, read_git, resolve_commit, with_history
from .upstreams import is_clone, is_url, local_repo, remote_url
from .cachedir import cache_root

Contents = tuple[UpstreamInfo, list[IndexedFile], list[BlobRecord]]

# What an imported file may hold.  Generous (an index of a big upstream fits),
# but a hostile file cannot make us read or inflate without end.
MAX_UPSTREAMS = 10_000
MAX_FILES = 1_000_000  # files of one upstream
MAX_TEXT = 1 << 20  # characters of one text field (a NOTICE is the longest)
MAX_BLOB = 32 << 20  # bytes of one encoded blob, compressed
MAX_INFLATED = 256 << 20  # ... and inflated: a zip bomb stops here
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # a git object id, SHA-1 or SHA-256
_TABLES = ("meta", "upstreams", "blobs", "files", "fragments")


class _Copyable(Store, Protocol):
    def upstream_contents(self, name: str) -> Contents: ...


def export_index(location: str | None, dest: str, names: Iterable[str] = ()) -> list[UpstreamInfo]:
    """Write the index at ``location`` (only upstreams ``names``, if any) to the file ``dest``.

    A SQLite index is copied with SQLite's backup API (a consistent snapshot
    while others write); another store is read one upstream at a time.  The
    file appears complete or not at all (written beside, then renamed).
    """
    store = open_store(location)
    try:
        if _same_file(store.location, dest):
            raise UsageError(f"{dest}: is the index being exported; name another file")
        known = [u.name for u in store.upstreams()]
        wanted = sorted(set(names)) or known
        missing = [n for n in wanted if n not in known]
        if missing:
            raise IndexError_(f"{store.location}: no upstream named {missing[0]!r} "
                              f"(it has: {', '.join(known) or 'none'})")
        return _publish(Path(dest), lambda tmp: _export(store, tmp, wanted, known))
    finally:
        store.close()


def _export(store: Store, tmp: str, wanted: list[str], known: list[str]) -> list[UpstreamInfo]:
    if isinstance(store, SqliteStore):
        out = SqliteStore(tmp, sqlite3.connect(tmp, isolation_level=None), store.params)
        try:
            store.conn.backup(out.conn)  # in one step: one snapshot, even while others write
            for name in sorted(set(known) - set(wanted)):
                out.remove_upstream(name)
            _drop_unexported_artifacts(out)
            return _seal(out, vacuum=len(wanted) < len(known))
        finally:
            out.close()
    copyable: _Copyable = store  # type: ignore[assignment]  # both backends have it
    out = SqliteStore.open(tmp, create=True, params=store.params)
    try:
        for name in wanted:
            out.add_upstream(*copyable.upstream_contents(name))
            out.put_artifacts(name, store.artifacts(name).get(name, []))
        return _seal(out, vacuum=False)
    finally:
        out.close()


def _seal(out: SqliteStore, vacuum: bool) -> list[UpstreamInfo]:
    # a rollback-journal file needs no -wal beside it: it travels alone and opens read-only
    out.conn.execute("PRAGMA journal_mode=DELETE")
    if vacuum:
        out.conn.execute("VACUUM")
    return out.upstreams()


def import_index(path: str, location: str | None) -> list[UpstreamInfo]:
    """Merge the upstreams of the index file ``path`` into the index at ``location``.

    Same-name upstreams are replaced, each in one transaction; the others stay.
    All of the file is checked before the index is opened, so a corrupt or
    foreign file changes nothing (and creates no index).
    """
    if _same_file(location or default_location(), path):
        raise UsageError(f"{path}: is the index being imported into")
    with IndexFile(path, default_params()) as src:
        names = src.names()
        for name in names:
            src.read(name)  # the check pass: nothing is kept
            src.artifacts(name)
        store = open_store(location, create=True)
        try:
            for name in names:
                store.add_upstream(*src.read(name))
                store.put_artifacts(name, src.artifacts(name))
            return [u for u in store.upstreams() if u.name in names]
        finally:
            store.close()


class IndexFile:
    """An index file from elsewhere, opened read-only and trusted for nothing."""

    def __init__(self, path: str, params: Params) -> None:
        self.path, self.params = path, params
        if not Path(path).is_file():
            raise IndexError_(f"{path}: no such file")
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        if is_wal_file(path) and not os.path.exists(path + "-wal"):
            uri += "&immutable=1"  # else even mode=ro leaves -wal and -shm beside the file
        self.conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        try:
            self._check()
        except BaseException:
            self.conn.close()
            raise

    def __enter__(self) -> "IndexFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def _check(self) -> None:
        # SQLite's advice for files from elsewhere (sqlite.org/security.html)
        for pragma in ("trusted_schema=OFF", "cell_size_check=ON", "mmap_size=0"):
            self._rows(f"PRAGMA {pragma}")
        self._rows("BEGIN")  # one snapshot for the check pass and the import pass
        verdict = self._rows("PRAGMA quick_check(1)")
        if verdict != [("ok",)]:
            raise IndexError_(f"{self.path}: not an attrib index (damaged: {verdict[0][0]})")
        tables = {r[0] for r in self._rows("SELECT name FROM sqlite_master WHERE type='table'")}
        if not set(_TABLES) <= tables:
            raise IndexError_(f"{self.path}: not an attrib index (no "
                              f"{min(set(_TABLES) - tables)} table)")
        meta = dict(self._rows(f"SELECT {_t('key', 100)}, {_t('value', 1000)} FROM meta LIMIT 100"))
        if meta.get("schema") != SCHEMA:
            raise IndexError_(f"{self.path}: index schema {meta.get('schema')!r} is not "
                              f"{SCHEMA!r}; export it again with this version of attrib")
        check_params(meta, self.params, self.path)

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{self.path}: not an attrib index ({exc})") from None

    def names(self) -> list[str]:
        rows = self._rows(f"SELECT {_t('name', 256)} FROM upstreams ORDER BY name LIMIT ?",
                          (MAX_UPSTREAMS + 1,))
        try:
            if len(rows) > MAX_UPSTREAMS:
                raise ValueError(f"more than {MAX_UPSTREAMS} upstreams")
            names = [_required(r[0], "an upstream name", 256) for r in rows]
            if len(set(names)) < len(names):
                raise ValueError("an upstream name appears twice")
        except ValueError as exc:
            raise IndexError_(f"{self.path}: corrupt index file ({exc})") from None
        return names

    def read(self, name: str) -> Contents:
        """Upstream ``name`` as ``add_upstream`` takes it, every value checked."""
        try:
            info, upstream_id = self._info(name)
            files = self._files(name, upstream_id)
            return info, files, [self._blob(b) for b in sorted({f.blob_id for f in files})]
        except (ValueError, TypeError, zlib.error, RecursionError) as exc:
            raise IndexError_(f"{self.path}: corrupt index file (upstream {name!r}: "
                              f"{str(exc)[:200]})") from None

    def _info(self, name: str) -> tuple[UpstreamInfo, int]:
        rows = self._rows(
            f"SELECT {_i('id')}, {_t('location', 4096)}, {_t('url', 4096)}, {_t('ref', 1024)}, "
            f"{_t('commit_sha', 64)}, {_t('license', 1024)}, {_i('indexed_at')}, {_i('files')}, "
            f"{_i('lines')}, {_t('notice', MAX_TEXT)}, {_t('artifacts', 100_000)}, "
            f"{_t('copyrights', MAX_TEXT)} FROM upstreams WHERE name = ?", (name,))
        if len(rows) != 1:
            raise ValueError("its row is missing or doubled")
        uid, location, url, ref, commit, spdx, indexed_at, files, lines, notice, arts, cps = rows[0]
        artifacts = json.loads(_text(arts, "artifacts", 100_000) or "[]")
        copyrights = json.loads(_text(cps, "copyrights", MAX_TEXT) or "[]")
        if not (isinstance(artifacts, list) and all(
                isinstance(a, list) and len(a) == 2 and all(_required(x, "an artifact", 1024)
                                                             for x in a) for a in artifacts)):
            raise ValueError("artifacts are not (artifact, licence) pairs")
        if not (isinstance(copyrights, list) and all(_required(c, "a copyright", 4096)
                                                     for c in copyrights)):
            raise ValueError("copyrights are not lines of text")
        info = UpstreamInfo(
            name=name, location=_required(location, "location", 4096),
            ref=_text(ref, "ref", 1024), commit=_text(commit, "commit", 64),
            license=_text(spdx, "licence", 1024), url=_text(url, "url", 4096),
            files=_count(files, "files"), lines=_count(lines, "lines"),
            indexed_at=None if indexed_at is None else _count(indexed_at, "indexed_at"),
            notice=_text(notice, "notice", MAX_TEXT),
            artifacts=tuple((a, b) for a, b in artifacts), copyrights=tuple(copyrights))
        return info, _count(uid, "upstream id")

    def _files(self, name: str, upstream_id: int) -> list[IndexedFile]:
        rows = self._rows(
            f"SELECT {_t('f.path', 4096)}, {_t('b.blob_id', 64)}, {_i('f.date')}, "
            f"{_t('f.commit_sha', 64)}, {_t('f.author', 1024)}, {_i('f.first_date')}, "
            f"{self._author_dates()} FROM files f "
            "JOIN blobs b ON b.id = f.blob WHERE f.upstream = ? ORDER BY f.path LIMIT ?",
            (upstream_id, MAX_FILES + 1))
        if len(rows) > MAX_FILES:
            raise ValueError(f"more than {MAX_FILES} files")
        files = []
        for path, blob, date, commit, author, *dates in rows:
            path = _required(path, "a path", 4096)
            if "\0" in path or not isinstance(blob, str) or not _OBJECT_ID.fullmatch(blob):
                raise ValueError(f"file {path[:100]!r} has no valid path or blob id")
            first, authored, first_authored = (_date(d) for d in dates)
            files.append(IndexedFile(name, path, blob, _date(date), _text(commit, "a commit", 64),
                                     _text(author, "an author", 1024), first, authored,
                                     first_authored))
        if len({f.path for f in files}) < len(files):
            raise ValueError("a path appears twice")
        return files

    def _author_dates(self) -> str:
        """SQL reading the files' author dates; NULLs from a file exported before they were
        kept (schema 5 gained them without a bump)."""
        have = {r[1] for r in self._rows("PRAGMA table_info(files)")}
        return ", ".join(_i(f"f.{c}") if c in have else "NULL" for c in AUTHOR_DATES)

    def _blob(self, blob_id: str) -> BlobRecord:
        rows = self._rows(f"SELECT {_i('id')}, substr(data, 1, ?) FROM blobs "
                          "WHERE blob_id = ? LIMIT 2", (MAX_BLOB + 1, blob_id))
        rowid, data = rows[0] if len(rows) == 1 else (None, None)
        if not isinstance(data, bytes) or len(data) > MAX_BLOB:
            raise ValueError(f"blob {blob_id[:12]} is not a blob of at most {MAX_BLOB} bytes")
        parsed = _checked_blob(blob_id, data)
        chosen, values = minhashes(parsed, self.params)
        frags = self._rows(f"SELECT {_i('idx')} FROM fragments WHERE blob = ? ORDER BY idx "
                           "LIMIT ?", (rowid, len(parsed.fragments) + 1))
        if [i for i, in frags] != chosen:
            raise ValueError(f"blob {blob_id[:12]} has fragment rows that do not fit it")
        # the MinHash values come from the tokens, never from the file: none can be forged
        return BlobRecord(blob_id, data, chosen, values, band_keys(values, self.params))


    def artifacts(self, name: str) -> list[bytes]:
        """Upstream ``name``'s model-artifact records, each bounded and decoded once to check
        it (an export made before they existed has no table for them: none)."""
        from .engine.index.base import MAX_ARTIFACT_BYTES, MAX_ARTIFACT_RECORDS

        if not self._rows("SELECT 1 FROM sqlite_master WHERE type='table' "
                          "AND name='model_artifacts'"):
            return []
        info, _ = self._info(name)
        rows = self._rows(
            f"SELECT {_t('stamp', 200)}, substr(data, 1, ?) FROM model_artifacts "
            "WHERE upstream = ? ORDER BY idx LIMIT ?",
            (MAX_ARTIFACT_BYTES + 1, name, MAX_ARTIFACT_RECORDS + 1))
        stamp = artifact_stamp(info)
        records = [data for st, data in rows if st == stamp]
        try:
            if len(records) > MAX_ARTIFACT_RECORDS or not all(
                    isinstance(r, bytes) and len(r) <= MAX_ARTIFACT_BYTES for r in records):
                raise ValueError(f"more than {MAX_ARTIFACT_RECORDS} records or one past "
                                 f"{MAX_ARTIFACT_BYTES} bytes")
            from .artifacts.indexed import decode_record

            for record in records:
                decode_record(record)
        except (ValueError, RecursionError) as exc:
            raise IndexError_(f"{self.path}: corrupt index file (upstream {name!r}: model "
                              f"artifacts: {str(exc)[:200]})") from None
        return records


def _drop_unexported_artifacts(out: SqliteStore) -> None:
    """Model-artifact rows of the upstreams left out of an export go with them."""
    conn = out.conn
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' "
                    "AND name='model_artifacts'").fetchone():
        conn.execute("DELETE FROM model_artifacts WHERE upstream NOT IN "
                     "(SELECT name FROM upstreams)")


def _t(column: str, limit: int) -> str:
    """SQL reading ``column`` as text of at most ``limit`` (+1, to tell) characters, or NULL.

    Another type comes back as an empty blob, which no check takes for text.
    """
    return (f"CASE typeof({column}) WHEN 'text' THEN substr({column}, 1, {limit + 1}) "
            f"WHEN 'null' THEN NULL ELSE x'' END")


def _i(column: str) -> str:
    """SQL reading ``column`` as an integer or NULL; another type comes back as -1."""
    return f"CASE typeof({column}) WHEN 'integer' THEN {column} WHEN 'null' THEN NULL ELSE -1 END"


def _date(value: Any) -> int | None:
    return None if value is None else _count(value, "a date")


def _required(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ValueError(f"{what} is not text of 1 to {limit} characters")
    return value


def _text(value: Any, what: str, limit: int) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        raise ValueError(f"{what} is not text of at most {limit} characters")
    return value


def _count(value: Any, what: str) -> int:
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} is not a count")
    return value


def _checked_blob(blob_id: str, data: bytes) -> ParsedFile:
    """Inflate a blob with a bound and check it is what ``decode_blob`` reads."""
    try:
        parsed = parse_blob(blob_id, data, limit=MAX_INFLATED)
    except (KeyError, TypeError, IndexError, AttributeError, zlib.error) as exc:
        raise ValueError(f"a blob's tokens or fragments are malformed ({exc})") from None
    n = len(parsed.stream.texts)
    s = parsed.stream
    ok = (isinstance(parsed.language, str) and type(parsed.line_count) is int
          and all(isinstance(h, str) for h in parsed.header)
          and all(type(x) is int for x in (*s.lines, *s.cols, *s.end_lines, *s.end_cols))
          and all(isinstance(f.kind, str) and isinstance(f.name, str)
                  and all(type(x) is int for x in (f.start_line, f.end_line, f.tok_start,
                                                   f.tok_end))
                  and 0 <= f.tok_start <= f.tok_end <= n for f in parsed.fragments))
    if not ok:
        raise ValueError("a blob's tokens or fragments are malformed")
    return parsed


def _same_file(location: str, path: str) -> bool:
    if "://" in location and not location.startswith("file://"):
        return False
    return Path(location.removeprefix("file://")).resolve() == Path(path).resolve()


def _publish(dest: Path, write: Callable[[str], list[UpstreamInfo]]) -> list[UpstreamInfo]:
    """``write`` a SQLite file beside ``dest``, then rename it into place: complete or absent."""
    tmp = str(dest.parent / f"{dest.name}.{secrets.token_hex(6)}.tmp")
    try:  # not mkstemp: the file gets the umask's mode (0644, say), as a shared file should
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except OSError as exc:
        raise IndexError_(f"{dest}: cannot write here ({exc.strerror})") from None
    try:
        infos = write(tmp)
        os.replace(tmp, dest)
        return infos
    except OSError as exc:
        raise IndexError_(f"{dest}: cannot write ({exc.strerror})") from None
    finally:
        for leftover in (tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"):
            if os.path.exists(leftover):
                os.unlink(leftover)


# ---- the project index ---------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$ATTRIB_CACHE/projects``, else ``${XDG_CACHE_HOME:-~/.cache}/attrib/projects``."""
    return cache_root() / "projects"


@dataclass(frozen=True)
class _Pin:
    """A declared upstream pinned to what it holds now."""

    declared: DeclaredUpstream
    location: str  # a URL as declared, or an absolute path
    state: str | None  # "commit:<id>" or "files:<sha256 of path+blob ids>"; None: unknown offline
    source: Source | None = None  # a path's working files, already read to key them

    def entry(self) -> dict[str, Any]:
        u = self.declared
        return {"name": u.name, "location": self.location, "ref": u.ref, "state": self.state,
                "license": u.license, "url": u.url, "artifacts": sorted(u.artifacts.items())}


def ensure_project_index(config: Config, cache_dir: Path | None = None,
                         progress: Callable[[str], None] | None = None,
                         offline: bool = False, allow_outside: bool = False) -> str:
    """The location of a SQLite index holding every declared upstream at its declared ref.

    Built once per set of (upstream, commit) into ``cache_dir`` and reused.
    ``progress`` hears one line per upstream indexed.  ``offline``: no
    network at all; a URL whose commit is unknown uses the newest cached index
    of the same upstreams, if there is one.  A declared path outside the
    project root (``config.root``) is refused unless ``allow_outside``.
    """
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    base = Path(config.path).parent if config.path else Path(".")
    declared = sorted((u for u in config.upstreams if u.location), key=lambda u: u.name)
    if not declared:
        raise ConfigError(f"{config.path or 'configuration'}: no declared upstream has a "
                          "location to index (or pass --index)")
    root = None if allow_outside or config.root is None else Path(config.root)
    pins = [_pin(u, base, offline, root) for u in declared]
    if any(p.state is None for p in pins):
        return _cached(cache, pins)
    doc = {"schema_version": 1, "index_schema": SCHEMA, "params": default_params().as_dict(),
           "upstreams": [p.entry() for p in pins]}
    key = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    target = cache / f"{key}.sqlite"
    if target.is_file():
        return str(target)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with _lock(cache / f"{key}.lock"):
            if not target.is_file():  # else another process built it while we waited
                # the manifest first: offline runs find an index through it, and skip it alone
                from .safewrite import write_atomic  # never a fixed temporary name

                write_atomic(cache / f"{key}.json", json.dumps(doc, indent=1).encode())
                _publish(target, lambda tmp: _build(tmp, pins, progress, offline))
    except OSError as exc:
        raise IndexError_(f"{cache}: cannot write the index cache ({exc.strerror})") from None
    return str(target)


def _pin(u: DeclaredUpstream, base: Path, offline: bool, root: Path | None = None) -> _Pin:
    location = u.location or ""
    if location.startswith("-") or (u.ref or "").startswith("-"):
        raise ConfigError(f"upstream {u.name!r}: a location or ref may not start with '-'")
    if is_url(location):
        if u.ref and _OBJECT_ID.fullmatch(u.ref):
            return _Pin(u, location, f"commit:{u.ref}")
        return _Pin(u, location, None if offline else f"commit:{remote_commit(location, u.ref)}")
    path = (base / location).resolve()
    if root is not None and not path.is_relative_to(root.resolve()):
        raise ConfigError(f"{u.origin or 'config'}: upstream {u.name!r}: {location} is outside "
                          f"the project ({root}); pass --allow-outside-paths to index it")
    if not path.exists():
        raise SourceError(f"upstream {u.name!r}: {path}: no such file or directory")
    if u.ref:
        return _Pin(u, str(path), f"commit:{resolve_commit(path, u.ref)}")
    source = open_source(path)
    listing = "".join(f"{f.path}\0{f.blob_id}\n" for f in source.files)
    return _Pin(u, str(path), f"files:{hashlib.sha256(listing.encode()).hexdigest()}", source)


def remote_commit(location: str, ref: str | None) -> str:
    """The commit ``ref`` (default HEAD) names at the git URL ``location``: nothing cloned.

    A ``file://`` URL is resolved in place, as data (``ls-remote`` would run
    ``upload-pack`` in it); another with ``git ls-remote``.
    """
    from . import gitsafe

    wanted = ref or "HEAD"
    if not is_clone(location):
        try:
            return resolve_commit(gitsafe.local_path_of(location), wanted)
        except SourceError as exc:
            raise SourceError(f"{location}: cannot list its refs "
                              f"({str(exc).split(': ', 1)[-1]})") from None
    refs = gitsafe.ls_remote(location, wanted)
    # an annotated tag's peeled entry (^{}) names the commit, the bare entry the tag object
    for name in (f"{wanted}^{{}}", wanted, f"refs/heads/{wanted}", f"refs/tags/{wanted}^{{}}",
                 f"refs/tags/{wanted}"):
        if name in refs:
            return refs[name]
    raise SourceError(f"{location}: has no ref {wanted!r}")


def _build(tmp: str, pins: list[_Pin], progress: Callable[[str], None] | None,
           offline: bool) -> list[UpstreamInfo]:
    store = SqliteStore.open(tmp, create=True)
    try:
        with Parsers(store.params) as parsers:  # one worker pool for all the upstreams
            for pin in pins:
                if offline and is_url(pin.location):
                    raise SourceError(f"{pin.location}: not in the index cache, and offline")
                if progress:
                    progress(f"indexing {pin.declared.name} ({pin.state})")
                _index_pin(store, pin, parsers)
        return store.upstreams()
    finally:
        store.close()  # the last connection: the WAL is checkpointed, the file stands alone


def _index_pin(store: SqliteStore, pin: _Pin, parsers: Parsers) -> None:
    from .licenses import detect_source

    u = pin.declared
    with local_repo(pin.location) as path:  # a URL: a bare clone in a temporary directory
        if pin.source is not None:
            source = with_history(pin.source, path) if path.is_dir() else pin.source
        else:
            commit = (pin.state or "").removeprefix("commit:")
            source = replace(read_git(path, commit), ref=u.ref or "HEAD")
        info = UpstreamInfo(
            name=u.name, location=pin.location, ref=source.ref, commit=source.commit,
            license=u.license or detect_source(source),
            url=u.url or (pin.location if is_url(pin.location) else remote_url(path)),
            artifacts=tuple(sorted(u.artifacts.items())))
        index_source(store, source, info, parsers=parsers)


def _cached(cache: Path, pins: list[_Pin]) -> str:
    """Offline: the newest cached index of the same upstreams, where commits are known equal."""
    found = []
    for manifest in cache.glob("*.json"):
        index = manifest.with_suffix(".sqlite")
        try:
            entries = json.loads(manifest.read_text())["upstreams"]
            if index.is_file() and len(entries) == len(pins) and all(
                    _fits(e, p.entry()) for e, p in zip(entries, pins)):
                found.append((index.stat().st_mtime, str(index)))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a cache entry we cannot read is no candidate
    if not found:
        names = ", ".join(p.declared.name for p in pins)
        raise SourceError(f"offline, and no cached index of {names} yet "
                          "(run once with network access)")
    return max(found)[1]


def _fits(cached: dict[str, Any], wanted: dict[str, Any]) -> bool:
    keys = ("name", "location", "ref") + (("state",) if wanted["state"] else ())
    return all(cached.get(k) == wanted[k] for k in keys)


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """One builder per key at a time: the others wait, then reuse what it built."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): concurrent builders each publish a whole file
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
