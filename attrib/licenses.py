# SPDX-License-Identifier: Apache-2.0
"""Licence detection of a source tree: an SPDX id from its licence file or metadata.

A first, deliberately small detector: it reads the licence file's tell-tale
phrases and SPDX headers.  (The rules engine issue replaces it with a
measured detector.)
"""
from __future__ import annotations

import re

from .model import Source

LICENSE_FILES = ("LICENSE", "LICENCE", "COPYING", "LICENSE.txt", "LICENSE.md", "LICENCE.txt",
                 "LICENCE.md", "COPYING.txt", "LICENSE-APACHE", "LICENSE-MIT")
_SPDX = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.\-+ ()]+)")

# (SPDX id, phrases that must all appear), most specific first
_SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0-only", ("gnu affero general public license", "version 3")),
    ("LGPL-3.0-only", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1-only", ("gnu lesser general public license", "version 2.1")),
    ("GPL-3.0-only", ("gnu general public license", "version 3")),
    ("GPL-2.0-only", ("gnu general public license", "version 2")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms",
                      "neither the name")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software",)),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",)),
    ("CC0-1.0", ("cc0 1.0 universal",)),
)


def detect_text(text: str) -> str | None:
    """The SPDX id a licence text reads as, or None."""
    m = _SPDX.search(text)
    if m:
        return m.group(1).strip()
    flat = " ".join(text.lower().split())
    for spdx, phrases in _SIGNATURES:
        if all(p in flat for p in phrases):
            if spdx.endswith("-only") and "or (at your option) any later version" in flat:
                spdx = spdx.replace("-only", "-or-later")
            return spdx
    return None


def detect_source(source: Source) -> str | None:
    """The licence of a tree: its top-level licence file, else the first SPDX header."""
    by_path = {f.path: f for f in source.files}
    for name in LICENSE_FILES:
        f = by_path.get(name)
        if f is not None:
            found = detect_text(f.data[:200_000].decode("utf-8", "replace"))
            if found:
                return found
    for f in source.files:
        m = _SPDX.search(f.data[:4000].decode("utf-8", "replace"))
        if m:
            return m.group(1).strip()
    return None
