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
# 5: a blob's normalised tokens in a stream of their own, read alone to rank candidates;
# brace-language fragments no longer closed by the ``}`` of a template literal's ``${...}``,
# and a long function with statements of its own is one function, not a container; files
# carry the author dates of their two commits too
SCHEMA = "5"


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
    # the author dates of those two commits; None also for an index written before they
    # were kept (schema 5 gained them without a bump: a missing value reads as unknown)
    author_date: int | None = None
    first_author_date: int | None = None


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

    def load_blob_data(self, blob_ids: Iterable[str]) -> dict[str, bytes]:
        """The stored bytes of each held blob, in one request (:func:`decode_token_ids` reads
        its tokens alone, :func:`decode_blob` all of it); a blob not held is left out."""
        ...

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


def old_schema(location: str, found: str | None, reads: str = SCHEMA) -> IndexError_:
    """The one line for an index of another format than ``reads``: what to do about it."""
    if found and found.isdigit() and int(found) < int(reads):
        return IndexError_(f"{location}: index schema {found} was written by an older attrib "
                           f"(this one reads schema {reads}); rebuild it: `attrib index add` "
                           "each upstream again into a new index")
    return IndexError_(f"{location}: index schema {found!r} is not {reads!r} (not written by "
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

    Format 5 is two zlib streams behind a 6-byte head (``a5`` and the first one's
    length): the normalised tokens, as a vocabulary and one index per token, which
    ranking a scan's candidates reads alone (:func:`decode_token_ids`), and the
    document with the rest.  Nothing is stored twice: a token's raw text is read back
    from the file's own lines at its position (only tokens where that differs, such as
    made-up block markers, keep it); positions are deltas; zlib's preset dictionary of
    Python's common tokens helps small files.
    """
    s = parsed.stream
    lines = parsed.text_lines
    # what decoding will derive for each token (a made-up marker: its text), the way
    # parse_blob derives it; a raw text is stored only where that differs
    derived = _raw_texts([None] * len(s.texts), s.texts, "\n".join(lines), lines, s.lines,
                         list(s.end_lines), s.cols, s.end_cols)
    raws = [None if d == r else r for d, r in zip(derived, s.raw)]
    line_d = _deltas(s.lines)
    doc = {"f": 5, "language": parsed.language, "lines": parsed.line_count,
           "raw": raws, "line": line_d,
           "ren": "".join("1" if r else "0" for r in s.renameable),
           "fragments": [[f.kind, f.name, f.start_line, f.end_line, f.tok_start, f.tok_end]
                         for f in parsed.fragments],
           "header": list(parsed.header),
           "col": list(s.cols), "len": [e - c for c, e in zip(s.cols, s.end_cols)],
           "eline": [[i, e] for i, (b, e) in enumerate(zip(s.lines, s.end_lines)) if e != b],
           "src": "\n".join(lines) if lines else None}  # None: no line at all
    packer = zlib.compressobj(6, zdict=ZDICT)
    body = packer.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8")) + packer.flush()
    tokens = _encode_tokens(s.texts)
    return BLOB_MAGIC + len(tokens).to_bytes(4, "little") + tokens + body


BLOB_MAGIC = b"a5"


def _encode_tokens(texts: tuple[str, ...]) -> bytes:
    """The normalised tokens: a JSON vocabulary, NUL, the index width, one index per token."""
    vocab: dict[str, int] = {}
    idx = [vocab.setdefault(t, len(vocab)) for t in texts]
    width = 1 if len(vocab) <= 0x100 else 2 if len(vocab) <= 0x10000 else 4
    packed = np.array(idx, dtype=f"<u{width}").tobytes()
    head = json.dumps(list(vocab), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return zlib.compress(head + b"\0" + bytes([width]) + packed, 6)


def _parts(data: bytes) -> tuple[bytes, bytes]:
    """A format-5 blob's token stream and document stream (still compressed)."""
    if len(data) < 6 or data[:2] != BLOB_MAGIC:
        raise ValueError("not a format-5 blob")
    n = int.from_bytes(data[2:6], "little")
    if 6 + n > len(data):
        raise ValueError("a blob is truncated")
    return data[6:6 + n], data[6 + n:]


def _tokens(part: bytes, limit: int = -1) -> tuple[list[str], np.ndarray]:
    """The vocabulary and per-token indexes of a blob's token stream (checked)."""
    head, sep, rest = _inflate(part, limit, b"").partition(b"\0")
    if not sep or not rest or rest[0] not in (1, 2, 4) or (len(rest) - 1) % rest[0]:
        raise ValueError("a blob's token stream is malformed")
    vocab = json.loads(head)
    if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab):
        raise ValueError("a blob's vocabulary is not a list of texts")
    idx = np.frombuffer(rest, dtype=f"<u{rest[0]}", offset=1)
    if len(idx) and int(idx.max()) >= len(vocab):
        raise ValueError("a token outside the blob's vocabulary")
    return vocab, idx


