# SPDX-License-Identifier: Apache-2.0
"""Jupyter notebooks: code cells are Python, matches name the notebook's own lines."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from attrib.engine.lang import ParseFailure, language_of, parse_file
from attrib.engine.sources import blob_id
from attrib.model import SourceFile

from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, write_tree


def notebook(*cells: str, indent: int | None = 1, magic: str = "") -> str:
    """A notebook of a markdown cell, then one code cell per text (with a made-up output)."""
    out = [{"cell_type": "markdown", "metadata": {}, "source": ["# Notes\n", "some prose"]}]
    for n, code in enumerate(cells, 1):
        lines = [line + "\n" for line in (magic + code).rstrip("\n").split("\n")]
        lines[-1] = lines[-1].rstrip("\n")
        out.append({"cell_type": "code", "execution_count": n, "metadata": {},
                    "outputs": [{"output_type": "stream", "name": "stdout",
                                 "text": ["a line of output\n"] * 3}],
                    "source": lines})
    nb = {"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=indent)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True)


def scan_json(tmp_path: Path, upstream: dict, suspect: dict) -> dict:
    up, sus = write_tree(tmp_path / "up", upstream), write_tree(tmp_path / "sus", suspect)
    idx = str(tmp_path / "idx.sqlite")
    assert run("index", "add", str(up), "--name", "grid", "--index", idx).returncode == 0
    done = run("scan", str(sus), "--index", idx, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def test_notebooks_are_read_as_python():
    assert language_of("analysis.ipynb") == "python"
    assert language_of("ANALYSIS.IPYNB") == "python"


def test_a_copy_in_a_notebook_is_found_on_the_notebook_lines(tmp_path):
    half = len(COPY_PY.split("\n")) // 2
    head, tail = "\n".join(COPY_PY.split("\n")[:half]), "\n".join(COPY_PY.split("\n")[half:])
    text = notebook(head, tail, magic="%matplotlib inline\n")
    report = scan_json(tmp_path, {"grid.py": UPSTREAM_PY}, {"work.ipynb": text})
    matches = [m for m in report["matches"] if m["path"] == "work.ipynb"]
    assert matches, report
    lines = text.split("\n")
    for m in matches:
        for q in m["excerpt"]:
            shown = json.loads(lines[q["line"] - 1].strip().rstrip(","))
            # the quoted text is what that notebook line holds, decoded
            assert shown.rstrip("\n") == q["text"]


def test_a_notebooks_share_is_of_its_code_lines_not_its_json(tmp_path):
    # a notebook copied whole: its code lines are all derived, whatever its JSON and outputs
    text = notebook(COPY_PY)
    report = scan_json(tmp_path, {"grid.py": UPSTREAM_PY}, {"work.ipynb": text})
    [f] = [f for f in report["files"] if f["path"] == "work.ipynb"]
    code = [ln for ln in COPY_PY.split("\n") if ln.strip()]
    assert f["lines"] == len(code) < len(text.split("\n"))
    assert f["derived_lines"] >= 0.8 * len(code)


def test_a_notebook_upstream_is_found_in_a_python_copy(tmp_path):
    report = scan_json(tmp_path, {"grid.ipynb": notebook(UPSTREAM_PY)}, {"copy.py": COPY_PY})
    assert {m["upstream_path"] for m in report["matches"]} == {"grid.ipynb"}


def test_unrelated_code_in_a_notebook_does_not_match(tmp_path):
    report = scan_json(tmp_path, {"grid.py": UPSTREAM_PY}, {"other.ipynb": notebook(UNRELATED_PY)})
    assert report["matches"] == []


def test_a_minified_notebook_still_matches(tmp_path):
    report = scan_json(tmp_path, {"grid.py": UPSTREAM_PY},
                       {"work.ipynb": notebook(COPY_PY, indent=None)})
    assert report["matches"]
    assert all(m["start_line"] == 1 for m in report["matches"])  # the file is one line


@pytest.mark.parametrize("data,reason", [
    (b"{not json", "invalid JSON"),
    (b'{"cells": 3}', "no list of cells"),
    (b"[]", "no list of cells"),
    (b"[" * 100_000 + b"]" * 100_000, "invalid JSON"),
])
def test_a_broken_notebook_is_a_skip_with_its_reason(data, reason):
    with pytest.raises(ParseFailure, match=reason):
        parse_file(SourceFile(path="bad.ipynb", data=data, blob_id=blob_id(data)))


def test_a_broken_notebook_does_not_stop_the_scan(tmp_path):
    report = scan_json(tmp_path, {"grid.py": UPSTREAM_PY},
                       {"bad.ipynb": "{oops", "copy.py": COPY_PY})
    assert any(m["path"] == "copy.py" for m in report["matches"])
    assert any(s["path"] == "bad.ipynb" and "JSON" in s["reason"] for s in report["skipped"])
