# SPDX-License-Identifier: Apache-2.0
"""The shared index: a Redis database, LSH band tables as bucketed hashes.

``redis://host:port/db`` (also ``rediss://`` and ``unix:///path?db=N``) on
one Redis server (not Cluster: a write is one transaction over many keys).
All keys start with a basename, ``attrib:`` unless the location says
``?basename=NAME``, so several indexes can share one database.  A new index
takes ``?bucket_bits=N`` (12 to 24, default 18; see below).

Band tables (schema 6): a fragment has an integer id (``next-fid`` counts them;
``fid:<id >> 6>`` hashes name each id's blob and index).  A band key's fragment
ids sit in one field of a bucket hash, ``<basename>:lsh:<top 18 bits of the
key>`` (``bucket_bits``, kept in ``meta``), the field being the key's other
bits and the value its ids packed as 4-byte integers.  Up to 16 ids fit (64
bytes), so a bucket of some tens of keys stays in Redis's compact listpack
encoding: ~23 bytes per band entry at 10M lines, blobs included, where a set
per key cost ~200 (schema 5).  A key held by more fragments
"spills": its field holds the count, and its ids move to a string of their
own, ``spill:<bucket>:<field>``, packed the same way (a scan reads it as one
reply: a set would be one reply per id, which at 10M lines was most of a
query's time in redis-py).  A write sends each band key's gained and lost ids
to a Lua script queued in its MULTI, which merges the fields when EXEC runs: no
band field is read by the client.  One
server, as before, not Cluster: a hash slot per bucket would be the way there
(``benchmarks/README.md``).  Band keys are computed by
:func:`attrib.engine.fingerprint.band_keys` (band number mixed in, so one
table holds all bands), the same as in the SQLite store; datasketch is not
used at run time (its package import pulls in scipy: 4 s on a busy 2-core
machine, ten times a pre-commit hook's budget), and ``MinHashLSH`` answers a
Jaccard threshold where matching wants a count of shared bands.

A scan reads one generation: the first read of a store object takes ``gen`` and
every upstream's version in one MULTI; the band fields of a query are read in one
MULTI too (spill strings in a second), and when ``gen`` moved meanwhile,
fragments and blob holders of upstream versions the scan did not see are
dropped.  So a scan sees the index before a concurrent write or after it, never
half of it.

Other keys (redis-py): ``meta`` (schema and fingerprint parameters),
``gen`` (bumped by every write), ``upstreams`` (name -> JSON, with ``v``: the
generation that wrote it), ``files:<name>`` (path -> JSON), ``where:<blob>`` (the
files holding a blob, each with its upstream's ``v``), ``blobs`` (blob id ->
encoded blob), ``frags:<blob>`` (fragment rows and their ids: with the blob's band
keys, computed again from its tokens, what a removal needs to find its band
entries; no MinHash values or band keys are stored, which an export or a removal
recomputes from the blob).
A fragment's name in ``fid:`` is its blob's git id in binary plus a 4-byte index.

What an interrupted write leaves: every ``add_upstream``/``remove_upstream``
reads what it replaces, then queues all its writes in one MULTI/EXEC that
Redis applies as a unit, unseen by readers until complete.  Anything that
fails before EXEC is sent (a blob that does not encode, Ctrl-C, a lost
connection; redis-py drops a half-sent connection, so the server discards the
queued MULTI) leaves the index as it was.  Writers WATCH ``gen``: one whose
reads went stale while another committed starts over, so concurrent adds and
removes never lose each other's blob references.  Not covered: Redis has no
rollback, so a command failing *inside* EXEC (someone else wrote a key of
another type under our basename) does not undo the rest; a connection lost
after EXEC was sent may leave the add applied though we report an error (an
add is a replace: run it again); and durability is the server's
(``appendonly``/RDB settings).  A big upstream is one big transaction: the
server queues it in memory and blocks other clients while it runs.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import struct
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from ...errors import IndexError_
from ..fingerprint import Params, default_params
from ...model import ParsedFile, UpstreamInfo
from .base import (BlobRecord, IndexedFile, StaleBlobs, check_params, decode_blob,
                   old_schema, recompute)
from .base import artifact_stamp, check_artifacts

DEFAULT_BASENAME = "attrib"
_CHUNK = 5000  # commands per read pipeline
SCHEMA_REDIS = "6"  # SQLite's schema 5 blobs; band keys bucketed into hashes, integer ids
BUCKET_BITS = 18  # band keys share a hash by their top 18 bits: 262,144 hashes, ~44 fields
# each at 10M lines; listpack holds 128, so from ~25M lines a new index wants more
# (``?bucket_bits=N`` when it is created)
MIN_BITS, MAX_BITS = 12, 24
INLINE = 16  # fragment ids a band field holds itself: 64 bytes, Redis's listpack limit
_SPILLED = b"*"  # + <u4 count: a band field whose ids are in its spill string
FID_BITS = 6  # fragment names are kept 64 to a hash
FID_MASK = (1 << FID_BITS) - 1
T = TypeVar("T")


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:
        raise IndexError_("a redis:// index needs the Redis client: "
                          "pip install 'attrib[redis]'") from None
    return redis


def _redact(location: str) -> str:
    parts = urlsplit(location)
    if not parts.password:
        return location
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def bucket_bits(location: str) -> int | None:
    """``?bucket_bits=N`` of ``location``: how a new index buckets its band keys."""
    given = [v for k, v in parse_qsl(urlsplit(location).query) if k == "bucket_bits"]
    if not given:
        return None
    if not (given[-1].isdigit() and MIN_BITS <= int(given[-1]) <= MAX_BITS):
        raise IndexError_(f"{_redact(location)}: bucket_bits={given[-1]!r} is not a whole number "
                          f"from {MIN_BITS} to {MAX_BITS}")
    return int(given[-1])


def connection(location: str) -> tuple[dict[str, Any], bytes]:
    """``redis.Redis`` keyword arguments and the key prefix for ``location``."""
    redis = _import_redis()
    parts = urlsplit(location)
    query = parse_qsl(parts.query)
    basename = next((v for k, v in query if k == "basename"), DEFAULT_BASENAME)
    rest = urlencode([(k, v) for k, v in query if k not in ("basename", "bucket_bits")])
    try:
        kwargs = redis.connection.parse_url(urlunsplit(parts._replace(query=rest)))
    except ValueError as exc:
        raise IndexError_(f"{_redact(location)}: not a Redis location ({exc})") from None
    kind = kwargs.pop("connection_class", None)
    if "path" in kwargs:
        kwargs["unix_socket_path"] = kwargs.pop("path")
    if kind is redis.connection.SSLConnection:
        kwargs["ssl"] = True
    kwargs.setdefault("socket_connect_timeout", 5)
    kwargs.setdefault("socket_timeout", 300)  # an add is one EXEC; give it time
    kwargs["retry"] = redis.retry.Retry(redis.backoff.ExponentialBackoff(0.5, 0.05), 1)
    return kwargs, f"{basename}:".encode()


class _Keys:
    """Every key of one index, under its prefix."""

    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix
        self.meta, self.gen = prefix + b"meta", prefix + b"gen"
        self.upstreams, self.blobs = prefix + b"upstreams", prefix + b"blobs"
        self.lsh = prefix + b"lsh:"  # + bucket: a hash, band key's low bits -> fragment ids
        self.spill = prefix + b"spill:"  # + bucket:field: packed ids of a key past INLINE
        self.fid = prefix + b"fid:"  # + id >> FID_BITS: a hash, id's low bits -> name
        self.next_fid = prefix + b"next-fid"  # the first fragment id not given yet
        self.artifacts = prefix + b"artifacts"  # upstreams with model-artifact records

    def of(self, kind: str, name: str) -> bytes:  # files:<upstream>, where:<blob>, frags:<blob>
        return self.prefix + f"{kind}:{name}".encode()


@dataclass(frozen=True)
class _Staged:
    """A blob ready to write: encoded before any write, so a bad one changes nothing.
    Its fragment ids are given in the transaction (:func:`_allocate`)."""

    data: bytes
    rows: list[int]  # the fragment indexes that carry band keys
    bands: np.ndarray  # their band keys (<i4), one row each


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Turn redis-py's errors into one-line IndexError_s."""
    @functools.wraps(method)
    def wrapper(self: "RedisStore", *args: Any, **kwargs: Any) -> T:
        errors = self.redis.exceptions
        try:
            return method(self, *args, **kwargs)
        except (errors.ConnectionError, errors.TimeoutError) as exc:
            raise IndexError_(f"{self.location}: cannot connect ({exc})") from None
        except errors.RedisError as exc:
            raise IndexError_(f"{self.location}: Redis refused a command ({exc})") from None
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, a bad shape
            raise IndexError_(f"{self.location}: index is corrupt ({str(exc)[:200]})") from None
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            # a value whose fields are missing or of another type (written by someone else,
            # or by hand): the JSON of an upstream, a file row, a fragment table
            raise IndexError_(f"{self.location}: index is corrupt (a missing or malformed "
                              f"field: {type(exc).__name__}: {str(exc)[:200]})") from None
    return wrapper


