# SPDX-License-Identifier: Apache-2.0
"""Licence expressions built to explode: bounded before they are parsed or expanded.

An AND of n two-way ORs has 2**n alternatives; the rules engine looks at each (issue 11: a
crafted expression ran for more than 90 s).  In a config or on the command line it is a
one-line error; in an upstream's SPDX header it is an unrecognised licence, and the scan goes on.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from helpers import COPY_PY, UPSTREAM_PY, write_tree

from .conftest import run_attrib

EXPLODING = " AND ".join(f"(MIT OR Apache-{i % 2 + 1}.0)" for i in range(40))  # 2**40 choices
DEEP = "(" * 400 + "MIT" + ")" * 400
WIDE = " OR ".join(["MIT", "Apache-2.0", "ISC", "Zlib"] * 60)
HUGE = " OR ".join(["MIT"] * 5_000)  # 35 KB (one argument may hold 128 KB)


@pytest.fixture
def index(tmp_path: Path) -> str:
    idx = str(tmp_path / "idx.sqlite")
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    assert run_attrib("index", "add", up, "--name", "grid", "--index", idx).code == 0
    return idx


@pytest.mark.parametrize("expression", [EXPLODING, DEEP, WIDE, HUGE],
                         ids=["and-of-ors", "nested", "many-ids", "long"])
def test_config_licence_too_large_is_one_line(tmp_path: Path, index: str,
                                              expression: str) -> None:
    project = write_tree(tmp_path / "p", {
        ".attrib.yaml": f"upstreams:\n  - name: grid\n    license: \"{expression}\"\n",
        "pool.py": COPY_PY})
    run = run_attrib("scan", ".", "--index", index, cwd=project)
    run.assert_one_line_error(".attrib.yaml", "too large")


@pytest.mark.parametrize("expression", [EXPLODING, DEEP, HUGE], ids=["and-of-ors", "nested", "long"])
def test_index_add_license_too_large_is_one_line(tmp_path: Path, expression: str) -> None:
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    run = run_attrib("index", "add", up, "--name", "grid", "--license", expression,
                     "--index", tmp_path / "idx.sqlite")
    run.assert_one_line_error("too large")


def test_upstream_header_that_explodes_is_an_unrecognised_licence(tmp_path: Path) -> None:
    """Each file of the upstream carries the expression; indexing and the scan finish fast."""
    code = UPSTREAM_PY.replace("Apache-2.0", EXPLODING)
    assert len(EXPLODING) < 2000  # within the length bound: the alternatives bound catches it
    up = write_tree(tmp_path / "up", {f"m{i}.py": code for i in range(3)})
    idx = tmp_path / "idx.sqlite"
    add = run_attrib("index", "add", up, "--name", "grid", "--index", idx)
    add.assert_bounded()
    assert add.code == 0 and "licence unknown" in add.stdout, add.stdout + add.stderr
    suspect = write_tree(tmp_path / "s", {"pool.py": COPY_PY})
    scan = run_attrib("scan", suspect, "--index", idx)
    scan.assert_bounded()
    assert scan.code == 1 and "grid" in scan.stdout


def test_rules_engine_never_expands_an_oversized_expression() -> None:
    """Whatever reaches the rules engine (an index file is untrusted too) stays bounded."""
    from attrib.rules import _choices, load_rules

    rules = load_rules()
    start = time.monotonic()
    picked = rules.applicable(EXPLODING, "grid", 100)
    ok, why = rules.compatible(EXPLODING, "MIT")
    assert len(_choices(EXPLODING)) == 1  # one unrecognised licence, not 2**40 choices
    assert time.monotonic() - start < 5
    assert picked and ok is None and "no compatibility entry" in why


def test_ordinary_expressions_still_expand() -> None:
    from attrib.licenses import validate_spdx
    from attrib.rules import _choices

    expression = "(MIT OR Apache-2.0) AND (BSD-3-Clause OR ISC) AND Zlib"
    assert validate_spdx(expression) == expression
    assert len(_choices(expression)) == 4
    eight = " AND ".join(f"(MIT OR Apache-{i % 2 + 1}.0)" for i in range(8))  # 256: the bound
    assert len(_choices(eight)) == 256
