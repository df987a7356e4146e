# SPDX-License-Identifier: Apache-2.0
"""Read a GGUF file's header: version, metadata key/values and tensor infos, bounded.

The format (ggml's docs/gguf.md): ``GGUF``, uint32 version, uint64 tensor count, uint64
metadata count (uint32 counts in version 1), then the metadata (a string key, a uint32 type, a
value; arrays carry an element type and a uint64 count), then per tensor a string name, uint32
dimension count, uint64 dimensions (innermost first), uint32 ggml type and uint64 offset into
the data, which starts at the next multiple of ``general.alignment`` (32). Every count and
length is checked against the bytes left before it is used, so a hostile header costs its size.
Metadata arrays (a tokenizer's 150,000 tokens) are kept as a count and a hash, not the values.
"""
from __future__ import annotations

import hashlib
import math
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .tensorfile import ITEMSIZE, MAX_RANK, MAX_TENSORS, TensorFileError, TensorRef
from .torchzip import TensorInfo

MAGIC = b"GGUF"
MAX_HEADER_BYTES = 256 * 1024 * 1024  # a 150k-token vocabulary and its scores are ~10 MB
MAX_METADATA = 100_000
MAX_STRING = 16 * 1024 * 1024
MAX_ARRAY = 16_000_000
MAX_KEPT_TEXT = 1000
# ggml_type numbers (ggml.h); the first three are read as values, the rest as structure
GGML_TYPES = {0: "F32", 1: "F16", 30: "BF16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1",
              8: "Q8_0", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K",
              15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL",
              21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64",
              28: "F64", 29: "IQ1_M"}
# metadata value types: struct format, or a marker for string (8) and array (9)
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
            11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


@dataclass
class GgufHeader:
    version: int
    metadata: dict = field(default_factory=dict)
    tensors: list[TensorInfo] = field(default_factory=list)


class _Reader:
    """Bounded reads from the header bytes: a read past the end is a one-line error."""

    def __init__(self, fh, limit: int) -> None:
        self.fh, self.left = fh, limit
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n > self.left:
            raise TensorFileError(f"truncated or absurd header: {n} bytes wanted at offset "
                                  f"{self.pos}, {self.left} left")
        raw = self.fh.read(n)
        if len(raw) < n:
            raise TensorFileError(f"truncated at offset {self.pos}")
        self.left -= n
        self.pos += n
        return raw

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self, count_fmt: str) -> str:
        n = self.unpack(count_fmt)
        if n > MAX_STRING:
            raise TensorFileError(f"a string of {n} bytes at offset {self.pos}")
        return self.take(n).decode("utf-8", "replace")


def _value(r: _Reader, kind: int, count_fmt: str, depth: int = 0) -> object:
    if kind in _SCALARS:
        return r.unpack(_SCALARS[kind])
    if kind == STRING:
        return r.string(count_fmt)[:MAX_KEPT_TEXT]
    if kind == ARRAY and depth < 2:
        inner, n = r.unpack("<I"), r.unpack(count_fmt)
        if n > MAX_ARRAY:
            raise TensorFileError(f"an array of {n} values at offset {r.pos}")
        digest = hashlib.sha256()
        if inner in _SCALARS:  # numbers: hashed as their bytes, read at once
            digest.update(r.take(n * struct.calcsize(_SCALARS[inner])))
            return {"array": inner, "count": n, "sha256": digest.hexdigest()[:32]}
        for _ in range(n):
            digest.update(repr(_value(r, inner, count_fmt, depth + 1)).encode() + b"\0")
        return {"array": inner, "count": n, "sha256": digest.hexdigest()[:32]}
    raise TensorFileError(f"metadata value type {kind} unknown")