class RedisStore:
    """An index in a Redis database, shared by everyone who can reach it."""

    def __init__(self, location: str, client: Any, kwargs: dict[str, Any], prefix: bytes,
                 params: Params) -> None:
        self.location = location
        self.params = params
        self.redis = _import_redis()
        self.client = client
        self.keys = _Keys(prefix)
        self._view: tuple[bytes | None, dict[str, int]] | None = None  # see _pinned()

    @classmethod
    def open(cls, location: str, create: bool = False,
             params: Params | None = None) -> "RedisStore":
        redis = _import_redis()
        kwargs, prefix = connection(location)
        wanted_bits = bucket_bits(location)
        try:
            store = cls(_redact(location), redis.Redis(**kwargs), kwargs, prefix,
                        params or default_params())
        except TypeError as exc:  # an option redis-py does not know, from the URL's query
            raise IndexError_(f"{_redact(location)}: not a Redis location ({exc})") from None
        try:
            store._attach(create, wanted_bits)
        except BaseException:
            store.close()
            raise
        return store

    @_guarded
    def _attach(self, create: bool, wanted_bits: int | None) -> None:
        self.client.ping()
        stored = self._meta()
        if not stored:
            if not create:
                raise IndexError_(f"{self.location}: no index here "
                                  "(build one with `attrib index add`)")
            fields = {"schema": SCHEMA_REDIS, "bucket_bits": str(wanted_bits or BUCKET_BITS),
                      **self.params.as_dict()}
            self.client.transaction(lambda pipe: self._initialise(pipe, fields), self.keys.meta)
            stored = self._meta()
        if stored.get("schema") != SCHEMA_REDIS:
            raise old_schema(self.location, stored.get("schema"), SCHEMA_REDIS)
        check_params(stored, self.params, self.location)
        bits = stored.get("bucket_bits", "")
        if not (bits.isdigit() and MIN_BITS <= int(bits) <= MAX_BITS):
            raise IndexError_(f"{self.location}: index is corrupt (bucket_bits {bits!r})")
        self.bucket_bits = int(bits)
        if wanted_bits is not None and wanted_bits != self.bucket_bits:
            raise IndexError_(f"{self.location}: this index was created with bucket_bits="
                              f"{bits}; bucket_bits={wanted_bits} applies only to a new index")

    def _meta(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.client.hgetall(self.keys.meta).items()}

    def _initialise(self, pipe: Any, fields: dict[str, str]) -> None:
        exists = pipe.exists(self.keys.meta)  # another creator may have been first
        pipe.multi()
        if not exists:
            pipe.hset(self.keys.meta, mapping=fields)

    def close(self) -> None:
        self.client.close()

    @_guarded
    def upstreams(self) -> list[UpstreamInfo]:
        rows = self._snapshot_rows() if self._view is not None else \
            self.client.hgetall(self.keys.upstreams)
        return [_upstream(json.loads(rows[k])) for k in sorted(rows)]

    def _pinned(self) -> tuple[bytes | None, dict[str, int]]:
        """The generation this store reads, and each upstream's version in it.

        Taken atomically (MULTI) at the first read a scan makes; every later read is
        filtered to it, so a scan sees the index before or after a concurrent write,
        never half of it: band entries and file rows of an upstream added meanwhile are
        ignored.  A write through this store object moves it to the new generation.
        """
        if self._view is None:
            pipe = self.client.pipeline(transaction=True)
            pipe.get(self.keys.gen)
            pipe.hgetall(self.keys.upstreams)
            gen, rows = pipe.execute()
            self._rows = rows
            self._view = gen, {k.decode(): int(json.loads(v).get("v", 0)) for k, v in rows.items()}
        return self._view

    def _snapshot_rows(self) -> dict[bytes, bytes]:
        self._pinned()
        return self._rows

    @_guarded
    def known_blobs(self, blob_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(blob_ids))
        there = self._each(ids, lambda p, b: p.hexists(self.keys.blobs, b))
        return {b for b, yes in zip(ids, there) if yes}

    @_guarded
    def load_blob(self, blob_id: str) -> ParsedFile:
        data = self.client.hget(self.keys.blobs, blob_id)
        if data is None:
            raise IndexError_(f"{self.location}: blob {blob_id[:12]} is missing from the index")
        return decode_blob(blob_id, data)

    @_guarded
    def load_blob_data(self, blob_ids: Iterable[str]) -> dict[str, bytes]:
        ids = sorted(set(blob_ids))
        datas = self._each(ids, lambda p, b: p.hget(self.keys.blobs, b))
        return {b: d for b, d in zip(ids, datas) if d is not None}

    @_guarded
    def files_of_blobs(self, blob_ids: Iterable[str]) -> dict[str, list[IndexedFile]]:
        ids = sorted(set(blob_ids))
        out: dict[str, list[IndexedFile]] = {}
        _, versions = self._pinned()
        holders = self._each(ids, lambda p, b: p.smembers(self.keys.of("where", b)))
        for blob_id, members in zip(ids, holders):
            rows = sorted(_holder(r) for r in map(json.loads, members) if _held(r, versions))
            if rows:
                out[blob_id] = [IndexedFile(name, path, blob_id, *meta) for name, path, *meta in rows]
        return out

    @_guarded
    def upstream_contents(self, name: str) -> tuple[UpstreamInfo, list[IndexedFile],
                                                    list[BlobRecord]]:
        """What ``add_upstream`` was given for ``name``, as of one generation (to copy it).

        The reads run under WATCH ``gen``: a write landing meanwhile makes them start over.
        """
        return self.client.transaction(lambda pipe: self._contents(pipe, name), self.keys.gen,
                                       value_from_callable=True)

    def _contents(self, pipe: Any, name: str) -> tuple[UpstreamInfo, list[IndexedFile],
                                                         list[BlobRecord]]:
        doc = self.client.hget(self.keys.upstreams, name)
        if doc is None:
            raise IndexError_(f"{self.location}: no upstream named {name!r}")
        rows = self.client.hgetall(self.keys.of("files", name))
        files = sorted((IndexedFile(name, path.decode(), *json.loads(row))
                        for path, row in rows.items()), key=lambda f: f.path)
        blobs = sorted({f.blob_id for f in files})
        data = self._each(blobs, lambda p, b: p.hget(self.keys.blobs, b))
        frags = self._each(blobs, lambda p, b: p.hget(self.keys.of("frags", b), "rows"))
        records = [self._record(*args) for args in zip(blobs, data, frags)]
        pipe.multi()
        pipe.get(self.keys.gen)  # nothing to write: EXEC only proves no write came between
        return _upstream(json.loads(doc)), files, records

    def _record(self, blob_id: str, data: bytes | None, rows_doc: bytes | None) -> BlobRecord:
        if data is None:
            raise IndexError_(f"{self.location}: blob {blob_id[:12]} is missing from the index")
        if rows_doc is None:
            raise ValueError(f"blob {blob_id[:12]} has no fragment table")
        rows = json.loads(rows_doc)
        if not (isinstance(rows, list) and all(type(r) is int for r in rows)):
            raise ValueError(f"blob {blob_id[:12]}: its fragment rows are not a list of indexes")
        # MinHash values and band keys are a function of the tokens: recomputed, not stored
        return recompute(blob_id, data, rows, self.params)

    @_guarded
    def query(self, keys: np.ndarray, min_bands: int,
              max_postings: int = 1000) -> dict[int, dict[tuple[str, int], int]]:
        gen, _ = self._pinned()
        wanted = np.unique(keys).tolist()
        by_bucket: dict[bytes, list[int]] = defaultdict(list)
        for k in wanted:
            by_bucket[self._bucket(k)].append(k)
        # one MULTI: every band field as of one generation
        pipe = self.client.pipeline(transaction=True)
        for bucket, in_it in by_bucket.items():
            pipe.hmget(self.keys.lsh + bucket, [self._low(k) for k in in_it])
        pipe.get(self.keys.gen)
        *values, now = pipe.execute()
        postings: dict[int, Iterable[int]] = {}
        spilled: list[int] = []
        for in_it, got in zip(by_bucket.values(), values):
            for k, value in zip(in_it, got):
                if value is None:
                    continue
                count = _count(value)
                if count > max_postings:
                    continue  # a stop word, as in the SQLite store
                if len(value) % 4:
                    spilled.append(k)
                else:
                    postings[k] = _unpack(value)
        if spilled:  # their ids are in strings of their own; a write landing meanwhile is
            # caught by the generation check below, as for the fields
            pipe = self.client.pipeline(transaction=True)
            for k in spilled:
                pipe.get(self.keys.spill + self._bucket(k) + b":" + self._low(k))
            pipe.get(self.keys.gen)
            *packed, now2 = pipe.execute()
            now = now if now2 == now else None
            postings.update((k, _unpack(ids or b"")) for k, ids in zip(spilled, packed))
        found: dict[int, Counter[int]] = {}
        for row in range(keys.shape[0]):
            counter: Counter[int] = Counter()
            for k in keys[row].tolist():
                counter.update(postings.get(k, ()))
            hits = Counter({f: n for f, n in counter.items() if n >= min_bands})
            if hits:
                found[row] = hits
        names = self._fragment_names({f for hits in found.values() for f in hits})
        if now != gen:  # a write landed since this scan's first read: keep only what it saw
            held = self.files_of_blobs({blob for blob, _ in names.values()})
            names = {f: name for f, name in names.items() if name[0] in held}
        out: dict[int, dict[tuple[str, int], int]] = {}
        for row, hits in found.items():
            # an id without a name was removed after the fields were read
            named = {names[f]: n for f, n in hits.items() if f in names}
            if named:
                out[row] = named
        return out

    def _fragment_names(self, ids: set[int]) -> dict[int, tuple[str, int]]:
        """Fragment id -> (blob id, fragment index), from the ``fid:`` hashes (a blob's
        fragments have neighbouring ids: one HMGET per hash)."""
        by_hash: dict[int, list[int]] = defaultdict(list)
        for f in sorted(ids):
            by_hash[f >> FID_BITS].append(f)
        hashes = list(by_hash)
        got = self._each(hashes, lambda p, h: p.hmget(self.keys.fid + b"%d" % h,
                                                      [b"%d" % (f & FID_MASK) for f in by_hash[h]]))
        return {f: _fragment(name) for h, names in zip(hashes, got)
                for f, name in zip(by_hash[h], names) if name is not None}

    def _bucket(self, key: int) -> bytes:
        return b"%d" % ((key & 0xFFFFFFFF) >> (32 - self.bucket_bits))

    def _low(self, key: int) -> bytes:
        return b"%d" % (key & ((1 << (32 - self.bucket_bits)) - 1))

    @_guarded
    def add_upstream(self, info: UpstreamInfo, files: list[IndexedFile],
                     blobs: Iterable[BlobRecord]) -> None:
        """Add or replace upstream ``info.name`` in one MULTI/EXEC."""
        info = dataclasses.replace(info, indexed_at=info.indexed_at or int(time.time()))
        staged = {r.blob_id: _stage(r) for r in blobs}
        self._view = None
        self.client.transaction(lambda pipe: self._replace(pipe, info.name, info, files, staged),
                                self.keys.gen)
        self._view = None

    @_guarded
    def remove_upstream(self, name: str) -> None:
        self._view = None
        self.client.transaction(lambda pipe: self._replace(pipe, name, None, [], {}), self.keys.gen)
        self._view = None

    def _replace(self, pipe: Any, name: str, info: UpstreamInfo | None,
                 files: list[IndexedFile], staged: dict[str, _Staged]) -> None:
        """Read what ``name`` holds, then queue its replacement (``info`` None: a removal)."""
        if info is None and not self.client.hexists(self.keys.upstreams, name):
            raise IndexError_(f"{self.location}: no upstream named {name!r}")
        rows = self.client.hgetall(self.keys.of("files", name))
        old = {path.decode(): json.loads(row) for path, row in rows.items()}
        wanted = {f.blob_id for f in files}
        present = RedisStore.known_blobs(self, wanted)  # the store's own view, not a caller's
        missing = wanted - present - staged.keys()
        if missing:
            raise StaleBlobs(self.location, missing)
        orphans = self._orphans(old, wanted)
        removals, dropped = self._band_removals(orphans)
        version = int(self.client.get(self.keys.gen) or 0) + 1  # WATCHed: the gen EXEC makes
        new = {b: s for b, s in staged.items() if b in wanted and b not in present} \
            if info is not None else {}
        first = int(self.client.get(self.keys.next_fid) or 0)  # WATCHed too: every write moves gen
        ids, additions = _allocate(new, first)
        after = first + sum(len(x) for x in ids.values())
        if after > 0xFFFFFFFF:
            raise IndexError_(f"{self.location}: the index has used all 2**32 fragment ids; "
                              "rebuild it into a new index")
        changes = self._band_changes(removals, additions)
        if info is not None:  # count every distinct blob's fragments, reused ones included
            reused = sorted(present - staged.keys())
            docs = self._each(reused, lambda p, b: p.hget(self.keys.of("frags", b), "rows"))
            count = sum(len(json.loads(r)) for r in docs if r)
            count += sum(len(s.rows) for b, s in staged.items() if b in wanted)
            info = dataclasses.replace(info, fragments=count)
        pipe.multi()
        self._queue_drop(pipe, name, old, orphans, dropped)
        if info is not None:
            self._queue_add(pipe, info, files, new, ids, version)
            pipe.set(self.keys.next_fid, after)
        for at in range(0, len(changes), _SCRIPT_BUCKETS):
            self._queue_bands(pipe, changes[at:at + _SCRIPT_BUCKETS])
        pipe.incr(self.keys.gen)

    def _orphans(self, old: dict[str, list], keep: set[str]) -> list[str]:
        """Blobs of the replaced files that no other file will hold."""
        mine = Counter(blob for blob, *_ in old.values() if blob not in keep)
        blobs = sorted(mine)
        held = self._each(blobs, lambda p, b: p.scard(self.keys.of("where", b)))
        return [b for b, n in zip(blobs, held) if n <= mine[b]]

    def _band_removals(self, orphans: list[str]) -> tuple["_Postings", list[int]]:
        """Band key -> the fragment ids of ``orphans`` it holds; and all their ids.

        The band keys are not stored (they were an eighth of an index's memory): they are a
        function of the blob's tokens, computed again.
        """
        removals = _Postings()
        docs = self._each(orphans, lambda p, b: p.hmget(self.keys.of("frags", b), "rows", "ids"))
        datas = self._each(orphans, lambda p, b: p.hget(self.keys.blobs, b))
        dropped: list[int] = []
        for blob_id, (rows_doc, ids_doc), data in zip(orphans, docs, datas):
            record = self._record(blob_id, data, rows_doc)
            if not record.fragment_rows:
                continue
            ids = _unpack(ids_doc or b"")
            if len(ids) != len(record.fragment_rows):
                raise ValueError(f"blob {blob_id[:12]}: {len(ids)} fragment ids for "
                                 f"{len(record.fragment_rows)} fragments")
            dropped += ids
            keys = np.ascontiguousarray(record.band_keys, dtype="<i4")
            removals.add(keys.reshape(len(keys), -1), ids)
        return removals, dropped

    def _band_changes(self, removals: "_Postings",
                      additions: "_Postings") -> list[tuple[bytes, bytes]]:
        """Per bucket touched: its number, and what :data:`_BANDS` reads of it: the count of
        its keys, then per key its field, how many ids it gains and loses, and those ids
        (all <u4); buckets and their keys in order, each key's ids in the order given."""
        shift, mask = 32 - self.bucket_bits, (1 << (32 - self.bucket_bits)) - 1
        add_keys, add_ids = additions.arrays()
        drop_keys, drop_ids = removals.arrays()
        key = np.concatenate((add_keys, drop_keys)) & 0xFFFFFFFF
        if not len(key):
            return []
        fid = np.concatenate((add_ids, drop_ids))
        dropped = np.r_[np.zeros(len(add_keys), dtype=bool), np.ones(len(drop_keys), dtype=bool)]
        order = np.lexsort((dropped, key))  # stable: a key's ids keep the order they came in
        key, fid, dropped = key[order], fid[order], dropped[order]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])  # each distinct key's start
        uniq = key[first]
        sizes = np.diff(np.r_[first, len(key)])
        losses = np.add.reduceat(dropped.astype(np.int64), first)
        bucket = uniq >> shift
        opens = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])  # a bucket's first key
        rank = np.cumsum(np.r_[False, bucket[1:] != bucket[:-1]])  # each key's bucket, 0...
        # each key's record starts after its bucket's count and everything before it
        head = rank + 1 + 3 * np.arange(len(uniq)) + (np.cumsum(sizes) - sizes)
        out = np.zeros(len(opens) + 3 * len(uniq) + len(key), dtype="<u4")
        out[head], out[head + 1], out[head + 2] = uniq & mask, sizes - losses, losses
        out[np.repeat(head + 3 - first, sizes) + np.arange(len(key))] = fid
        starts = head[opens] - 1
        out[starts] = np.diff(np.r_[opens, len(uniq)])
        data = out.tobytes()
        ends = np.r_[starts[1:], len(out)] * 4
        return [(b"%d" % b, data[a:e]) for b, a, e in
                zip(bucket[opens].tolist(), (starts * 4).tolist(), ends.tolist())]

    def _queue_drop(self, pipe: Any, name: str, old: dict[str, list], orphans: list[str],
                    dropped: list[int]) -> None:
        version = self._versions_of(name)
        for path, (blob, *meta) in old.items():
            pipe.srem(self.keys.of("where", blob), _where(name, path, meta, version))
        pipe.delete(self.keys.of("files", name))
        pipe.hdel(self.keys.upstreams, name)
        for blob in orphans:
            pipe.hdel(self.keys.blobs, blob)
            pipe.delete(self.keys.of("frags", blob), self.keys.of("where", blob))
        by_hash: dict[int, list[bytes]] = defaultdict(list)
        for fid in dropped:
            by_hash[fid >> FID_BITS].append(b"%d" % (fid & FID_MASK))
        for at, fields in by_hash.items():
            pipe.hdel(self.keys.fid + b"%d" % at, *fields)

    def _versions_of(self, name: str) -> int:
        doc = self.client.hget(self.keys.upstreams, name)
        return int(json.loads(doc).get("v", 0)) if doc else 0

    def _queue_add(self, pipe: Any, info: UpstreamInfo, files: list[IndexedFile],
                   new: dict[str, _Staged], ids: dict[str, list[int]], version: int) -> None:
        pipe.hset(self.keys.upstreams, info.name,
                  json.dumps({**dataclasses.asdict(info), "v": version}))
        if files:
            pipe.hset(self.keys.of("files", info.name), mapping={
                f.path: json.dumps([f.blob_id, *_meta(f)]) for f in files})
        for f in files:
            member = _where(info.name, f.path, _meta(f), version)
            pipe.sadd(self.keys.of("where", f.blob_id), member)
        names: dict[int, dict[bytes, bytes]] = defaultdict(dict)
        for blob_id, s in new.items():
            pipe.hset(self.keys.blobs, blob_id, s.data)
            pipe.hset(self.keys.of("frags", blob_id), mapping={
                "rows": json.dumps(s.rows),
                "ids": _pack(ids[blob_id])})
            for fid, idx in zip(ids[blob_id], s.rows):
                names[fid >> FID_BITS][b"%d" % (fid & FID_MASK)] = _name(blob_id, idx)
        for at, mapping in names.items():
            pipe.hset(self.keys.fid + b"%d" % at, mapping=mapping)

    def _queue_bands(self, pipe: Any, changes: list[tuple[bytes, bytes]]) -> None:
        """Queue :data:`_BANDS` over some buckets: Redis merges each field when EXEC runs, so
        a write reads no band field, and sends one command and one record per 1,000
        buckets (an argument per band key cost most of an add's time in redis-py)."""
        keys = [self.keys.lsh + bucket for bucket, _ in changes]
        pipe.eval(_BANDS, len(keys), *keys, self.keys.spill, len(self.keys.lsh),
                  b"".join(record for _, record in changes))

    # -- model artifacts: keys of their own, artifacts:<upstream> (a hash: stamp, 0, 1, ...)
    # and the set artifacts (the upstreams that have some, to clean up after removals)

    @_guarded
    def put_artifacts(self, upstream: str, records: list[bytes]) -> None:
        check_artifacts(self.location, upstream, records)
        self.client.transaction(lambda pipe: self._put_artifacts(pipe, upstream, records),
                                self.keys.gen)

    def _put_artifacts(self, pipe: Any, upstream: str, records: list[bytes]) -> None:
        doc = self.client.hget(self.keys.upstreams, upstream)
        if doc is None:
            raise IndexError_(f"{self.location}: no upstream named {upstream!r}")
        stamp = artifact_stamp(_upstream(json.loads(doc)))
        holders = {m.decode() for m in self.client.smembers(self.keys.artifacts)}
        gone = [n for n in holders if not self.client.hexists(self.keys.upstreams, n)]
        pipe.multi()
        for name in [upstream, *gone]:
            pipe.delete(self.keys.of("artifacts", name))
            pipe.srem(self.keys.artifacts, name)
        if records:
            pipe.hset(self.keys.of("artifacts", upstream),
                      mapping={"stamp": stamp, **{str(i): r for i, r in enumerate(records)}})
            pipe.sadd(self.keys.artifacts, upstream)
        pipe.incr(self.keys.gen)

    @_guarded
    def artifacts(self, upstream: str | None = None) -> dict[str, list[bytes]]:
        stamps = {u.name: artifact_stamp(u) for u in self.upstreams()}
        names = [upstream] if upstream is not None else sorted(
            m.decode() for m in self.client.smembers(self.keys.artifacts))
        out: dict[str, list[bytes]] = {}
        for name in names:
            row = self.client.hgetall(self.keys.of("artifacts", name))
            if name not in stamps or row.get(b"stamp", b"").decode() != stamps[name]:
                continue
            count = len(row) - 1
            records = [row.get(str(i).encode()) for i in range(count)]
            if records and all(isinstance(r, bytes) for r in records):
                out[name] = records
        return out

    def _each(self, items: list, command: Callable[[Any, Any], Any]) -> list:
        """``command(pipe, item)`` for every item, pipelined in chunks."""
        out: list = []
        for chunk in _chunks(items, _CHUNK):
            pipe = self.client.pipeline(transaction=False)
            for item in chunk:
                command(pipe, item)
            out += pipe.execute()
        return out


