# SPDX-License-Identifier: Apache-2.0
"""The contract every index store keeps, and the serialisation they share."""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from itertools import accumulate
from operator import add
from typing import Iterable, Protocol

import numpy as np

from ...errors import IndexError_
from ..fingerprint import Params
from ...model import Fragment, ParsedFile, TokenStream, UpstreamInfo

# 3: blobs keep token columns and the file's lines, so evidence quotes the files themselves
# (the tokens are unchanged, so the normaliser version, which keys the background table, is
# too); files carry first_date (when the upstream first had the path, for who had it first)
# 4: no MinHash values kept (recomputed from the blob's tokens), 32-bit band keys, blobs that
# store each token's raw text only where the file's own lines do not give it
SCHEMA = "4"


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


def old_schema(location: str, found: str | None) -> IndexError_:
    """The one line for an index of another format: what to do about it."""
    if found and found.isdigit() and int(found) < int(SCHEMA):
        return IndexError_(f"{location}: index schema {found} was written by an older attrib "
                           f"(this one reads schema {SCHEMA}); rebuild it: `attrib index add` "
                           "each upstream again into a new index")
    return IndexError_(f"{location}: index schema {found!r} is not {SCHEMA!r} (not written by "
                       "this attrib version); rebuild it with this one")


def check_params(stored: dict[str, str], params: Params, location: str) -> None:
    """Refuse an index built with other fingerprint parameters."""
    wanted = params.as_dict()
    diff = sorted(k for k in wanted if stored.get(k) != wanted[k])
    if diff:
        got = ", ".join(f"{k}={stored.get(k)!r} (this attrib: {wanted[k]!r})" for k in diff)
        raise IndexError_(f"{location}: index was built with other fingerprint parameters: {got}; "
                          "rebuild it with this version of attrib")


def encode_blob(parsed: ParsedFile) -> bytes:
    """A parsed blob as compressed JSON (never pickle: index files get shared).

    Format 4 stores what cannot be derived and nothing twice: a token's raw text is
    read back from the file's own lines at its position (only tokens where that
    differs, such as made-up block markers, keep their text); a normalised text equal
    to the raw one is ``null``; positions are deltas.  That halves a blob against
    format 3, and zlib's preset dictionary of Python's common tokens helps small files.
    """
    s = parsed.stream
    lines = parsed.text_lines
    raws: list[str | None] = []
    texts: list[str | None] = []
    for i, (text, raw) in enumerate(zip(s.texts, s.raw)):
        if s.cols and _width(s, i) == 0:  # a made-up marker: its raw text is its text
            raws.append(None if raw == text else raw)
            texts.append(text)
            continue
        derived = _slice(lines, s, i) if s.cols else None
        raws.append(None if derived == raw else raw)
        texts.append(None if text == raw else text)
    line_d = _deltas(s.lines)
    doc = {"f": 4, "language": parsed.language, "lines": parsed.line_count,
           "texts": texts, "raw": raws, "line": line_d,
           "ren": "".join("1" if r else "0" for r in s.renameable),
           "fragments": [[f.kind, f.name, f.start_line, f.end_line, f.tok_start, f.tok_end]
                         for f in parsed.fragments],
           "header": list(parsed.header),
           "col": list(s.cols), "len": [e - c for c, e in zip(s.cols, s.end_cols)],
           "eline": [[i, e] for i, (b, e) in enumerate(zip(s.lines, s.end_lines)) if e != b],
           "src": "\n".join(lines)}
    packer = zlib.compressobj(6, zdict=ZDICT)
    return packer.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8")) + packer.flush()


def _slice(lines: tuple[str, ...], s: TokenStream, i: int) -> str | None:
    """The text of token ``i`` cut from the file's lines, or None where it cannot be."""
    first, last = s.lines[i] - 1, s.end_lines[i] - 1
    if not 0 <= first <= last < len(lines):
        return None
    if first == last:
        return lines[first][s.cols[i]:s.end_cols[i]]
    return "\n".join([lines[first][s.cols[i]:], *lines[first + 1:last],
                      lines[last][:s.end_cols[i]]])


def _width(s: TokenStream, i: int) -> int:
    return (s.end_lines[i] - s.lines[i]) or (s.end_cols[i] - s.cols[i]) or 0


def _deltas(values: tuple[int, ...]) -> list[int]:
    return [b - a for a, b in zip((0, *values), values)]


def inflate(data: bytes, limit: int = -1) -> bytes:
    """A blob's JSON bytes (at most ``limit`` of them when given: a hostile file)."""
    inflater = zlib.decompressobj(zdict=ZDICT)
    raw = inflater.decompress(data, max(limit, 0))
    if limit > 0 and (inflater.unconsumed_tail or not inflater.eof):
        raise ValueError(f"a blob is truncated or inflates past {limit} bytes")
    return raw


