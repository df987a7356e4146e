# SPDX-License-Identifier: Apache-2.0
"""Accuracy of attrib's licence detection, beside pre-commit's ``identify``.

For each of 19 licence ids (the GPL family once "-only", once "-or-later")
the script writes licence files in several disguises (see ``KINDS``), built
from the reference texts in ``attrib/data/licenses`` (the "choosealicense"
kind uses the copies vendored in identify instead); "-or-later" files carry
the FSF's "either version N ... or (at your option) any later version"
notice above the text, "-only" files are the bare text.  Negatives are files
that hold no licence: README prose that talks about licences, source files
of the standard library, a NOTICE, an "all rights reserved" statement, a
CONTRIBUTING and a CHANGELOG that mention licences.

Both tools read the same files from disk: attrib as it reads a tree
(``decode`` then ``detect_license_text``), identify with
``identify.identify.license_id(path)``.  identify answers with SPDX's
deprecated ids (``GPL-3.0``), which are read the SPDX way (``GPL-3.0-only``).
A positive is correct when the answer is equivalent to the expected
expression (``license-expression``'s ``is_equivalent``); a negative when
there is no answer.

    pip install license-expression 'identify[license]'
    python benchmarks/licenses.py [--seed 1] [--kinds verbatim,rewrap60] [--misses] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import sysconfig
import tempfile
import textwrap
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from attrib import licenses  # noqa: E402 - after the sys.path line

DATA = REPO / "attrib" / "data" / "licenses"
LICENSES = ("Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC", "MPL-2.0", "Unlicense",
            "CC0-1.0", "0BSD", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
            "LGPL-3.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
            "GPL-3.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later")
APPENDIX = {"Apache-2.0": "APPENDIX: How to apply", "MPL-2.0": "Exhibit A - Source Code Form",
            "Unlicense": "For more information", "GPL-2.0": "How to Apply These Terms",
            "GPL-3.0": "How to Apply These Terms", "LGPL-2.1": "How to Apply These Terms",
            "AGPL-3.0": "How to Apply These Terms"}
NAMES = {"GPL": "GNU General Public License", "LGPL": "GNU Lesser General Public License",
         "AGPL": "GNU Affero General Public License"}
HOLDERS = ("Copyright (c) 2019-2024 Example Org and contributors",
           "Copyright 2021 Jane Doe <jane@example.org>", "© 2023 Another Contributor")
README = """# frobnicate

A small library that frobnicates widgets. It reads widget descriptions,
checks them against the schema and writes them back in canonical order.

## Install

    pip install frobnicate

## Licensing questions

We are often asked whether the project can be used together with code under
the MIT, BSD or GPL licences, and what the Apache NOTICE file is for. The
short answer: read the licence of every dependency, keep its copyright
notices, and ask a lawyer when in doubt. The FAQ has longer answers.
"""
NOTICE = """Frobnicate
Copyright 2024 Example Org