_TEXT = (str,)
_MAYBE_TEXT = (str, type(None))
_FIELDS = {"name": _TEXT, "location": _TEXT, "ref": _MAYBE_TEXT, "commit": _MAYBE_TEXT,
           "license": _MAYBE_TEXT, "url": _MAYBE_TEXT, "files": (int,), "fragments": (int,),
           "lines": (int,), "indexed_at": (int, type(None)), "notice": _MAYBE_TEXT}


def _upstream(doc: Any) -> UpstreamInfo:
    """An upstream's JSON, every field checked: a hand-edited or foreign entry is one line."""
    if not isinstance(doc, dict):
        raise ValueError("an upstream entry is not a JSON object")
    for key, types in _FIELDS.items():
        if key in ("name", "location") and key not in doc:
            raise KeyError(f"upstream entry without {key!r}")
        if key in doc and (not isinstance(doc[key], types) or isinstance(doc[key], bool)):
            raise TypeError(f"upstream field {key!r} is {type(doc[key]).__name__}")
    pairs = doc.get("artifacts") or []
    if not (isinstance(pairs, list) and all(isinstance(a, list) and len(a) == 2 and
                                            all(isinstance(x, str) for x in a) for a in pairs)):
        raise TypeError("upstream field 'artifacts' is not (artifact, licence) pairs")
    lines = doc.get("copyrights") or []
    if not (isinstance(lines, list) and all(isinstance(c, str) for c in lines)):
        raise TypeError("upstream field 'copyrights' is not a list of lines")
    return UpstreamInfo.from_dict(doc)


