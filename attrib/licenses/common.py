# SPDX-License-Identifier: Apache-2.0
"""What every licence detector shares: the :class:`Detection` record and defensive decoding."""
from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 200_000  # read at most this much of any file


@dataclass(frozen=True)
class Detection:
    """One licence statement found in a file."""

    spdx: str | None  # normalised SPDX expression; None: seen but not recognised
    path: str  # file it came from ("" for text)
    line: int  # 1-based line where the text/header/key starts (0: nowhere)
    source: str  # license-file | spdx-header | metadata | text
    confidence: float  # 0..1
    copyrights: tuple[str, ...] = ()


# ---------------------------------------------------------------- decoding

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode(data: bytes, limit: int = MAX_BYTES) -> str:
    """Text of untrusted bytes: BOM sniffing, then UTF-8, then latin-1; "" for binary."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):len(bom) + limit].decode(codec, "replace")
    chunk = data[:limit]
    if b"\0" in chunk[:8192]:
        return _bomless_utf16(chunk)
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(data) > limit and exc.start >= len(chunk) - 3:  # cut inside a character
            return chunk[:exc.start].decode("utf-8", "replace")
        return chunk.decode("latin-1")


def _bomless_utf16(chunk: bytes) -> str:
    sample = chunk[:512]
    half = len(sample) // 2
    for codec, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if half and zeros.count(0) >= 0.9 * half:  # ASCII text as UTF-16
            return chunk.decode(codec, "replace")
    return ""
