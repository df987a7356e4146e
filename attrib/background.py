# SPDX-License-Identifier: Apache-2.0
"""The background corpus: shingles so common in ordinary code that they prove nothing.

Like IDF in text retrieval: a k-token shingle found in many files of unrelated,
everyday Python (argparse set-up, trivial ``__init__``s, ``if __name__ ==
"__main__"``, config scaffolding) is weak evidence of copying.  The shipped
table lists the hashes of shingles that occur in at least ``min_files`` files of
a background corpus (numpy, scipy, setuptools and pip sources, none of which the
accuracy benchmark uses), and matching counts only tokens covered by rarer
shingles towards the size a match needs.

Rebuild after a normaliser change:
    python -m attrib.background build PATH... [--min-files 5]
"""
from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "common_shingles.bin"


@lru_cache(maxsize=4)
def common_shingles(normaliser: str, k: int) -> np.ndarray:
    """Sorted uint32 hashes of common shingles; empty if the table was built for other parameters."""
    try:
        raw = DATA.read_bytes()
    except OSError:
        return np.empty(0, dtype=np.uint32)
    header, _, body = raw.partition(b"\n")
    meta = json.loads(header)
    # the table holds Python shingles only (build() parses with attrib.lang.python), so only
    # the Python normaliser's version decides whether it applies; another language's
    # normaliser changing must not silently switch the background off
    if _python_part(meta.get("normaliser")) != _python_part(normaliser) or meta.get("k") != k:
        return np.empty(0, dtype=np.uint32)
    return np.frombuffer(body, dtype="<u4").astype(np.uint32)


def _python_part(normaliser: object) -> str:
    return str(normaliser).split("-", 1)[0]


def is_common(hashes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Boolean mask: which of ``hashes`` are in the sorted ``table``."""
    if not len(table) or not len(hashes):
        return np.zeros(len(hashes), dtype=bool)
    pos = np.searchsorted(table, hashes)
    pos[pos == len(table)] = 0
    return table[pos] == hashes


BOILERPLATE = Path(__file__).parent / "data" / "boilerplate.py.txt"


def build(paths: list[str], min_files: int = 5) -> tuple[dict, np.ndarray]:
    """Count, per shingle, the Python files under ``paths`` that contain it.

    Every shingle of the hand-written ``boilerplate.py.txt`` counts as common too.
    """
    from collections import Counter

    from .fingerprint import default_params, shingle_hashes
    from .lang import python

    params = default_params()
    counts: Counter[int] = Counter()
    files = 0
    for root in paths:
        for path in sorted(Path(root).rglob("*.py")):
            if "tests" in path.parts or "_vendor" in path.parts or path.is_symlink():
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            stream, _ = python.parse(text)
            counts.update(set(shingle_hashes(stream, params.k).tolist()))
            files += 1
    common = {h for h, n in counts.items() if n >= min_files}
    stream, _ = python.parse(BOILERPLATE.read_text(encoding="utf-8"))
    common.update(shingle_hashes(stream, params.k).tolist())
    table = np.array(sorted(common), dtype=np.uint32)
    meta = {"normaliser": params.normaliser, "k": params.k, "min_files": min_files,
            "files": files, "shingles": int(len(table))}
    return meta, table


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m attrib.background")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--min-files", type=int, default=5)
    args = parser.parse_args(argv)
    meta, table = build(args.paths, args.min_files)
    DATA.parent.mkdir(exist_ok=True)
    tmp = DATA.with_suffix(".tmp")
    tmp.write_bytes(json.dumps(meta, sort_keys=True).encode() + b"\n" + table.astype("<u4").tobytes())
    tmp.replace(DATA)
    print(f"{DATA}: {meta['shingles']} common shingles from {meta['files']} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