def _stage(record: BlobRecord) -> _Staged:
    _name(record.blob_id, 0)  # a blob id that is not a git object id fails before any write
    # 32-bit band keys, as the SQLite store keeps them (not stored here: a removal computes
    # them again from the blob, as an export does its MinHash values)
    keys = np.ascontiguousarray(record.band_keys, dtype="<i4")
    return _Staged(record.data, list(record.fragment_rows),
                   keys.reshape(len(keys), -1) if keys.size else np.zeros((0, 0), dtype="<i4"))


def _allocate(new: dict[str, _Staged],
              first: int) -> tuple[dict[str, list[int]], "_Postings"]:
    """Fragment ids for the new blobs' fragments, from ``first`` on (blob id order), and
    the (band key, id) entries they add."""
    ids: dict[str, list[int]] = {}
    postings = _Postings()
    for blob_id in sorted(new):
        s = new[blob_id]
        ids[blob_id] = list(range(first, first + len(s.rows)))
        postings.add(s.bands, ids[blob_id])
        first += len(s.rows)
    return ids, postings


class _Postings:
    """(band key, fragment id) entries in the order they were given, gathered as arrays."""

    def __init__(self) -> None:
        self.keys: list[np.ndarray] = []
        self.ids: list[np.ndarray] = []

    def add(self, bands: np.ndarray, ids: list[int]) -> None:
        """The band keys of the fragments ``ids`` (one row each)."""
        if bands.size:
            self.keys.append(bands.reshape(-1).astype(np.int64))
            self.ids.append(np.repeat(np.asarray(ids, dtype=np.int64), bands.shape[1]))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.keys:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(self.keys), np.concatenate(self.ids)


