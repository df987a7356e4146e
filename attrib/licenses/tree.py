# SPDX-License-Identifier: Apache-2.0
"""The licence of a source tree: root licence files, packaging metadata, SPDX headers."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..model import Source
from .common import Detection, decode
from .expressions import _base, _ids, _join, _keys, spdx_headers
from .metadata import _metadata
from .texts import _license_file

HEADER_BYTES = 8_192  # SPDX headers are looked for near the top of tree files
NOTICE_NAMES = frozenset({"notice", "notice.txt", "notice.md"})
_LICENSE_FILE = re.compile(r"^(?:[\w.-]*[-_.])?(?:un)?(?:licen[cs]es?|copying)(?:[-_.][\w.-]*)?$",
                           re.IGNORECASE)
_CODE_EXT = frozenset({"py", "js", "ts", "go", "rs", "c", "h", "java", "rb", "json", "toml", "yml",
                       "yaml", "cfg", "ini", "sh", "php", "cs", "cpp", "kt", "swift", "pyc"})


@dataclass(frozen=True)
class TreeLicense:
    """The licence of a source tree and the evidence for it."""

    spdx: str | None
    detections: tuple[Detection, ...]
    license_files: tuple[str, ...]
    notice_files: tuple[str, ...]


# ---------------------------------------------------------------- trees

def is_license_file(path: str) -> bool:
    """LICENSE, LICENCE.md, COPYING.LESSER, LICENSE-MIT, UNLICENSE... (not license.py)."""
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return bool(_LICENSE_FILE.match(name)) and ext not in _CODE_EXT


def detect_tree(source: Source) -> TreeLicense:
    """A tree's licence: root licence files first, then metadata, then the most common SPDX header."""
    root = {f.path: f for f in source.files if "/" not in f.path}
    license_files = tuple(p for p in sorted(root) if is_license_file(p))
    notice_files = tuple(p for p in sorted(root) if p.lower() in NOTICE_NAMES)
    from_files: list[Detection] = []
    defaulted: set[str] = set()
    for path in license_files:
        found, default = _license_file(decode(root[path].data), path)
        from_files.append(found)
        defaulted |= default
    declared, classified = _metadata({f.path: f.data for f in source.files})
    headers = [d for f in source.files for d in spdx_headers(decode(f.data, HEADER_BYTES), f.path)]
    spdx = _decide(from_files, defaulted, declared, classified, headers)
    detections = sorted(from_files + declared + classified + headers,
                        key=lambda d: (d.path, d.line, d.source, d.spdx or ""))
    return TreeLicense(spdx, tuple(detections), license_files, notice_files)


def _decide(files: list[Detection], defaulted: set[str], declared_in: list[Detection],
            classified: list[Detection], headers: list[Detection]) -> str | None:
    declared = [d.spdx for d in declared_in if d.spdx]
    # several licence classifiers: the package offers each (e.g. Apache or BSD)
    classifiers = [d.spdx for d in classified if d.spdx]
    counts = Counter(d.spdx for d in headers if d.spdx)
    common = min(counts, key=lambda s: (-counts[s], s)) if counts else None
    from_files = _join([d.spdx for d in files if d.spdx])
    if from_files is None:
        return declared[0] if declared else _join(classifiers, "OR") or common
    for other in declared[:1] + ([common] if common else []):
        # the same licences stated with more precision: OR from the metadata of
        # LICENSE-MIT + LICENSE-APACHE, "-or-later" for a bare GPL text
        if _keys(other) == _keys(from_files) and _agrees(from_files, other, defaulted):
            return other
    return from_files


def _agrees(from_files: str, other: str, defaulted: set[str]) -> bool:
    """True if ``other`` differs from ``from_files`` only where the files said nothing."""
    ours, theirs = _ids(from_files), _ids(other)
    return all(_base(i) in defaulted for i in ours - theirs)



def detect_source(source: Source) -> str | None:
    """The licence of a tree (see :func:`detect_tree`), or None."""
    return detect_tree(source).spdx
