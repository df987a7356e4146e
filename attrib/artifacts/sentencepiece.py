# SPDX-License-Identifier: Apache-2.0
"""The pieces of a SentencePiece ``.model`` file, read from its protobuf by hand.

sentencepiece_model.proto: ModelProto field 1 is ``repeated SentencePiece pieces`` and a
SentencePiece's field 1 is ``string piece``; everything else is skipped by wire type.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

# Bounds (issue 11): published models are < 6 MB with < 300k pieces (Gemma 3: 4.7 MB, 262k);
# the reader is pure Python (~1 s per million fields), so a bound on fields bounds its time.
MAX_MODEL_BYTES = 16 * 1024 * 1024
MAX_PIECES = 1_000_000
MAX_FIELDS = 4_000_000  # every field read, nested ones included


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    if pos < len(data) and data[pos] < 0x80:  # the common one-byte case, fast
        return data[pos], pos + 1
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


class _Budget:
    """Fields left to read across one file, nested messages included."""

    def __init__(self, fields: int = MAX_FIELDS) -> None:
        self.left = fields

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ValueError(f"more than {MAX_FIELDS} protobuf fields")


def _fields(data: bytes, budget: _Budget | None = None) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for each field; value is bytes for wire type 2."""
    budget = budget or _Budget()
    pos, end = 0, len(data)
    while pos < end:
        budget.take()
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = data[pos:pos + size], pos + size
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > end:
            raise ValueError("truncated field")
        yield number, wire, value


def read_pieces(path: Path) -> list[str]:
    """The vocabulary of a SentencePiece model, in id order. Raises ValueError if malformed
    or beyond a bound (size, pieces, fields)."""
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise ValueError(f"larger than {MAX_MODEL_BYTES} bytes")
    with open(path, "rb") as fh:
        data = fh.read(MAX_MODEL_BYTES + 1)
    if len(data) > MAX_MODEL_BYTES:
        raise ValueError(f"larger than {MAX_MODEL_BYTES} bytes")
    budget = _Budget()
    pieces = []
    for number, _, value in _fields(data, budget):
        if number == 1 and isinstance(value, bytes):
            if len(pieces) == MAX_PIECES:
                raise ValueError(f"more than {MAX_PIECES} pieces")
            piece = next((v for n, _, v in _fields(value, budget)
                          if n == 1 and isinstance(v, bytes)), b"")
            pieces.append(bytes(piece).decode("utf-8", "replace"))
    return pieces


def write_pieces(path: Path, pieces: list[str]) -> None:
    """A minimal model file holding only the pieces (tests use it)."""
    def field(number: int, payload: bytes) -> bytes:
        out, size = bytearray([number << 3 | 2]), len(payload)
        while True:
            out.append(size & 0x7F | (0x80 if size > 0x7F else 0))
            size >>= 7
            if not size:
                return bytes(out) + payload
    path.write_bytes(b"".join(field(1, field(1, p.encode())) for p in pieces))