This product includes software developed at Example Org (https://example.org/).
Portions of this software were written by third parties; see THIRD_PARTY.md.
"""
CONTRIBUTING = """# Contributing

Thanks for helping! By sending a patch you certify that you wrote it or have
the right to submit it under the open source licence of this project, and you
agree that it may be redistributed under the terms of that licence. Sign your
commits off (git commit -s). Run the tests and the linters before a pull
request; keep changes small and explain why in the commit message.
"""
CHANGELOG = """# Changelog

## 2.0.0
- The project moved from the GPL to a permissive licence; see LICENSE.
- Dropped Python 3.8. The parser is twice as fast.

## 1.4.2
- Fixed a crash when the input was empty.
"""
PROPRIETARY = """Copyright (c) 2024 Example Org. All rights reserved.

This software is confidential and proprietary. No part of it may be copied,
distributed or used without the prior written permission of Example Org.
"""


@dataclass(frozen=True)
class Case:
    kind: str
    expected: str | None  # None: a negative
    name: str
    data: bytes


def base(spdx: str) -> str:
    return spdx.removesuffix("-only").removesuffix("-or-later")


def reference(spdx: str) -> str:
    return (DATA / f"{base(spdx)}.txt").read_text(encoding="utf-8")


def notice(spdx: str) -> str:
    """The notice an "-or-later" project puts above its licence text."""
    family, version = base(spdx).split("-")
    return (f"frobnicate - widgets, frobnicated\nCopyright (C) 2024 Example Org\n\n"
            f"This program is free software: you can redistribute it and/or modify it under the\n"
            f"terms of the {NAMES[family]} as published by the Free Software\n"
            f"Foundation, either version {version.removesuffix('.0')} of the License, or (at your\n"
            f"option) any later version.\n\n")


def licence_file(spdx: str, text: str | None = None) -> str:
    text = reference(spdx) if text is None else text
    return (notice(spdx) if spdx.endswith("-or-later") else "") + text


def rewrap(text: str, width: int = 60) -> str:
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(textwrap.fill(p, width) for p in paragraphs if p)


def prefix(text: str, first: str, middle: str, last: str | None = None) -> str:
    lines = [middle + line if line.strip() else middle.rstrip() for line in text.splitlines()]
    return "\n".join(([first] if first else []) + lines + ([last] if last else [])) + "\n"


def with_holders(text: str) -> str:
    lines = text.splitlines()
    out = [line for line in lines if "<year>" not in line and "[yyyy]" not in line]
    return "\n".join(HOLDERS) + "\n\n" + "\n".join(out) + "\n"


def core_only(spdx: str) -> str:
    text = reference(spdx)
    marker = APPENDIX.get(base(spdx))
    return text.split(marker)[0] if marker else text


def edited(text: str, rng: random.Random, rate: float = 0.03) -> str:
    """About ``rate`` of the words deleted, replaced or doubled (a sloppy copy)."""
    out = []
    for line in text.splitlines():
        words = []
        for word in line.split(" "):
            roll = rng.random()
            if word and roll < rate / 3:
                continue
            if word and roll < 2 * rate / 3:
                word = rng.choice(("the", "such", "any", "this"))
            elif word and roll < rate:
                word = f"{word} {word}"
            words.append(word)
        out.append(" ".join(words))
    return "\n".join(out) + "\n"


def partner(spdx: str) -> str:
    return "Apache-2.0" if spdx == "MIT" else "MIT"


def choosealicense(spdx: str) -> str:
    """The same licence as distributed by choosealicense.com (vendored in identify):
    another copy of the text, with its own title, placeholders and line breaks."""
    from identify.vendor.licenses import LICENSES as VENDORED

    return licence_file(spdx, dict(VENDORED)[base(spdx)])


KINDS: dict[str, Callable[[str, random.Random], tuple[str, bytes]]] = {
    "verbatim": lambda s, r: (s, licence_file(s).encode()),
    "choosealicense": lambda s, r: (s, choosealicense(s).encode()),
    "rewrap60": lambda s, r: (s, rewrap(licence_file(s)).encode()),
    "hash #": lambda s, r: (s, prefix(licence_file(s), "", "# ").encode()),
    "block /* * */": lambda s, r: (s, prefix(licence_file(s), "/*", " * ", " */").encode()),
    "slash //": lambda s, r: (s, prefix(licence_file(s), "", "// ").encode()),
    "copyrights": lambda s, r: (s, with_holders(licence_file(s)).encode()),
    "no appendix": lambda s, r: (s, licence_file(s, core_only(s)).encode()),
    "edited 3%": lambda s, r: (s, edited(licence_file(s), r).encode()),
    "edited 10%": lambda s, r: (s, edited(licence_file(s), r, 0.10).encode()),
    "utf16 crlf": lambda s, r: (s, licence_file(s).replace("\n", "\r\n").encode("utf-16")),
    "combined": lambda s, r: (f"{s} AND {partner(s)}",
                              (licence_file(s) + "\n\n" + reference(partner(s))).encode()),
    "dual": lambda s, r: (f"{s} OR {partner(s)}", (
        f"This project is dual licensed: you may use it under the terms of either licence "
        f"below, at your choice.\n\n{licence_file(s)}\n\n{'-' * 60}\n\n"
        f"{reference(partner(s))}").encode()),
}


def negatives() -> list[Case]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    cases = [Case("negatives", None, "README.md", README.encode()),
             Case("negatives", None, "NOTICE", NOTICE.encode()),
             Case("negatives", None, "LICENSE", PROPRIETARY.encode()),
             Case("negatives", None, "CONTRIBUTING.md", CONTRIBUTING.encode()),
             Case("negatives", None, "CHANGELOG.md", CHANGELOG.encode())]
    for name in ("textwrap.py", "fnmatch.py", "glob.py", "bisect.py", "shlex.py"):
        path = stdlib / name
        if path.is_file():
            cases.append(Case("negatives", None, name, path.read_bytes()))
    return cases


def build(kinds: list[str], seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for kind in kinds:
        for spdx in LICENSES:
            expected, data = KINDS[kind](spdx, rng)
            cases.append(Case(kind, expected, spdx, data))
    return cases + negatives()


def run_attrib(path: Path) -> str | None:
    return licenses.detect_license_text(licenses.decode(path.read_bytes()), path.name).spdx


def run_identify(path: Path) -> str | None:
    from identify.identify import license_id

    try:
        return license_id(str(path))
    except (UnicodeDecodeError, ValueError):  # it reads UTF-8 only
        return None


def correct(expected: str | None, answer: str | None) -> bool:
    if expected is None or answer is None:
        return expected is answer
    from license_expression import get_spdx_licensing

    licensing = get_spdx_licensing()
    try:
        return bool(licensing.is_equivalent(expected, answer))
    except Exception:  # noqa: BLE001 - an answer license-expression cannot parse is wrong
        return False


def evaluate(cases: list[Case], tools: dict[str, Callable[[Path], str | None]],
             workdir: Path) -> dict:
    results: dict = {t: {"by_kind": defaultdict(lambda: [0, 0]), "seconds": 0.0, "misses": []}
                     for t in tools}
    for number, case in enumerate(cases):
        path = workdir / f"{number:04d}" / case.name.replace("/", "_")
        path.parent.mkdir(parents=True)
        path.write_bytes(case.data)
        for tool, run in tools.items():
            start = time.perf_counter()
            answer = run(path)
            results[tool]["seconds"] += time.perf_counter() - start
            score = results[tool]["by_kind"][case.kind]
            score[1] += 1
            if correct(case.expected, answer):
                score[0] += 1
            else:
                results[tool]["misses"].append(
                    {"kind": case.kind, "case": case.name, "expected": case.expected, "got": answer})
    return results


def table(results: dict, kinds: list[str], files: int) -> str:
    tools = list(results)
    rows = [["variant"] + tools]
    for kind in kinds + ["negatives"]:
        rows.append([kind] + [f"{results[t]['by_kind'][kind][0]}/{results[t]['by_kind'][kind][1]}"
                              for t in tools])
    totals = [sum(v[0] for v in results[t]["by_kind"].values()) for t in tools]
    rows.append(["total"] + [f"{n}/{files}" for n in totals])
    rows.append(["ms per file"] + [f"{1000 * results[t]['seconds'] / files:.2f}" for t in tools])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated, of: " + ", ".join(KINDS))
    ap.add_argument("--no-identify", action="store_true")
    ap.add_argument("--misses", action="store_true", help="print every wrong answer")
    ap.add_argument("--json", help="write the figures and misses to this file")
    args = ap.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        ap.error(f"unknown kind(s) {', '.join(unknown)}; valid: {', '.join(KINDS)}")
    tools: dict[str, Callable[[Path], str | None]] = {"attrib": run_attrib}
    if not args.no_identify:
        tools["identify"] = run_identify
    start = time.perf_counter()
    licenses.detect_license_text("warm-up: load the reference texts once")
    load = time.perf_counter() - start
    cases = build(kinds, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        results = evaluate(cases, tools, Path(tmp))
    print(table(results, kinds, len(cases)))
    print(f"{len(cases)} files ({len(cases) - len(negatives())} licence files, "
          f"{len(negatives())} negatives); attrib's one-time reference load: {1000 * load:.0f} ms")
    if args.misses:
        for tool in results:
            for miss in results[tool]["misses"]:
                print(f"{tool} MISS {miss['kind']:>14} {miss['case']:<20} expected {miss['expected']},"
                      f" got {miss['got']}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {t: {"by_kind": dict(r["by_kind"]), "seconds": r["seconds"], "misses": r["misses"]}
             for t, r in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