def decode_token_ids(blob_id: str, data: bytes) -> np.ndarray:
    """A stored blob's token ids (:func:`~attrib.engine.fingerprint.token_ids` of its
    normalised texts), read without the rest of the blob: what ranking candidates needs."""
    from ..fingerprint import token_ids

    try:
        vocab, idx = _tokens(_parts(data)[0])
    except (ValueError, zlib.error) as exc:
        raise IndexError_(f"index entry for blob {blob_id[:12]} is corrupt ({exc})") from None
    return token_ids(vocab)[idx] if len(vocab) else np.zeros(0, dtype=np.uint64)


def _deltas(values: tuple[int, ...]) -> list[int]:
    return [b - a for a, b in zip((0, *values), values)]


def _inflate(data: bytes, limit: int, zdict: bytes) -> bytes:
    """One zlib stream of a blob (at most ``limit`` bytes of it when given: a hostile file)."""
    inflater = zlib.decompressobj(zdict=zdict) if zdict else zlib.decompressobj()
    raw = inflater.decompress(data, max(limit, 0))
    if not inflater.eof or (limit > 0 and inflater.unconsumed_tail):
        raise ValueError(f"a blob is truncated or inflates past {limit} bytes" if limit > 0
                         else "a blob is truncated")
    return raw


def parse_blob(blob_id: str, data: bytes, path: str = "", limit: int = -1) -> ParsedFile:
    """The ParsedFile a format-5 blob holds (each stream inflating to at most ``limit`` bytes
    when given); ValueError/KeyError/TypeError/IndexError/zlib.error if malformed."""
    tokens, body = _parts(data)
    vocab, idx = _tokens(tokens, limit)
    doc = json.loads(_inflate(body, limit, ZDICT))
    if not isinstance(doc, dict) or doc.get("f") != 5:
        raise ValueError("not a format-5 blob")
    src = doc["src"]
    if src is not None and not isinstance(src, str):
        raise TypeError("src is not text")
    text_lines = () if src is None else tuple(src.split("\n"))
    src = src or ""
    lines = tuple(accumulate(doc["line"]))
    end_lines = list(lines)
    for i, e in doc["eline"]:
        end_lines[i] = e
    cols = tuple(doc["col"])
    end_cols = tuple(map(add, cols, doc["len"]))
    n = len(lines)
    if not (len(idx) == len(doc["raw"]) == len(doc["ren"]) == n
            and len(cols) in (0, n) and len(end_cols) == len(cols)):
        raise ValueError("token columns of different lengths")
    texts = tuple(map(vocab.__getitem__, idx.tolist()))
    raw = _raw_texts(doc["raw"], texts, src, text_lines, lines, end_lines, cols, end_cols)
    if not set(map(type, raw)) <= {str}:
        raise ValueError("a token without text")
    stream = TokenStream(texts, raw, lines,  # type: ignore[arg-type]  # all str: checked above
                         tuple(map("1".__eq__, doc["ren"])), cols,
                         tuple(end_lines) if cols else (), end_cols)
    frags = tuple(Fragment(*f) for f in doc["fragments"])
    return ParsedFile(path, blob_id, doc["language"], stream, frags, doc["lines"],
                      header=tuple(doc["header"]), text_lines=text_lines)


def _raw_texts(raw_doc: list, text_doc: tuple, src: str, text_lines: tuple[str, ...],
               lines: tuple[int, ...], end_lines: list[int], cols: tuple[int, ...],
               end_cols: tuple[int, ...]) -> tuple:
    """Each token's raw text: stored, else cut from the file's source at its place, columns
    past a line's end stopping there (one slice of the joined text per token: a Python loop
    over the lines was most of decoding a blob); a made-up marker (no width) is its text."""
    if not cols:
        return tuple(raw_doc)
    count = len(text_lines)
    line = np.asarray(lines, dtype=np.int64)
    end = np.asarray(end_lines, dtype=np.int64)
    bad = (line < 1) | (end > count) | (end < line)  # no text there: corrupt unless stored
    c, e = np.asarray(cols, dtype=np.int64), np.asarray(end_cols, dtype=np.int64)
    marker = (line == end) & (c == e)  # no width: a made-up marker, wherever it stands
    line, end = np.clip(line, 1, max(count, 1)), np.clip(end, 1, max(count, 1))
    starts = np.zeros(max(count, 1) + 1, dtype=np.int64)  # offset of each line in ``src``
    np.cumsum([len(t) + 1 for t in text_lines] or [1], out=starts[1:])
    # a column past its line's end stops at the end, as slicing the line does
    a = np.clip(starts[line - 1] + c, starts[line - 1], starts[line] - 1)
    b = np.clip(starts[end - 1] + e, starts[end - 1], starts[end] - 1)
    out: list = [src[i:j] for i, j in zip(a.tolist(), b.tolist())]
    for i in np.flatnonzero(bad).tolist():
        out[i] = None
    for i in np.flatnonzero(marker).tolist():
        out[i] = text_doc[i]  # no width: a made-up marker, its raw text is its text (it may
        # stand past the last line: an empty file's end marker)
    for i, r in enumerate(raw_doc):
        if r is not None:
            out[i] = r
    return tuple(out)


def decode_blob(blob_id: str, data: bytes, path: str = "") -> ParsedFile:
    try:
        return parse_blob(blob_id, data, path)
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
# file's first occurrences cost a back-reference.  Part of index formats 4 and 5: never edit it
# in place.
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
