# SPDX-License-Identifier: Apache-2.0
"""The embedded index: one SQLite file, LSH band tables included.

datasketch 2.0 keeps LSH tables in memory (~8.8 KB per fragment), Redis or
Cassandra; an index of a million upstream lines would not fit a pre-commit
hook's budget that way, so the band table lives here: one row per band key (32
bits, the row id), holding the ids of its fragments packed as little-endian
uint32 (a posting list).  Against format 3's row per (key, fragment) this halves
the table, since over a third of the band entries share their key with others.
Format 4 keeps no MinHash values either: they are a function of the blob's
tokens, recomputed when an upstream is exported, so a fragment row is three
integers.  Every ``add``/``remove`` is one ``BEGIN IMMEDIATE``
transaction in WAL mode: an interrupted write leaves the file as it was, and
a second writer waits (``busy_timeout``) instead of corrupting it.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote

import numpy as np

from ...errors import IndexError_
from ..fingerprint import Params, default_params
from ...model import ParsedFile, UpstreamInfo
from ...safewrite import short
from .base import (SCHEMA, BlobRecord, IndexedFile, StaleBlobs, check_params, decode_blob,
                   old_schema, recompute)
from .base import artifact_stamp, check_artifacts

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS upstreams (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, location TEXT NOT NULL, url TEXT,
    ref TEXT, commit_sha TEXT, license TEXT, indexed_at INTEGER,
    files INTEGER, fragments INTEGER, lines INTEGER, notice TEXT, artifacts TEXT,
    copyrights TEXT);
CREATE TABLE IF NOT EXISTS blobs (
    id INTEGER PRIMARY KEY, blob_id TEXT UNIQUE NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    upstream INTEGER NOT NULL REFERENCES upstreams(id), path TEXT NOT NULL,
    blob INTEGER NOT NULL REFERENCES blobs(id), date INTEGER, commit_sha TEXT, author TEXT,
    first_date INTEGER, author_date INTEGER, first_author_date INTEGER,
    PRIMARY KEY (upstream, path));
CREATE INDEX IF NOT EXISTS files_blob ON files(blob);
CREATE TABLE IF NOT EXISTS fragments (
    id INTEGER PRIMARY KEY, blob INTEGER NOT NULL REFERENCES blobs(id), idx INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS fragments_blob ON fragments(blob);
CREATE TABLE IF NOT EXISTS lsh (key INTEGER PRIMARY KEY, frags BLOB NOT NULL);
"""


_TABLES = {"upstreams", "blobs", "files", "fragments", "lsh"}
# files columns a schema-5 index written before they were kept lacks (read as NULL)
AUTHOR_DATES = ("author_date", "first_author_date")