def read_gguf(path: str | os.PathLike) -> tuple[GgufHeader, list[str]]:
    """The header of a GGUF file, and a message per tensor whose values cannot be mapped."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        r = _Reader(fh, min(size, MAX_HEADER_BYTES))
        if r.take(4) != MAGIC:
            raise TensorFileError("not a GGUF file (no GGUF magic)")
        version = r.unpack("<I")
        if version not in (1, 2, 3):
            raise TensorFileError(f"GGUF version {version} unknown (1 to 3)")
        count_fmt = "<I" if version == 1 else "<Q"
        n_tensors, n_meta = r.unpack(count_fmt), r.unpack(count_fmt)
        if n_tensors > MAX_TENSORS or n_meta > MAX_METADATA:
            raise TensorFileError(f"{n_tensors} tensors and {n_meta} metadata keys declared "
                                  f"(attrib reads {MAX_TENSORS} and {MAX_METADATA})")
        header = GgufHeader(version)
        for _ in range(n_meta):
            key = r.string(count_fmt)[:MAX_KEPT_TEXT]
            header.metadata[key] = _value(r, r.unpack("<I"), count_fmt)
        raw = [_tensor_info(r, count_fmt) for _ in range(n_tensors)]
        alignment = header.metadata.get("general.alignment", 32)
        if type(alignment) is not int or not 1 <= alignment <= 1 << 20:
            alignment = 32
        data_start = -(-r.pos // alignment) * alignment
    skipped: list[str] = []
    for name, shape, kind, offset in raw:
        dtype = GGML_TYPES.get(kind, f"type{kind}")
        where = None
        if dtype in ITEMSIZE:
            end = data_start + offset + math.prod(shape) * ITEMSIZE[dtype]
            if end > size:
                skipped.append(f"tensor {name!r}: its data runs past the end of the file")
            else:
                where = data_start + offset
        header.tensors.append(TensorInfo(name, dtype, shape, where))
    return header, skipped


def _tensor_info(r: _Reader, count_fmt: str) -> tuple[str, tuple[int, ...], int, int]:
    name = r.string(count_fmt)[:MAX_KEPT_TEXT]
    n_dims = r.unpack("<I")
    if n_dims > MAX_RANK:
        raise TensorFileError(f"tensor {name[:80]!r}: {n_dims} dimensions")
    dims = [r.unpack(count_fmt) for _ in range(n_dims)]
    if any(d > 1 << 40 for d in dims) or math.prod(dims) > 1 << 40:
        raise TensorFileError(f"tensor {name[:80]!r}: absurd dimensions {dims}")
    kind, offset = r.unpack("<I"), r.unpack("<Q")
    # ggml lists the innermost dimension first; numpy and safetensors list it last
    return name, tuple(reversed(dims)), kind, offset


def tensor_refs(path: str | Path, header: GgufHeader) -> list[TensorRef]:
    return [TensorRef(t.name, str(path), t.dtype, t.shape, t.offset) for t in header.tensors
            if t.offset is not None]


# -- writing one, for tests and benchmarks -------------------------------------------------------

def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _gguf_value(value: object) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I?", 7, value)
    if isinstance(value, int):
        return struct.pack("<Iq", 11, value)
    if isinstance(value, float):
        return struct.pack("<Id", 12, value)
    if isinstance(value, str):
        return struct.pack("<I", STRING) + _gguf_string(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return struct.pack("<IIQ", ARRAY, STRING, len(value)) + b"".join(map(_gguf_string, value))
    raise TypeError(f"GGUF metadata of type {type(value).__name__} not written")


def write_gguf(path: str | Path, tensors: dict, metadata: dict | None = None,
               dtype: str = "F32") -> None:
    """Write float arrays and metadata as a GGUF (version 3) file, alignment 32."""
    import numpy as np

    from .tensorfile import from_float32

    types = {v: k for k, v in GGML_TYPES.items()}
    meta = dict(metadata or {})
    head = [MAGIC, struct.pack("<IQQ", 3, len(tensors), len(meta))]
    head += [_gguf_string(k) + _gguf_value(v) for k, v in meta.items()]
    blobs, offset = [], 0
    for name, array in tensors.items():
        data = from_float32(np.asarray(array), dtype).tobytes()
        dims = list(reversed(np.asarray(array).shape))
        head.append(_gguf_string(name) + struct.pack("<I", len(dims))
                    + b"".join(struct.pack("<Q", d) for d in dims)
                    + struct.pack("<IQ", types[dtype], offset))
        pad = -len(data) % 32
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    raw = b"".join(head)
    with open(path, "wb") as fh:
        fh.write(raw + b"\0" * (-len(raw) % 32) + b"".join(blobs))
