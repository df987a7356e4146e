# SPDX-License-Identifier: Apache-2.0
"""Parsed blobs cached by git blob id, so a second run over the same blobs parses nothing.

One SQLite file in the user's cache (``$ATTRIB_CACHE`` or
``~/.cache/attrib/blobs.sqlite``), keyed by normaliser version and blob id;
values are the same compressed JSON the index stores.  The cache is an
optimisation only: any error reading or writing it falls back to parsing.
"""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from ..errors import AttribError
from .index.base import SCHEMA, decode_blob, encode_blob
from .indexing import Parsed
from .lang import ParseFailure, language_of, parse_file, normaliser_version
from ..model import ParsedFile, Skip, Source
from ..cachedir import cache_root


def cache_path() -> Path:
    return cache_root() / "blobs.sqlite"


def _connect() -> sqlite3.Connection | None:
    try:
        path = cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=5, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS parsed (key TEXT PRIMARY KEY, data BLOB)")
        return conn
    except (OSError, sqlite3.Error):
        return None


def parse_cached(source: Source) -> tuple[Parsed, int]:
    """Parse ``source``'s supported files, reusing cached blobs; (result, files parsed)."""
    conn = _connect()
    version = f"{normaliser_version()}-s{SCHEMA}"  # what a blob holds changes with both
    parsed: list[ParsedFile] = []
    skipped = list(source.skipped)
    fresh = 0
    wanted = [f for f in source.files if language_of(f.path)]
    for f in wanted:
        key = f"{version}:{f.blob_id}"
        hit = _get(conn, key)
        if hit is not None:
            try:
                p = decode_blob(f.blob_id, hit, f.path)
            except AttribError:  # a damaged cache entry: parse again
                p = None
            if p is not None:
                parsed.append(replace(p, date=f.date, commit=f.commit, author=f.author,
                                      first_date=f.first_date, author_date=f.author_date,
                                      first_author_date=f.first_author_date))
                continue
        try:
            p = parse_file(f)
        except ParseFailure as exc:
            skipped.append(Skip(f.path, str(exc)))
            continue
        fresh += 1
        parsed.append(p)
        _put(conn, key, encode_blob(p))
    if conn is not None:
        conn.close()
    return Parsed(tuple(parsed), tuple(sorted(skipped, key=lambda s: s.path)),
                  len(source.files) - len(wanted)), fresh


def _get(conn: sqlite3.Connection | None, key: str) -> bytes | None:
    if conn is None:
        return None
    try:
        row = conn.execute("SELECT data FROM parsed WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _put(conn: sqlite3.Connection | None, key: str, data: bytes) -> None:
    if conn is None:
        return
    try:
        conn.execute("INSERT OR REPLACE INTO parsed VALUES (?, ?)", (key, data))
    except sqlite3.Error:
        pass