class SqliteStore:
    """An index in one SQLite file."""

    def __init__(self, location: str, conn: sqlite3.Connection, params: Params) -> None:
        self.location = location
        self.conn = conn
        self.params = params
        self._author_dates = False  # the files table has AUTHOR_DATES (checked when needed)

    @classmethod
    def open(cls, location: str, create: bool = False, params: Params | None = None,
             write: bool = False) -> "SqliteStore":
        """Open the index file at ``location``: read-only unless ``create`` or ``write``.

        A read-only open changes nothing on disk (the pre-commit hook must leave a
        committed index as it was); a file that is not attrib's is refused before
        anything is written to it, whatever the mode.
        """
        params = params or default_params()
        path = Path(location)
        try:
            exists = location == ":memory:" or path.exists()
        except OSError as exc:  # a name beyond NAME_MAX or PATH_MAX, a loop of links
            raise IndexError_(f"{short(location)}: cannot open the index "
                              f"({exc.strerror})") from None
        if not exists:
            if not create:
                raise IndexError_(f"{location}: no index here "
                                  "(build one with `attrib index add`)")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise IndexError_(f"{location}: cannot create the index "
                                  f"({exc.strerror})") from None
        if path.is_dir():
            raise IndexError_(f"{location}: is a directory, not an index file")
        if not (create or write):
            conn = _open_readonly(location, params)
            # one read transaction for the store's life: a scan sees one snapshot of the file,
            # before a concurrent `index add` or after it, never half (WAL keeps it for us)
            conn.execute("BEGIN")
            return cls(location, conn, params)
        try:
            conn = sqlite3.connect(location, timeout=60, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{location}: cannot open the index ({exc})") from None
        try:
            stored = _attrib_meta(conn, location)
            if stored:
                _check_stored(stored, params, location)
            _write_mode(conn, location)
            if not stored:
                _initialise(conn, params, location)
        except BaseException:
            conn.close()
            raise
        return cls(location, conn, params)

    def close(self) -> None:
        self.conn.close()

    def upstreams(self) -> list[UpstreamInfo]:
        rows = self._read("SELECT name, location, ref, commit_sha, license, url, files, "
                          "fragments, lines, indexed_at, notice, artifacts, copyrights "
                          "FROM upstreams ORDER BY name")
        return [_upstream(r) for r in rows]

    def known_blobs(self, blob_ids: Iterable[str]) -> set[str]:
        ids = list(blob_ids)
        known: set[str] = set()
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            known.update(r[0] for r in self._read(
                f"SELECT blob_id FROM blobs WHERE blob_id IN ({marks})", chunk))
        return known

    def add_upstream(self, info: UpstreamInfo, files: list[IndexedFile],
                     blobs: Iterable[BlobRecord]) -> None:
        """Add or replace upstream ``info.name`` in one transaction."""
        c = self.conn
        with self._writing():
            # keep the old blobs until the new file rows are in: the new version reuses them
            self._delete_upstream(info.name, clean=False)
            cur = c.execute(
                "INSERT INTO upstreams (name, location, url, ref, commit_sha, license, indexed_at, "
                "files, fragments, lines, notice, artifacts, copyrights) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (info.name, info.location, info.url, info.ref, info.commit, info.license,
                 info.indexed_at or int(time.time()), info.files, info.fragments, info.lines,
                 info.notice, json.dumps([list(a) for a in info.artifacts]),
                 json.dumps(list(info.copyrights))))
            upstream_id = cur.lastrowid
            keys: list[np.ndarray] = []
            fids: list[np.ndarray] = []
            rows: list[tuple[int, int, int]] = []
            next_fid = c.execute("SELECT coalesce(max(id), 0) + 1 FROM fragments").fetchone()[0]
            for record in blobs:
                blob = self._insert_blob(record)
                if blob is None:
                    continue  # an identical blob is already indexed, with its fragments
                for row, idx in enumerate(record.fragment_rows):
                    rows.append((next_fid, blob, idx))
                    keys.append(record.band_keys[row])
                    fids.append(np.full(len(record.band_keys[row]), next_fid, dtype=np.int64))
                    next_fid += 1
            c.executemany("INSERT INTO fragments (id, blob, idx) VALUES (?,?,?)", rows)
            self._insert_bands(keys, fids)
            ids = dict(self._blob_rowids([f.blob_id for f in files]))
            missing = {f.blob_id for f in files} - ids.keys()
            if missing:
                raise StaleBlobs(self.location, missing)
            self._add_author_dates()
            c.executemany(
                "INSERT INTO files (upstream, path, blob, date, commit_sha, author, first_date, "
                "author_date, first_author_date) VALUES (?,?,?,?,?,?,?,?,?)",
                [(upstream_id, f.path, ids[f.blob_id], f.date, f.commit, f.author, f.first_date,
                  f.author_date, f.first_author_date) for f in files])
            c.execute("UPDATE upstreams SET fragments = (SELECT count(*) FROM fragments WHERE blob "
                      "IN (SELECT blob FROM files WHERE upstream = ?)) WHERE id = ?",
                      (upstream_id, upstream_id))
            self._delete_orphans()

    def _author_columns(self) -> str:
        """The files' author-date columns, or NULLs for an index written before they were kept."""
        if not self._author_dates:
            self._author_dates = set(AUTHOR_DATES) <= self._file_columns()
        return ", ".join(f"f.{c}" if self._author_dates else "NULL" for c in AUTHOR_DATES)

    def _file_columns(self) -> set[str]:
        return {str(r[1]) for r in self._read("PRAGMA table_info(files)")}

    def _add_author_dates(self) -> None:
        """Give an index written before author dates were kept their columns (in the write
        transaction: two writers cannot both add them); its old rows keep NULL: unknown."""
        have = self._file_columns()
        for column in AUTHOR_DATES:
            if column not in have:
                self.conn.execute(f"ALTER TABLE files ADD COLUMN {column} INTEGER")

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One ``BEGIN IMMEDIATE`` transaction: committed whole, or rolled back whole with the
        index as it was (a full disk, a read-only file, an interrupt alike)."""
        c = self.conn
        try:
            c.execute("BEGIN IMMEDIATE")
            yield
            c.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            _rollback(c)
            raise self._unwritten(exc) from None
        except BaseException:
            _rollback(c)
            raise

    def _unwritten(self, exc: sqlite3.DatabaseError) -> IndexError_:
        # a full disk (SQLITE_FULL), a file past RLIMIT_FSIZE, a read-only file or mount
        return IndexError_(f"{self.location}: cannot write the index ({exc}); "
                           "it is as it was before")

    def _insert_blob(self, record: BlobRecord) -> int | None:
        """Insert a blob; its row id, or None when an identical blob is already there."""
        cur = self.conn.execute("INSERT OR IGNORE INTO blobs (blob_id, data) VALUES (?, ?)",
                                (record.blob_id, record.data))
        return cur.lastrowid if cur.rowcount else None

    def _insert_bands(self, keys: list[np.ndarray], fids: list[np.ndarray]) -> None:
        """Posting lists in key order, appended to a key's list when it has one."""
        if not keys:
            return
        k, lists = _postings(np.concatenate(keys), np.concatenate(fids))
        self.conn.executemany("INSERT INTO lsh (key, frags) VALUES (?, ?) ON CONFLICT(key) "
                              "DO UPDATE SET frags = CAST(frags || excluded.frags AS BLOB)",
                              zip(k.tolist(), lists))

    def remove_upstream(self, name: str) -> None:
        with self._writing():
            if not self._delete_upstream(name):
                raise IndexError_(f"{self.location}: no upstream named {name!r}")

    def _delete_upstream(self, name: str, clean: bool = True) -> bool:
        c = self.conn
        row = c.execute("SELECT id FROM upstreams WHERE name = ?", (name,)).fetchone()
        if row is None:
            return False
        c.execute("DELETE FROM files WHERE upstream = ?", row)
        c.execute("DELETE FROM upstreams WHERE id = ?", row)
        if clean:
            self._delete_orphans()
        return True

    def _delete_orphans(self) -> None:
        """Blobs no upstream's file refers to any more, with their fragments and bands."""
        c = self.conn
        orphans = "SELECT id FROM blobs WHERE id NOT IN (SELECT blob FROM files)"
        gone: list[np.ndarray] = []
        keys: list[np.ndarray] = []
        for blob_id, data in c.execute(f"SELECT blob_id, data FROM blobs WHERE id IN ({orphans})"):
            ids = [r[0] for r in c.execute("SELECT f.id FROM fragments f JOIN blobs b ON "
                                           "b.id = f.blob WHERE b.blob_id = ? ORDER BY f.idx",
                                           (blob_id,))]
            if ids:  # its band keys, from its tokens: the index keeps no band keys per fragment
                record = recompute(blob_id, data, self._rows_of(blob_id), self.params)
                keys.append(record.band_keys.ravel())
                gone.append(np.repeat(np.array(ids, dtype=np.int64), self.params.bands))
        if keys:
            self._remove_bands(np.concatenate(keys), np.concatenate(gone))
        c.execute(f"DELETE FROM fragments WHERE blob IN ({orphans})")
        c.execute(f"DELETE FROM blobs WHERE id IN ({orphans})")

    def _rows_of(self, blob_id: str) -> list[int]:
        return [r[0] for r in self.conn.execute(
            "SELECT f.idx FROM fragments f JOIN blobs b ON b.id = f.blob WHERE b.blob_id = ? "
            "ORDER BY f.idx", (blob_id,))]

    def _remove_bands(self, keys: np.ndarray, fids: np.ndarray) -> None:
        """Take fragments out of their keys' posting lists; a list left empty goes."""
        c = self.conn
        drop: dict[int, set[int]] = defaultdict(set)
        for k, f in zip((keys + _OFFSET).tolist(), fids.tolist()):
            drop[k].add(f)
        for chunk in _chunks(sorted(drop), 500):
            marks = ",".join("?" * len(chunk))
            for key, frags in c.execute(f"SELECT key, frags FROM lsh WHERE key IN ({marks})",
                                        chunk).fetchall():
                ids = np.frombuffer(frags, dtype="<u4")
                kept = ids[~np.isin(ids, list(drop[key]))]
                if len(kept):
                    c.execute("UPDATE lsh SET frags = ? WHERE key = ?", (kept.tobytes(), key))
                else:
                    c.execute("DELETE FROM lsh WHERE key = ?", (key,))

    def query(self, keys: np.ndarray, min_bands: int,
              max_postings: int = 1000) -> dict[int, dict[tuple[str, int], int]]:
        """Fragments sharing at least ``min_bands`` band keys with each query row.

        A band key held by more than ``max_postings`` fragments is a stop word:
        a shape so common across the index (boilerplate, or code copied into
        hundreds of files) that it cannot single out a source.
        """
        c = self.conn
        c.execute("CREATE TEMP TABLE IF NOT EXISTS k (key INTEGER PRIMARY KEY)")
        c.execute("DELETE FROM k")
        shifted = keys + _OFFSET
        c.executemany("INSERT OR IGNORE INTO k VALUES (?)", ((x,) for x in np.unique(shifted).tolist()))
        postings: dict[int, list[int]] = {}
        # CROSS JOIN keeps SQLite's planner from scanning the whole band table
        for key, frags in self._read("SELECT k.key, lsh.frags FROM k CROSS JOIN lsh "
                                     "ON lsh.key = k.key WHERE length(lsh.frags) <= ?",
                                     (4 * max_postings,)):
            postings[key] = np.frombuffer(frags, dtype="<u4").tolist()
        found: dict[int, Counter[int]] = {}
        for row in range(keys.shape[0]):
            counter: Counter[int] = Counter()
            for key in shifted[row].tolist():
                counter.update(postings.get(key, ()))
            hits = Counter({f: n for f, n in counter.items() if n >= min_bands})
            if hits:
                found[row] = hits
        names = self._fragment_names({f for hits in found.values() for f in hits})
        return {row: {names[f]: n for f, n in hits.items()} for row, hits in found.items()}

    def _fragment_names(self, ids: set[int]) -> dict[int, tuple[str, int]]:
        out: dict[int, tuple[str, int]] = {}
        for chunk in _chunks(sorted(ids), 500):
            marks = ",".join("?" * len(chunk))
            for fid, blob_id, idx in self._read(
                    "SELECT f.id, b.blob_id, f.idx FROM fragments f JOIN blobs b ON b.id = f.blob "
                    f"WHERE f.id IN ({marks})", chunk):
                out[fid] = (blob_id, idx)
        return out

    def load_blob(self, blob_id: str) -> ParsedFile:
        row = self._read("SELECT data FROM blobs WHERE blob_id = ?", (blob_id,))
        if not row:
            raise IndexError_(f"{self.location}: blob {blob_id[:12]} is missing from the index")
        return decode_blob(blob_id, row[0][0])

    def load_blob_data(self, blob_ids: Iterable[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for chunk in _chunks(sorted(set(blob_ids)), 500):
            marks = ",".join("?" * len(chunk))
            out.update(self._read(f"SELECT blob_id, data FROM blobs WHERE blob_id IN ({marks})",
                                  chunk))
        return out

    def files_of_blobs(self, blob_ids: Iterable[str]) -> dict[str, list[IndexedFile]]:
        out: dict[str, list[IndexedFile]] = {}
        for chunk in _chunks(list(blob_ids), 500):
            marks = ",".join("?" * len(chunk))
            for blob_id, *rest in self._read(
                    "SELECT b.blob_id, u.name, f.path, f.date, f.commit_sha, f.author, "
                    f"f.first_date, {self._author_columns()} FROM files f "
                    "JOIN blobs b ON b.id = f.blob JOIN upstreams u ON u.id = f.upstream "
                    f"WHERE b.blob_id IN ({marks}) ORDER BY u.name, f.path", chunk):
                out.setdefault(blob_id, []).append(IndexedFile(rest[0], rest[1], blob_id, *rest[2:]))
        return out

    def upstream_contents(self, name: str) -> tuple[UpstreamInfo, list[IndexedFile],
                                                    list[BlobRecord]]:
        """What ``add_upstream`` was given for ``name``, read in one snapshot (to copy it)."""
        c = self.conn
        began = not c.in_transaction
        if began:
            c.execute("BEGIN")  # a read transaction: one consistent view of the file
        try:
            info = next((u for u in self.upstreams() if u.name == name), None)
            if info is None:
                raise IndexError_(f"{self.location}: no upstream named {name!r}")
            files = [IndexedFile(name, *row) for row in self._read(
                "SELECT f.path, b.blob_id, f.date, f.commit_sha, f.author, f.first_date, "
                f"{self._author_columns()} FROM files f "
                "JOIN blobs b ON b.id = f.blob JOIN upstreams u ON u.id = f.upstream "
                "WHERE u.name = ? ORDER BY f.path", (name,))]
            records = [self._record(b) for b in sorted({f.blob_id for f in files})]
        finally:
            if began and c.in_transaction:
                c.execute("COMMIT")
        return info, files, records

    def _record(self, blob_id: str) -> BlobRecord:
        rows = self._read("SELECT b.data, f.idx FROM blobs b LEFT JOIN fragments f "
                          "ON f.blob = b.id WHERE b.blob_id = ? ORDER BY f.idx", (blob_id,))
        # MinHash values and band keys are a function of the tokens: recomputed, not stored
        return recompute(blob_id, rows[0][0], [i for _, i in rows if i is not None], self.params)

    def _blob_rowids(self, blob_ids: list[str]) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for chunk in _chunks(sorted(set(blob_ids)), 500):
            marks = ",".join("?" * len(chunk))
            out += self.conn.execute(
                f"SELECT blob_id, id FROM blobs WHERE blob_id IN ({marks})", chunk).fetchall()
        return out

    def _read(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{self.location}: index is corrupt ({exc})") from None

    # -- model artifacts: a table of their own, made on first use (older files lack it) ------

    def put_artifacts(self, upstream: str, records: list[bytes]) -> None:
        check_artifacts(self.location, upstream, records)
        c = self.conn
        if not records and not self._has_artifacts_table():
            return  # a code-only index gets no table: nothing to clear
        with self._writing():
            info = next((u for u in self.upstreams() if u.name == upstream), None)
            if info is None:
                raise IndexError_(f"{self.location}: no upstream named {upstream!r}")
            c.execute(_ARTIFACTS_DDL)
            # this upstream's old records, and those of upstreams removed since
            c.execute("DELETE FROM model_artifacts WHERE upstream = ? OR upstream NOT IN "
                      "(SELECT name FROM upstreams)", (upstream,))
            c.executemany("INSERT INTO model_artifacts (upstream, idx, stamp, data) "
                          "VALUES (?,?,?,?)", [(upstream, i, artifact_stamp(info), r)
                                               for i, r in enumerate(records)])

    def _has_artifacts_table(self) -> bool:
        return bool(self._read("SELECT 1 FROM sqlite_master WHERE type='table' "
                               "AND name='model_artifacts'"))

    def artifacts(self, upstream: str | None = None) -> dict[str, list[bytes]]:
        if not self._has_artifacts_table():
            return {}
        stamps = {u.name: artifact_stamp(u) for u in self.upstreams()}
        out: dict[str, list[bytes]] = {}
        for name, stamp, data in self._read(
                "SELECT upstream, stamp, data FROM model_artifacts WHERE ? IS NULL OR "
                "upstream = ? ORDER BY upstream, idx", (upstream, upstream)):
            if stamps.get(name) == stamp and isinstance(data, bytes):
                out.setdefault(name, []).append(data)
        return out


_ARTIFACTS_DDL = """CREATE TABLE IF NOT EXISTS model_artifacts (
    upstream TEXT NOT NULL, idx INTEGER NOT NULL, stamp TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (upstream, idx))"""


_OFFSET = np.int64(1 << 31)  # band keys are signed 32-bit; row ids >= 0 are shorter varints


def _postings(keys: np.ndarray, fids: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
    """Distinct keys (as row ids) in order, each with its fragment ids packed as <u4."""
    order = np.lexsort((fids, keys))
    keys, fids = keys[order] + _OFFSET, fids[order].astype("<u4")
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    packed = fids.tobytes()
    return keys[starts], [packed[4 * a:4 * b] for a, b in zip(starts.tolist(), ends.tolist())]


def _upstream(r: tuple) -> UpstreamInfo:
    name, location, ref, commit, license_id, url, files, fragments, lines, at, notice = r[:11]
    return UpstreamInfo(name, location, ref, commit, license_id, url, files, fragments, lines,
                        at, notice, tuple(tuple(a) for a in json.loads(r[11] or "[]")),
                        tuple(json.loads(r[12] or "[]")))


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                        (name,)).fetchone() is not None


def _open_readonly(location: str, params: Params) -> sqlite3.Connection:
    """A connection that writes nothing, anywhere: not the file, not a -wal or -shm beside it.

    ``mode=ro`` for a rollback-journal file (an exported index) or a WAL file
    with a writer about (its -wal exists).  A WAL file with no -wal beside it
    (a committed or cached index, a read-only mount) is opened ``immutable``,
    since even ``mode=ro`` would create -wal and -shm files next to it; a writer
    starting meanwhile may then make this read fail (one line: run it again).
    """
    uri = "file:" + quote(os.fsencode(os.path.abspath(location))) + "?mode=ro"
    wal = is_wal_file(location) and not os.path.exists(location + "-wal")
    for suffix in (("&immutable=1",) if wal else ("", "&immutable=1")):
        try:
            conn = sqlite3.connect(uri + suffix, uri=True, timeout=60, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{location}: cannot open the index ({exc})") from None
        try:
            stored = _attrib_meta(conn, location)
            # a shared file is data (sqlite.org/security.html); a big cache for the band table
            conn.execute("PRAGMA trusted_schema=OFF")
            conn.execute("PRAGMA cache_size=-131072")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise IndexError_(f"{location}: not a readable attrib index ({exc})") from None
        except IndexError_ as exc:
            conn.close()
            if suffix or "unable to open" not in str(exc):
                raise
            continue  # e.g. a WAL file on a read-only mount: its -shm cannot be made
        except BaseException:
            conn.close()
            raise
        if not stored:
            conn.close()
            raise IndexError_(f"{location}: an empty file, not an index yet "
                              "(build one with `attrib index add`)")
        try:
            _check_stored(stored, params, location)
        except BaseException:
            conn.close()
            raise
        return conn
    raise AssertionError("unreachable")


def is_wal_file(location: str) -> bool:
    """The file's header says WAL (bytes 18-19 are 2: sqlite.org/fileformat2.html §1.3.3)."""
    try:
        with open(location, "rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18:20] == b"\x02\x02"


def _attrib_meta(conn: sqlite3.Connection, location: str) -> dict[str, str]:
    """attrib's meta rows; {} for an empty database; IndexError_ for another program's file."""
    try:
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'").fetchall()}
        if not tables:
            return {}
        if "meta" not in tables:
            raise IndexError_(f"{location}: not an attrib index (a database of another program: "
                              f"{', '.join(sorted(tables)[:5])}); left untouched")
        stored = dict(conn.execute("SELECT key, value FROM meta LIMIT 100").fetchall())
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            raise IndexError_(f"{location}: not a readable attrib index ({exc})") from None
        # a full disk or read-only place where the -shm cannot be made, a lock, an I/O error
        raise IndexError_(f"{location}: cannot open the index ({exc})") from None
    if "schema" not in stored:
        if not stored and tables <= {"meta"} | _TABLES:
            return {}  # our own tables, empty: a creator that lost a race (see _initialise)
        raise IndexError_(f"{location}: not an attrib index (its meta table is not attrib's); "
                          "left untouched")
    return {str(k): str(v) for k, v in stored.items()}


def _check_stored(stored: dict[str, str], params: Params, location: str) -> None:
    if stored.get("schema") != SCHEMA:
        raise old_schema(location, stored.get("schema"))
    check_params(stored, params, location)


def _write_mode(conn: sqlite3.Connection, location: str) -> None:
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-131072")  # 128 MiB: band-table writes stay in memory
    except sqlite3.DatabaseError as exc:
        raise IndexError_(f"{location}: cannot write the index ({exc})") from None


def _initialise(conn: sqlite3.Connection, params: Params, location: str = "") -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
        if not _has_table(conn, "meta") or not conn.execute("SELECT 1 FROM meta").fetchone():
            for statement in _DDL.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             [("schema", SCHEMA), *params.as_dict().items()])
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        _rollback(conn)
        raise IndexError_(f"{location}: cannot create the index ({exc})") from None
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo an open transaction; the error that led here is the one to report."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.DatabaseError:
        pass


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
