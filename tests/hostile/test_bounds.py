# SPDX-License-Identifier: Apache-2.0
"""Files that grow without bound: tokens, lines and line length per file are bounded.

Issue 11: five dense 1 MB Python files reached 1.2 GiB (about 1.1 GB and 4 s per MB of dense
code under the default limits) and a 50 MB one-line file, with the size limit raised, 24 GiB.
Past a bound a file is a recorded skip naming the bound, and the run goes on; peak memory of
the command stays under 1 GiB.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import COPY_PY, UPSTREAM_PY, write_tree

from .conftest import run_attrib

MB = 1_000_000


def _dense(size: int, end: str = "\n", per_line: int = 1) -> str:
    """Python (or JavaScript, with ``end=";\\n"``) with about 24 tokens per 40 bytes,
    ``per_line`` statements to a line."""
    out, total, i = [], 0, 0
    while True:
        sep = end if (i + 1) % per_line == 0 else ";"
        line = f"v{i % 97}=f{i % 13}(a{i % 7},b[{i % 5}],c.d{i % 11})+g({i},h)*k{sep}"
        if total + len(line) > size:
            return "".join(out) + "\n"
        out.append(line)
        total += len(line)
        i += 1


def _skips(stdout: str) -> dict[str, str]:
    return {s["path"]: s["reason"] for s in json.loads(stdout)["skipped"]}


def test_five_dense_one_mb_python_files_are_skipped_within_bounds(tmp_path: Path) -> None:
    dense = _dense(MB - 1)
    tree = write_tree(tmp_path / "t", {**{f"d{i}.py": dense for i in range(5)},
                                       "pool.py": COPY_PY})
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    run = run_attrib("compare", tree, up, "--format", "json")
    run.assert_bounded()
    assert run.code == 1  # the ordinary copy beside them is still found
    skips = _skips(run.stdout)
    assert sorted(skips) == [f"d{i}.py" for i in range(5)]
    assert all(r.startswith("too many tokens") for r in skips.values()), skips
    assert run.peak_mb < 400, f"{run.peak_mb:.0f} MB"


def test_dense_files_within_the_bound_are_indexed_under_1_gib(tmp_path: Path) -> None:
    """Just under MAX_TOKENS (235k tokens each): parsed, fingerprinted, indexed."""
    dense = _dense(330_000)
    tree = write_tree(tmp_path / "t", {f"d{i}.py": dense for i in range(3)})
    run = run_attrib("index", "add", tree, "--name", "dense", "--index", tmp_path / "i.sqlite")
    run.assert_bounded()
    assert run.code == 0 and "indexed dense: 3 files" in run.stdout, run.stdout + run.stderr


@pytest.mark.parametrize("name, make, reason", [
    ("one-line.py", lambda: "x = [" + ",".join(str(i % 1000) for i in range(12_000_000)) + "]\n",
     "line too long"),
    ("many-lines.py", lambda: "x = 1\n" * 8_000_000, "too many lines"),
    ("dense.py", lambda: _dense(50 * MB, per_line=500), "too many tokens"),
    ("dense.js", lambda: _dense(50 * MB, ";\n", per_line=500), "too many tokens"),
], ids=["one-line", "many-lines", "dense-py", "dense-js"])
def test_50_mb_file_with_the_size_limit_raised_is_skipped(tmp_path: Path, name: str, make,
                                                          reason: str) -> None:
    tree = write_tree(tmp_path / "t", {name: make(), "pool.py": COPY_PY})
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    run = run_attrib("compare", tree, up, "--format", "json", "--max-file-size", str(100 * MB))
    run.assert_bounded()
    assert run.code == 1
    assert _skips(run.stdout)[name].startswith(reason), _skips(run.stdout)
    assert run.peak_mb < 400, f"{run.peak_mb:.0f} MB"  # the file is read, never copied whole


def test_dense_javascript_stops_lexing_at_the_bound(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "t", {"d.js": _dense(MB - 1, ";\n")})
    run = run_attrib("index", "add", tree, "--name", "js", "--index", tmp_path / "i.sqlite")
    run.assert_bounded()
    assert run.code == 0 and "indexed js: 0 files" in run.stdout, run.stdout
    assert run.seconds < 20


def test_long_generated_line_under_the_bound_is_still_read(tmp_path: Path) -> None:
    """A 30k-character line (generated schema validators have them) stays within bounds."""
    table = "TABLE = [" + ", ".join(str(i) for i in range(5000)) + "]\n"
    assert 20_000 < len(table) < 50_000
    tree = write_tree(tmp_path / "t", {"pool.py": table + COPY_PY})
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    run = run_attrib("compare", tree, up, "--format", "json")
    run.assert_bounded()
    assert run.code == 1 and not _skips(run.stdout)
