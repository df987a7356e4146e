# SPDX-License-Identifier: Apache-2.0
"""The pieces of a SentencePiece ``.model`` file, read from its protobuf by hand.

sentencepiece_model.proto: ModelProto field 1 is ``repeated SentencePiece pieces`` and a
SentencePiece's field 1 is ``string piece``; everything else is skipped by wire type.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

MAX_MODEL_BYTES = 64 * 1024 * 1024


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for each field; value is bytes for wire type 2."""
    pos = 0
    while pos < len(data):
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
        if pos > len(data):
            raise ValueError("truncated field")
        yield number, wire, value


def read_pieces(path: Path) -> list[str]:
    """The vocabulary of a SentencePiece model, in id order. Raises ValueError if malformed."""
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise ValueError(f"larger than {MAX_MODEL_BYTES} bytes")
    pieces = []
    for number, wire, value in _fields(path.read_bytes()):
        if number == 1 and isinstance(value, bytes):
            piece = [v for n, w, v in _fields(value) if n == 1 and isinstance(v, bytes)]
            pieces.append(piece[0].decode("utf-8", "replace") if piece else "")
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
