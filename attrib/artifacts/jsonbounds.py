# SPDX-License-Identifier: Apache-2.0
"""JSON from an untrusted model repository, bounded: size before reading, depth and numbers after.

Python's ``json`` raises RecursionError on deep nesting and ValueError on an integer of more
than 4,300 digits (``sys.int_info.str_digits_check_threshold``); a 2 GB tokenizer.json takes
about twice its size in memory.  Each becomes a one-line reason here (issue 11), which the
comparers record as a problem on their section.
"""
from __future__ import annotations

import json
from pathlib import Path

# The largest published tokenizer.json files are ~35 MB (Gemma 3's 262k-piece vocabulary);
# parsed, JSON takes ~5x its size, and a comparison holds two models' files.
MAX_JSON_BYTES = 40 * 1024 * 1024
MAX_JSON_DEPTH = 64  # configs nest ~4 levels, tokenizer.json ~6


class JsonBoundError(ValueError):
    """The JSON is malformed or beyond a bound; the message is the one-line reason."""


def read_bounded(path: Path, limit: int = MAX_JSON_BYTES) -> bytes:
    """The bytes of ``path``, refused before reading when larger than ``limit``."""
    size = path.stat().st_size
    if size > limit:
        raise JsonBoundError(f"{_mb(size)} is larger than attrib reads ({_mb(limit)})")
    with open(path, "rb") as fh:
        data = fh.read(size + 1)  # read(n) allocates n bytes first: not the bound
        if len(data) > size:  # the file grew between stat and read
            data += fh.read(limit + 1 - len(data))
    if len(data) > limit:
        raise JsonBoundError(f"larger than attrib reads ({_mb(limit)})")
    return data


def loads_bounded(raw: bytes | str) -> object:
    """Parsed JSON, or JsonBoundError saying in one line why not."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise JsonBoundError(f"not UTF-8 at byte {exc.start}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonBoundError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise JsonBoundError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # int('9' * 5000): CPython's integer-string limit
        raise JsonBoundError(f"not JSON attrib reads: {str(exc).split(':')[0]}") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise JsonBoundError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _depth(data: object) -> int:
    """Nesting depth of parsed JSON, iteratively (the point is not to recurse)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            if depth > MAX_JSON_DEPTH:
                return depth
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node
                         if isinstance(child, (dict, list)))
    return deepest


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"
