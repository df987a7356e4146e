# SPDX-License-Identifier: Apache-2.0
"""The contract every index store keeps, and the serialisation they share."""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Iterable, Protocol

import numpy as np

from ...errors import IndexError_
from ..fingerprint import Params
from ...model import Fragment, ParsedFile, TokenStream, UpstreamInfo

# 3: blobs keep token columns and the file's lines, so evidence quotes the files themselves
# (the tokens are unchanged, so the normaliser version, which keys the background table, is
# too); files carry first_date (when the upstream first had the path, for who had it first)
SCHEMA = "3"


class StaleBlobs(IndexError_):
    """Blobs an add meant to reuse were removed by another writer meanwhile."""

    def __init__(self, location: str, missing: set[str]) -> None:
        super().__init__(f"{location}: {len(missing)} indexed blob(s) were removed by another "
                         "writer during this add; add it again")
        self.missing = missing


@dataclass(frozen=True)
class IndexedFile:
    """A file of an upstream as the index knows it."""

    upstream: str
    path: str
    blob_id: str
    date: int | None
    commit: str | None
    author: str | None
    first_date: int | None = None  # the oldest commit holding this path at all


@dataclass(frozen=True)
class BlobRecord:
    """A parsed blob, fingerprinted and encoded: what ``add`` writes once per distinct blob.

    The parsed tokens are kept only in encoded form, so indexing a large
    upstream holds compressed bytes in memory, not token tuples.
    """

    blob_id: str
    data: bytes  # encode_blob() of the parsed file
    fragment_rows: list[int]  # indexes into the parsed fragments that carry a MinHash
    minhashes: np.ndarray  # uint32[len(fragment_rows), num_perm]
    band_keys: np.ndarray  # int64[len(fragment_rows), bands]


class Store(Protocol):
    """What matching and the CLI need from an index."""

    location: str
    params: Params

    def upstreams(self) -> list[UpstreamInfo]: ...

    def known_blobs(self, blob_ids: Iterable[str]) -> set[str]: ...

    def add_upstream(self, info: UpstreamInfo, files: list[IndexedFile],
                     blobs: Iterable[BlobRecord]) -> None: ...

    def remove_upstream(self, name: str) -> None: ...

    def query(self, keys: np.ndarray, min_bands: int,
              max_postings: int = 1000) -> dict[int, dict[tuple[str, int], int]]:
        """For each query row, the fragments (blob id, fragment index) sharing >= min_bands bands.

        Band keys held by more than ``max_postings`` fragments are ignored (stop words).
        """
        ...

    def load_blob(self, blob_id: str) -> ParsedFile: ...

    def files_of_blobs(self, blob_ids: Iterable[str]) -> dict[str, list[IndexedFile]]: ...

    def upstream_contents(self, name: str) -> tuple[UpstreamInfo, list[IndexedFile],
                                                    list[BlobRecord]]:
        """What ``add_upstream`` was given for ``name`` (``attrib index export`` copies it)."""
        ...

    def close(self) -> None: ...

    def put_artifacts(self, upstream: str, records: list[bytes]) -> None:
        """Replace the model-artifact records of indexed upstream ``upstream`` (opaque bytes,
        at most MAX_ARTIFACT_RECORDS of MAX_ARTIFACT_BYTES each: see attrib.artifacts.indexed).

        Kept apart from the code tables; a record belongs to the upstream as indexed when it
        was put, so one left by an earlier version or a removed upstream is never returned.
        """
        ...

    def artifacts(self, upstream: str | None = None) -> dict[str, list[bytes]]:
        """The records of ``upstream`` (of every upstream that has some when None)."""
        ...


MAX_ARTIFACT_RECORDS = 64        # models per upstream
MAX_ARTIFACT_BYTES = 8 << 20     # one record, compressed


def check_artifacts(location: str, upstream: str, records: list[bytes]) -> None:
    """Refuse records past the bounds before anything is written."""
    if len(records) > MAX_ARTIFACT_RECORDS or any(
            not isinstance(r, bytes) or len(r) > MAX_ARTIFACT_BYTES for r in records):
        raise IndexError_(f"{location}: model artifacts of {upstream!r} exceed "
                          f"{MAX_ARTIFACT_RECORDS} records of {MAX_ARTIFACT_BYTES} bytes")


def artifact_stamp(info: UpstreamInfo) -> str:
    """What ties artifact records to one indexing of an upstream."""
    return f"{info.indexed_at or 0}:{info.commit or ''}"


def check_params(stored: dict[str, str], params: Params, location: str) -> None:
    """Refuse an index built with other fingerprint parameters."""
    wanted = params.as_dict()
    diff = sorted(k for k in wanted if stored.get(k) != wanted[k])
    if diff:
        got = ", ".join(f"{k}={stored.get(k)!r} (this attrib: {wanted[k]!r})" for k in diff)
        raise IndexError_(f"{location}: index was built with other fingerprint parameters: {got}; "
                          "rebuild it with this version of attrib")


def encode_blob(parsed: ParsedFile) -> bytes:
    """A parsed blob as compressed JSON (never pickle: index files get shared)."""
    s = parsed.stream
    doc = {"language": parsed.language, "lines": parsed.line_count,
           "texts": s.texts, "raw": s.raw, "line": s.lines,
           "ren": "".join("1" if r else "0" for r in s.renameable),
           "fragments": [[f.kind, f.name, f.start_line, f.end_line, f.tok_start, f.tok_end]
                         for f in parsed.fragments],
           "header": list(parsed.header),
           # where each token sits, and the file's lines, so evidence quotes the file itself
           "col": s.cols, "ecol": s.end_cols,
           "eline": [[i, e] for i, (b, e) in enumerate(zip(s.lines, s.end_lines)) if e != b],
           "src": "\n".join(parsed.text_lines)}
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), 6)


def decode_blob(blob_id: str, data: bytes, path: str = "") -> ParsedFile:
    try:
        doc = json.loads(zlib.decompress(data))
        lines = tuple(doc["line"])
        end_lines = list(lines)
        for i, e in doc.get("eline", ()):
            end_lines[i] = e
        stream = TokenStream(tuple(doc["texts"]), tuple(doc["raw"]), lines,
                             tuple(c == "1" for c in doc["ren"]), tuple(doc.get("col", ())),
                             tuple(end_lines) if "col" in doc else (), tuple(doc.get("ecol", ())))
        frags = tuple(Fragment(*f) for f in doc["fragments"])
        src = doc.get("src")
        return ParsedFile(path, blob_id, doc["language"], stream, frags, doc["lines"],
                          header=tuple(doc.get("header", ())),
                          text_lines=tuple(src.split("\n")) if src else ())
    except (ValueError, KeyError, TypeError, IndexError, zlib.error) as exc:
        raise IndexError_(f"index entry for blob {blob_id[:12]} is corrupt ({exc})") from None
