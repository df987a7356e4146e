# SPDX-License-Identifier: Apache-2.0
"""Is the evidence publishable?  Quoted lines against the files, rename maps against maps.

Prints figures; never asserts on them.  The corpus is the accuracy benchmark's:
``--files`` real standard-library files, disguised by ``disguise.py`` at each
level.  The suspects are compared with the upstream in-process, with the same
engine as ``attrib compare``.  Then, for every match:

* every quoted line (both sides) is checked against the file's own line, read
  from its bytes;
* every marked column range is checked to lie inside its line;
* every rename map is checked to be one-to-one (no upstream name with two
  suspect names, no suspect name with two upstream names), and every name
  the HTML would mark is checked to be a name of the map.

    python benchmarks/evidence.py [--files 40] [--seed 1] [--levels rename,edit25,rewrite]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from accuracy import build_suspects, copy_tree, pick_stdlib  # noqa: E402  (sibling script)


def lines_of(path: Path) -> list[str]:
    return [line.removesuffix("\r") for line in path.read_bytes().decode("utf-8").split("\n")]


def check(report, suspect: Path, upstream: Path) -> dict[str, int]:
    """Counts of quoted lines, verbatim ones, rename maps, one-to-one ones, bad marks."""
    n = {"lines": 0, "verbatim": 0, "maps": 0, "one_to_one": 0, "bad_spans": 0, "bad_marks": 0}
    cache: dict[Path, list[str]] = {}
    for m in report.matches:
        for quoted, path in ((m.excerpt, suspect / m.path),
                             (m.upstream_excerpt, upstream / m.upstream_path)):
            text = cache.setdefault(path, lines_of(path))
            for q in quoted:
                n["lines"] += 1
                n["verbatim"] += q.line <= len(text) and q.text == text[q.line - 1]
                n["bad_spans"] += sum(not 0 <= a < b <= len(q.text) for a, b in q.spans)
        if m.renames:
            olds, news = [a for a, _ in m.renames], [b for _, b in m.renames]
            n["maps"] += 1
            n["one_to_one"] += len(set(olds)) == len(olds) and len(set(news)) == len(news)
        names = {b for _, b in m.renames}
        n["bad_marks"] += sum(q.text[a:b] not in names for q in m.excerpt for a, b in q.renamed)
    return n


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--levels", default="rename,edit25,rewrite")
    args = parser.parse_args(argv)
    from attrib.scan import compare_sources
    from attrib.engine.sources import open_source

    root, files = pick_stdlib(args.files, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        upstream = Path(tmp) / "upstream"
        rels = copy_tree(files, root, upstream)
        for level in args.levels.split(","):
            suspect = Path(tmp) / level
            suspect.mkdir()
            build_suspects(upstream, rels, level, args.seed, suspect)
            report = compare_sources(open_source(suspect), open_source(upstream), "stdlib")
            n = check(report, suspect, upstream)
            share = n["verbatim"] / n["lines"] if n["lines"] else 0.0
            maps = n["one_to_one"] / n["maps"] if n["maps"] else 0.0
            print(f"{level:8} {len(report.matches):4} matches: {n['verbatim']:,} of "
                  f"{n['lines']:,} quoted lines verbatim ({share:.1%}), {n['one_to_one']} of "
                  f"{n['maps']} rename maps one-to-one ({maps:.1%}), {n['bad_spans']} spans "
                  f"outside their line, {n['bad_marks']} marked names not in the map")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
