# SPDX-License-Identifier: Apache-2.0
"""The background corpus: shingles so common in ordinary code that they prove nothing.

Like IDF in text retrieval: a k-token shingle found in many *unrelated* places
(argparse set-up, trivial ``__init__``s, ``if __name__ == "__main__"``, the
``PretrainedConfig``/``PreTrainedModel`` scaffolding every Hugging Face model
family repeats) is weak evidence of copying.  The shipped table lists the
hashes of shingles found in at least ``min_groups`` groups of a background
corpus, and matching counts only tokens covered by rarer shingles towards the
size a match needs.

A *group* is one file of an ordinary source (numpy, scipy, setuptools, pip),
or one model directory of a framework source (``transformers/models/<family>``):
families copy code from each other, so counting their files would make one
family's twenty files look like twenty independent witnesses.

The table's first line is a JSON header naming the normaliser, k, the groups
threshold and every source with its version; the rest is sorted little-endian
uint32 hashes.  ``benchmarks/build_background.py`` downloads the pinned sources
and rebuilds it (after a normaliser change):

    python benchmarks/build_background.py

``python -m attrib.engine.background build PATH... [--families DIR]`` builds one from
local trees.
"""
from __future__ import annotations

import fnmatch
import json
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np

DATA = Path(__file__).parent.parent / "data" / "common_shingles.bin"
# brace languages (lang/generic.py): everyday Go, plus generator output and project templates
GENERIC_DATA = Path(__file__).parent.parent / "data" / "common_shingles_generic.bin"
BOILERPLATE = Path(__file__).parent.parent / "data" / "boilerplate.py.txt"
_SKIP_PARTS = frozenset({"tests", "test", "testing", "_vendor", "vendored"})


@lru_cache(maxsize=4)
def common_shingles(normaliser: str, k: int, table: Path = DATA) -> np.ndarray:
    """Sorted uint32 hashes of common shingles; empty if the table was built for other parameters."""
    try:
        raw = table.read_bytes()
    except OSError:
        return np.empty(0, dtype=np.uint32)
    header, _, body = raw.partition(b"\n")
    meta = json.loads(header)
    # each table holds one normaliser's shingles (Python's, or the brace languages'), so only
    # that normaliser's version decides whether it applies; another language's normaliser
    # changing must not silently switch it off
    if _part(meta.get("normaliser"), table) != _part(normaliser, table) or meta.get("k") != k:
        return np.empty(0, dtype=np.uint32)
    return np.frombuffer(body, dtype="<u4").astype(np.uint32)


def common_for(language: str, normaliser: str, k: int) -> np.ndarray:
    """The background table for a file of ``language``."""
    return common_shingles(normaliser, k, DATA if language == "python" else GENERIC_DATA)


def _part(normaliser: object, table: Path = DATA) -> str:
    parts = str(normaliser).split("-", 1)
    return parts[0] if table == DATA else parts[-1]


def table_header() -> dict:
    """The shipped table's header: parameters and the sources it was built from."""
    try:
        with DATA.open("rb") as handle:
            return json.loads(handle.readline())
    except (OSError, ValueError):
        return {}