_SCRIPT_BUCKETS = 1000  # bucket hashes per script call (~3,000 band keys)
# KEYS: bucket hashes; ARGV: the spill prefix, the length of the bucket keys' prefix, and one
# record of every bucket's changes (see RedisStore._band_changes).  Ids stay packed (4-byte
# strings, compared as such) and only grow (next-fid), so appending keeps a field sorted.
# A field of more than INLINE ids becomes "*" + <u4 count, its ids a string of its own,
# packed the same way (one reply to read, where a set was one per id); a spilled key stays
# spilled until it is empty.
_BANDS = f"""
local spill, skip, data, inline = ARGV[1], tonumber(ARGV[2]), ARGV[3], {INLINE}
local function without(packed, dropped)
  if #dropped == 0 then return packed end
  local gone, kept = {{}}, {{}}
  for j = 1, #dropped, 4 do gone[string.sub(dropped, j, j + 3)] = true end
  for j = 1, #packed, 4 do
    local id = string.sub(packed, j, j + 3)
    if not gone[id] then kept[#kept + 1] = id end
  end
  return table.concat(kept)
end
local pos, count, low, gains, losses = 1
for i = 1, #KEYS do
  local hash = KEYS[i]
  local bucket = string.sub(hash, skip + 1)
  count, pos = struct.unpack('<I4', data, pos)
  for _ = 1, count do
    low, gains, losses, pos = struct.unpack('<I4I4I4', data, pos)
    local field = string.format('%d', low)
    local added = string.sub(data, pos, pos + 4 * gains - 1)
    local dropped = string.sub(data, pos + 4 * gains, pos + 4 * (gains + losses) - 1)
    pos = pos + 4 * (gains + losses)
    local value = redis.call('HGET', hash, field)
    local spilled = value and #value % 4 ~= 0
    local name = spill .. bucket .. ':' .. field
    local ids = value or ''
    if spilled then ids = redis.call('GET', name) or '' end
    ids = without(ids, dropped) .. added
    if #ids == 0 then
      if value then redis.call('HDEL', hash, field) end
      if spilled then redis.call('DEL', name) end
    elseif #ids <= 4 * inline and not spilled then
      redis.call('HSET', hash, field, ids)
    else
      redis.call('SET', name, ids)
      redis.call('HSET', hash, field, '*' .. struct.pack('<I4', #ids / 4))
    end
  end
end
return #KEYS
"""


