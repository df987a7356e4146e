# SPDX-License-Identifier: Apache-2.0
"""Read (and, for tests and benchmarks, write) safetensors files without the safetensors package.

The format (huggingface/safetensors, "Format" in its README): 8 bytes little-endian header
length N, N bytes of JSON ``{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
{...}}``, then the data; offsets are relative to the end of the header. Every number in the
header is checked before it is used, so a hostile or truncated file becomes a recorded problem,
never a huge allocation or a read past the end.
"""
from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .jsonbounds import JsonBoundError, loads_bounded

# The reference implementation allows 100 MB; parsed, that is ~1 GB of Python objects.  A
# real header holds a few thousand tensors in well under 1 MB (issue 11: bounded memory).
MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_TENSORS = 100_000  # per file, and per model (pairing.py); real models: < 100k in total
MAX_ELEMENTS = 1 << 40                # no real tensor comes near this: refuse as absurd
MAX_RANK = 8
ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2}
STORAGE = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


class TensorFileError(ValueError):
    """A safetensors file (or one tensor in it) cannot be read; the message says why."""


@dataclass(frozen=True)
class TensorRef:
    """Where one tensor's bytes are: file, dtype, shape and absolute byte offset."""

    name: str
    path: str
    dtype: str
    shape: tuple[int, ...]
    offset: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def rows(self) -> int:
        return max(self.shape[0], 1) if len(self.shape) > 1 else 1

    @property
    def nbytes(self) -> int:
        return self.size * ITEMSIZE[self.dtype]


def read_header(path: str | os.PathLike) -> tuple[list[TensorRef], list[str]]:
    """Return the tensors of one file and a message per tensor that was skipped.

    Raises TensorFileError when the file as a whole cannot be read.
    """
    file_size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise TensorFileError(f"truncated: {file_size} bytes, no header length")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER_BYTES or length > file_size - 8:
            raise TensorFileError(f"header length {length} exceeds "
                                  f"{min(MAX_HEADER_BYTES, file_size - 8)} bytes available")
        raw = fh.read(length)
    try:
        header = loads_bounded(raw)
    except JsonBoundError as exc:
        raise TensorFileError(f"header: {exc}") from None
    if not isinstance(header, dict):
        raise TensorFileError("header is not a JSON object")
    if len(header) > MAX_TENSORS + 1:  # + __metadata__
        raise TensorFileError(f"{len(header)} tensors in one file (attrib reads {MAX_TENSORS})")
    data_start, data_size = 8 + length, file_size - 8 - length
    refs, skipped = [], []
    for name, entry in sorted(header.items()):
        if name == "__metadata__":
            continue
        try:
            refs.append(_tensor_ref(name, entry, str(path), data_start, data_size))
        except TensorFileError as exc:
            skipped.append(f"tensor {name!r}: {exc}")
    return refs, skipped


def _tensor_ref(name: str, entry: object, path: str, data_start: int, data_size: int) -> TensorRef:
    if not isinstance(entry, dict):
        raise TensorFileError("entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in ITEMSIZE:  # a list is unhashable
        raise TensorFileError(f"dtype {str(dtype)[:40]!r} not supported (F32, F16, BF16)")
    if (not isinstance(shape, list) or len(shape) > MAX_RANK
            or not all(type(d) is int and 0 <= d <= MAX_ELEMENTS for d in shape)
            or math.prod(shape) > MAX_ELEMENTS):
        raise TensorFileError(f"absurd shape {str(shape)[:80]}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(type(o) is int for o in offsets)):
        raise TensorFileError("data_offsets is not [begin, end]")
    begin, end = offsets
    if not 0 <= begin <= end <= data_size:
        raise TensorFileError(f"data_offsets {str(offsets)[:80]} outside the {data_size} "
                              "data bytes")
    if end - begin != math.prod(shape) * ITEMSIZE[dtype]:
        raise TensorFileError(f"shape {shape} x {dtype} does not fill offsets {offsets}")
    return TensorRef(name, path, dtype, tuple(shape), data_start + begin)


def open_flat(ref: TensorRef) -> np.ndarray:
    """The tensor's stored values as a read-only 1-D memory map (BF16 stays uint16)."""
    if ref.size == 0:
        return np.zeros(0, dtype=STORAGE[ref.dtype])
    return np.memmap(ref.path, dtype=STORAGE[ref.dtype], mode="r", offset=ref.offset,
                     shape=(ref.size,))


def to_float32(values: np.ndarray, dtype: str) -> np.ndarray:
    """Decode stored values; BF16 is the high half of a float32 (shift into the top 16 bits)."""
    if dtype == "BF16":
        return (np.asarray(values, dtype=np.uint32) << 16).view(np.float32)
    return np.asarray(values, dtype=np.float32)


def from_float32(values: np.ndarray, dtype: str) -> np.ndarray:
    """Encode float32 values for storage (BF16 by truncation: enough for tests)."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if dtype == "BF16":
        return (values.view(np.uint32) >> 16).astype(np.uint16)
    return values.astype(STORAGE[dtype])


def write_safetensors(path: str | os.PathLike, tensors: dict[str, np.ndarray],
                      dtype: str = "F32") -> None:
    """Write float arrays as one safetensors file (tests and benchmarks build models with it)."""
    header, offset = {}, 0
    for name, array in tensors.items():
        nbytes = array.size * ITEMSIZE[dtype]
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(Path(path), "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        for array in tensors.values():
            fh.write(from_float32(array, dtype).tobytes())
