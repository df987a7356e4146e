# SPDX-License-Identifier: Apache-2.0
"""Line endings: a copy saved with CR-only or mixed line endings is found, at the right lines.

tree-sitter and pygments count lines by LF alone, so a CR-only file was one long line and
its copies were missed (issue 11); attrib reads CRLF and lone CR as LF before parsing.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers import COPY_PY, UPSTREAM_PY, write_tree

from .conftest import run_attrib

JS_UPSTREAM = """\
function clampAll(values, low, high) {
  const out = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < low) { out.push(low); } else if (v > high) { out.push(high); } else { out.push(v); }
  }
  return out;
}

function movingAverage(series, width) {
  const result = [];
  let total = 0;
  for (let i = 0; i < series.length; i++) {
    total += series[i];
    if (i >= width) { total -= series[i - width]; }
    if (i >= width - 1) { result.push(total / width); }
  }
  return result;
}
"""


def _endings(text: str, style: str) -> bytes:
    lines = text.split("\n")
    if style == "mixed":  # every kind in turn, as a file edited on several systems
        seps = ["\r\n", "\n", "\r"]  # never CR then LF: that would be one CRLF
        return "".join(ln + seps[i % 3] for i, ln in enumerate(lines[:-1])).encode() + \
            lines[-1].encode()
    return {"lf": "\n", "crlf": "\r\n", "cr": "\r"}[style].join(lines).encode()


def _spans(tree: Path, upstream: Path) -> list[tuple]:
    run = run_attrib("compare", tree, upstream, "--format", "json")
    run.assert_bounded()
    assert run.code in (0, 1), run.stderr
    report = json.loads(run.stdout)
    assert not report["skipped"], report["skipped"]
    return sorted((m["path"], m["start_line"], m["end_line"], m["upstream_start_line"],
                   m["upstream_end_line"]) for m in report["matches"])


@pytest.mark.parametrize("style", ["cr", "mixed", "crlf"])
def test_copy_with_other_line_endings_matches_at_the_same_lines(tmp_path: Path,
                                                                style: str) -> None:
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY, "clamp.js": JS_UPSTREAM})
    plain = write_tree(tmp_path / "lf", {"pool.py": COPY_PY, "c.js": JS_UPSTREAM})
    other = write_tree(tmp_path / style, {"pool.py": _endings(COPY_PY, style),
                                          "c.js": _endings(JS_UPSTREAM, style)})
    expected = _spans(plain, up)
    assert {p for p, *_ in expected} == {"pool.py", "c.js"}
    assert _spans(other, up) == expected


def test_upstream_with_cr_only_endings_is_indexed_at_its_lines(tmp_path: Path) -> None:
    """The other direction, through git objects: a CR-only upstream at --ref."""
    up = write_tree(tmp_path / "up", {"grid.py": _endings(UPSTREAM_PY, "cr")})
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "cr"]):
        subprocess.run(["git", "-c", "core.autocrlf=false", *cmd], cwd=up, check=True,
                       env={**env, "PATH": "/usr/bin:/bin"})
    idx = tmp_path / "idx.sqlite"
    add = run_attrib("index", "add", up, "--ref", "HEAD", "--name", "grid", "--index", idx)
    add.assert_bounded()
    assert add.code == 0 and "indexed grid: 1 files" in add.stdout, add.stdout + add.stderr
    suspect = write_tree(tmp_path / "s", {"pool.py": COPY_PY})
    scan = run_attrib("scan", suspect, "--index", idx, "--format", "json", "--no-rules")
    assert scan.code == 1, scan.stderr
    spans = {(m["upstream_start_line"], m["upstream_end_line"])
             for m in json.loads(scan.stdout)["matches"]}
    lf = run_attrib("compare", suspect, write_tree(tmp_path / "lf", {"grid.py": UPSTREAM_PY}),
                    "--format", "json")
    assert spans == {(m["upstream_start_line"], m["upstream_end_line"])
                     for m in json.loads(lf.stdout)["matches"]}


def test_a_file_name_that_is_not_utf8_is_a_valid_sarif_uri(tmp_path):
    """A copied file with a non-UTF-8 name: the SARIF log is written, its URI carries the bytes."""
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    sus = tmp_path / "sus"
    sus.mkdir()
    with open(bytes(sus) + b"/po\xffol.py", "wb") as out:  # the name as bytes, not UTF-8
        out.write(UPSTREAM_PY.encode())
    idx = tmp_path / "i.sqlite"
    assert run_attrib("index", "add", up, "--name", "up", "--index", idx).code == 0
    run = run_attrib("scan", sus, "--index", idx, "--format", "sarif")
    assert run.code == 1, run.stderr
    log = json.loads(run.stdout)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"] for loc in r.get("locations", [])}
    assert any(u.endswith("po%FFol.py") for u in uris), uris