def is_common(hashes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Boolean mask: which of ``hashes`` are in the sorted ``table``."""
    if not len(table) or not len(hashes):
        return np.zeros(len(hashes), dtype=bool)
    pos = np.searchsorted(table, hashes)
    pos[pos == len(table)] = 0
    return table[pos] == hashes


@dataclass(frozen=True)
class Source:
    """One background source: a directory or a wheel/zip, with what to read from it.

    With ``families`` (a glob over the source's paths, e.g.
    ``transformers/models/*``), each directory it matches is one group and only
    files whose names match ``include`` are read; ``exclude`` names families
    left out (held out for the template-negatives benchmark).
    """

    label: str  # "transformers==5.23.0"
    path: Path
    families: str | None = None
    include: tuple[str, ...] = ("*.py",)
    exclude: frozenset[str] = field(default_factory=frozenset)
    # a template or a generator's output: all of it is what independent projects share, so
    # every shingle is common however few files hold it (like boilerplate.py.txt)
    whole: bool = False

    def describe(self) -> dict:
        out: dict = {"source": self.label}
        if self.whole:
            out["whole"] = True
        if self.families:
            out.update(families=self.families, include=list(self.include),
                       held_out=sorted(self.exclude))
        return out


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(posix path, bytes) of every file of a directory or a zip archive, sorted."""
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and not p.is_symlink():
                yield p.relative_to(path).as_posix(), p.read_bytes()
        return
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith("/"):
                yield name, archive.read(name)


def _groups(source: Source) -> Iterator[tuple[str, str, str]]:
    """(group, file name, text) of every file the source contributes."""
    for name, data in _members(source.path):
        p = PurePosixPath(name)
        if not any(fnmatch.fnmatch(p.name, pat) for pat in source.include):
            continue
        if _SKIP_PARTS & set(p.parts[:-1]):
            continue
        group = f"{source.label}:{name}"
        if source.families:
            family = _family(p, source.families)
            if family is None or family.name in source.exclude:
                continue
            group = f"{source.label}:{family}"
        try:
            yield group, name, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def _family(path: PurePosixPath, pattern: str) -> PurePosixPath | None:
    depth = len(PurePosixPath(pattern).parts)
    if len(path.parts) <= depth:
        return None
    top = PurePosixPath(*path.parts[:depth])
    return top if fnmatch.fnmatch(str(top), pattern) else None


def build(sources: list[Source], min_groups: int = 5,
          generic: bool = False) -> tuple[dict, np.ndarray]:
    """Shingles found in at least ``min_groups`` groups, plus every shingle of the ``whole``
    sources and (Python) of ``boilerplate.py.txt``.  ``generic``: the brace languages' table,
    each file parsed by lang/generic.py as the language its name says."""
    from .fingerprint import default_params, shingle_hashes
    from .lang import generic as brace, language_of, normalise_newlines, python

    params = default_params()
    seen: dict[int, set[str]] = {}
    groups: Counter[str] = Counter()
    common: set[int] = set()
    for source in sources:
        for group, name, text in _groups(source):
            if generic:
                language = language_of(name)
                if language in (None, "python"):
                    continue
                stream, _ = brace.parse(normalise_newlines(text), language)
            else:
                stream, _ = python.parse(text)
            groups[group] += 1
            hashes = set(shingle_hashes(stream, params.k).tolist())
            if source.whole:
                common |= hashes
                continue
            for h in hashes:
                holders = seen.setdefault(h, set())
                if len(holders) < min_groups:
                    holders.add(group)
    common |= {h for h, holders in seen.items() if len(holders) >= min_groups}
    if not generic:
        stream, _ = python.parse(BOILERPLATE.read_text(encoding="utf-8"))
        common.update(shingle_hashes(stream, params.k).tolist())
    table = np.array(sorted(common), dtype=np.uint32)
    meta = {"normaliser": params.normaliser, "k": params.k, "min_groups": min_groups,
            "files": sum(groups.values()), "groups": len(groups), "shingles": int(len(table)),
            "sources": [s.describe() for s in sources]}
    if not generic:
        meta["boilerplate"] = BOILERPLATE.name
    return meta, table


def write(meta: dict, table: np.ndarray, dest: Path = DATA) -> None:
    dest.parent.mkdir(exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(json.dumps(meta, sort_keys=True).encode() + b"\n"
                    + table.astype("<u4").tobytes())
    tmp.replace(dest)
    common_shingles.cache_clear()


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m attrib.engine.background")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("paths", nargs="*", help="trees or wheels whose every file is a group")
    parser.add_argument("--families", action="append", default=[], metavar="PATH[:GLOB]",
                        help="a tree or wheel whose directories matching GLOB "
                             "(default models/*) are one group each")
    parser.add_argument("--min-groups", type=int, default=5)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    sources = [Source(Path(p).name, Path(p)) for p in args.paths]
    for spec in args.families:
        path, _, glob = spec.partition(":")
        sources.append(Source(Path(path).name, Path(path), glob or "models/*",
                              ("configuration_*.py", "modeling_*.py")))
    if not sources:
        parser.error("give at least one PATH or --families")
    meta, table = build(sources, args.min_groups)
    write(meta, table, args.out)
    print(f"{args.out}: {meta['shingles']} common shingles from {meta['files']} files "
          f"in {meta['groups']} groups")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