def _pack(ids: list[int]) -> bytes:
    """Fragment ids as stored: 4-byte little-endian integers."""
    return struct.pack(f"<{len(ids)}I", *ids)


def _unpack(value: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(value) // 4}I", value)


def _count(value: bytes) -> int:
    """How many fragment ids a band field stands for: its own, or its spill string's."""
    if len(value) % 4 == 0:
        return len(value) // 4
    if len(value) == 5 and value[:1] == _SPILLED:
        return int.from_bytes(value[1:], "little")
    raise ValueError(f"a band field of {len(value)} bytes is neither ids nor a count")


def _name(blob_id: str, idx: int) -> bytes:
    """A fragment's (blob, index) as stored: the blob's git id in binary, 4 bytes of index."""
    try:
        return bytes.fromhex(blob_id) + idx.to_bytes(4, "big")
    except ValueError:
        raise IndexError_(f"blob id {blob_id!r} is not a git object id") from None


def _fragment(name: bytes) -> tuple[str, int]:
    if len(name) < 5:
        raise ValueError("a fragment name is not a blob id and an index")
    return name[:-4].hex(), int.from_bytes(name[-4:], "big")


def _meta(f: IndexedFile) -> list:
    """What a file row holds after its blob id."""
    return [f.date, f.commit, f.author, f.first_date, f.author_date, f.first_author_date]


def _where(name: str, path: str, meta: list, version: int) -> str:
    """A holder of a blob: the file's row, and the version of its upstream that holds it.

    [name, path, date, commit, author, first_date, version, author dates...]: the author
    dates come last, so a holder written before they were kept (7 items) keeps its form,
    and dropping it (from its file row, as stored) removes the very member written.
    """
    head = (meta + [None] * 4)[:4]
    return json.dumps([name, path, *head, version, *meta[4:]])


def _holder(row: list) -> list:
    """A holder's (name, path, date, commit, author, first_date, author dates); an old one's
    author dates are unknown."""
    return [*row[:6], *(row[7:9] + [None, None])[:2]]


def _held(row: Any, versions: dict[str, int]) -> bool:
    """A holder row of the upstream version this store reads."""
    if not (isinstance(row, list) and len(row) in (7, 9)):
        raise ValueError("a blob holder is not a file row of index format 4")
    return versions.get(row[0]) == row[6]


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
