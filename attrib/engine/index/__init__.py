# SPDX-License-Identifier: Apache-2.0
"""Index stores: where the fingerprints of known upstreams live.

A store is chosen by its location: a file path means the embedded SQLite
store, ``redis://host:port/db`` the Redis store (``pip install 'attrib[redis]'``).
Both implement :class:`attrib.engine.index.base.Store`.
"""
from __future__ import annotations

import os
from pathlib import Path

from ...errors import UsageError
from .base import Store

ENV_VAR = "ATTRIB_INDEX"


def default_location() -> str:
    """``$ATTRIB_INDEX``, else ``$XDG_CACHE_HOME/attrib/index.sqlite`` (``~/.cache`` by default)."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(cache) / "attrib" / "index.sqlite")


def open_store(location: str | None, create: bool = False, write: bool = False) -> Store:
    """Open the store at ``location`` (default: :func:`default_location`).

    ``create`` makes a missing SQLite file; reading a missing one is an error.
    Without ``create`` or ``write`` the store is opened read-only: a SQLite
    file is left byte-identical, with no -wal or -shm made beside it.
    """
    location = location or default_location()
    scheme = location.split("://", 1)[0] if "://" in location else "file"
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisStore

        return RedisStore.open(location, create=create)
    if scheme != "file":
        raise UsageError(f"--index {location}: unknown store type {scheme!r} "
                         "(use a file path or redis://host:port/db)")
    from .sqlite import SqliteStore

    return SqliteStore.open(location.removeprefix("file://"), create=create, write=write)