def parse_doc(blob_id: str, doc: dict, path: str = "") -> ParsedFile:
    """The ParsedFile a format-4 document holds; ValueError/KeyError/TypeError if malformed."""
    if doc.get("f") != 4:
        raise ValueError("not a format-4 blob")
    src = doc["src"]
    if not isinstance(src, str):
        raise TypeError("src is not text")
    text_lines = tuple(src.split("\n")) if src else ()
    lines = tuple(accumulate(doc["line"]))
    end_lines = list(lines)
    for i, e in doc["eline"]:
        end_lines[i] = e
    cols = tuple(doc["col"])
    end_cols = tuple(map(add, cols, doc["len"]))
    n = len(lines)
    if not (len(doc["texts"]) == len(doc["raw"]) == len(doc["ren"]) == n
            and len(cols) in (0, n) and len(end_cols) == len(cols)):
        raise ValueError("token columns of different lengths")
    raw_doc, text_doc = doc["raw"], doc["texts"]
    raw = _raw_texts(raw_doc, text_doc, text_lines, lines, end_lines, cols, end_cols)
    texts = tuple([r if t is None else t for t, r in zip(text_doc, raw)])
    if not set(map(type, raw)) | set(map(type, texts)) <= {str}:
        raise ValueError("a token without text")
    stream = TokenStream(texts, raw, lines,  # type: ignore[arg-type]  # all str: checked above
                         tuple(map("1".__eq__, doc["ren"])), cols,
                         tuple(end_lines) if cols else (), end_cols)
    frags = tuple(Fragment(*f) for f in doc["fragments"])
    return ParsedFile(path, blob_id, doc["language"], stream, frags, doc["lines"],
                      header=tuple(doc["header"]), text_lines=text_lines)


def _raw_texts(raw_doc: list, text_doc: list, text_lines: tuple[str, ...], lines: tuple[int, ...],
               end_lines: list[int], cols: tuple[int, ...], end_cols: tuple[int, ...]) -> tuple:
    """Each token's raw text: stored, else cut from the file's lines at its place (the same
    as :func:`_slice`, with the common one-line token inlined: a scan decodes every candidate
    blob, and this loop was most of that)."""
    if not cols:
        return tuple(raw_doc)
    out: list = []
    append = out.append
    count = len(text_lines)
    pos = None
    for i, r in enumerate(raw_doc):
        if r is not None:
            append(r)
            continue
        a = lines[i]
        if a == end_lines[i]:
            c, e = cols[i], end_cols[i]
            if c == e:  # no width: a made-up marker, its raw text is its text
                append(text_doc[i])
            else:
                append(text_lines[a - 1][c:e] if 0 < a <= count else None)
            continue
        if pos is None:
            pos = TokenStream((), (), lines, (), cols, tuple(end_lines), end_cols)
        append(_slice(text_lines, pos, i))
    return tuple(out)


def decode_blob(blob_id: str, data: bytes, path: str = "") -> ParsedFile:
    try:
        return parse_doc(blob_id, json.loads(inflate(data)), path)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, zlib.error) as exc:
        raise IndexError_(f"index entry for blob {blob_id[:12]} is corrupt ({exc})") from None


def recompute(blob_id: str, data: bytes, rows: list[int], params: Params) -> BlobRecord:
    """A stored blob as the record ``add_upstream`` was given: MinHash values and band keys
    are a function of the blob's tokens, so the index does not keep them (export, import)."""
    from ..fingerprint import band_keys, minhashes

    chosen, values = minhashes(decode_blob(blob_id, data), params)
    if chosen != list(rows):
        raise IndexError_(f"index entry for blob {blob_id[:12]} is corrupt (its fragment rows "
                          "are not the ones its tokens give)")
    return BlobRecord(blob_id, data, chosen, values, band_keys(values, params))


# zlib's preset dictionary (RFC 1950 FDICT): strings that most blobs of Python hold, so a small
# file's first occurrences cost a back-reference.  Part of index format 4: never edit it in place.
ZDICT = ("".join(f'"{w}",' for w in (
    "self", "None", "True", "False", "return", "def", "class", "import", "from", "if", "else",
    "elif", "for", "in", "not", "and", "or", "is", "while", "with", "as", "try", "except",
    "raise", "yield", "lambda", "pass", "assert", "async", "await", "len", "isinstance",
    "str", "int", "list", "dict", "tuple", "$", "S", "N", "(", ")", "[", "]", "{", "}", ":",
    ".", ",", "=", "==", "+", "-", "*", "/", "%", "**", "+=", "->", "__init__", "kwargs",
    "args", "cls", "super", "print", "range", "torch", "np", "config", "name", "value"))
         + '"src":"' + '","header":[],"col":[' + '],"len":[' + '],"eline":[' + '],"fragments":[["module","",1,'
         + '["function","' + '["class","' + '"ren":"' + '","line":[' + '],"raw":[' + '],"texts":[null,'
         + 'null,null,null,null,' + '0,0,0,0,1,1,1,1,' + '{"f":4,"language":"python","lines":'
         + "\n    def __init__(self, \n        return \n        self.\n    @property\n"
         ).encode("utf-8")
