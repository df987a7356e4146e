# SPDX-License-Identifier: Apache-2.0
"""Evidence a reviewer can publish: quoted lines are the files' own, rename maps are maps,
and among several holders of the same code the right one gets the credit."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from attrib.engine.evidence import one_to_one
from attrib.formats import render
from attrib.engine.index.sqlite import SqliteStore
from attrib.engine.indexing import index_source
from attrib.model import UpstreamInfo
from attrib.scan import compare_sources, scan_source
from attrib.engine.sources import open_source

from helpers import COPY_PY, UPSTREAM_PY, git_repo, write_tree

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WIDE = 400  # terminal columns: wide enough that the text report cuts no line


def run(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    return done.returncode, done.stdout, done.stderr


def file_line(root: Path, path: str, n: int) -> str:
    """Line ``n`` of a file, as its bytes say it (the oracle the reports must equal)."""
    lines = (root / path).read_bytes().decode("utf-8").split("\n")
    return lines[n - 1].removesuffix("\r")


# ---------------------------------------------------------------- the bundled example

@pytest.fixture(scope="module")
def example(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("example")
    idx = str(tmp / "ex.sqlite")
    env = {"ATTRIB_CACHE": str(tmp / "cache")}
    code, _, err = run("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
                       "--index", idx, env=env)
    assert code == 0, err
    out: dict = {}
    for key, args in (("json", ("scan", "--format", "json")),
                      ("text", ("scan", "--format", "text")),
                      ("audit_json", ("audit", "--format", "json")),
                      ("audit_text", ("audit", "--format", "text")),
                      ("html", ("audit", "--format", "html"))):
        code, stdout, err = run(args[0], str(EXAMPLES / "llama3v"), "--index", idx, *args[1:],
                                env={**env, "COLUMNS": str(WIDE)})
        assert code == 1, err  # the example copies without credit
        out[key] = stdout
    return out


ROOTS = (EXAMPLES / "llama3v", EXAMPLES / "minicpmv")


def check_json_quotes(report: dict) -> int:
    """Every quoted line equals its file's line; spans lie inside it; returns lines checked."""
    checked = 0
    for m in report["matches"]:
        for side, root, path in (("excerpt", ROOTS[0], m["path"]),
                                 ("upstream_excerpt", ROOTS[1], m["upstream_path"])):
            assert m[side], f"{path}: nothing quoted"
            for q in m[side]:
                assert q["text"] == file_line(root, path, q["line"]), (path, q["line"])
                for lo, hi in q["spans"] + q["renamed"]:
                    assert 0 <= lo < hi <= len(q["text"])
                checked += 1
            assert any(q["spans"] for q in m[side]), f"{path}: no matched token marked"
    return checked


def test_json_quotes_are_the_files_own_lines(example):
    for key in ("json", "audit_json"):
        report = json.loads(example[key])
        assert report["schema_version"] == 2
        assert check_json_quotes(report) > 100


def test_json_spans_mark_the_matched_tokens_and_renamed_names(example):
    report = json.loads(example["json"])
    for m in report["matches"]:
        suspect_names = {r["suspect"] for r in m["renames"]}
        for q in m["excerpt"]:
            for lo, hi in q["renamed"]:
                assert q["text"][lo:hi] in suspect_names
                assert any(a <= lo and hi <= b for a, b in q["spans"])  # renamed is matched
        upstream_names = {r["upstream"] for r in m["renames"]}
        for q in m["upstream_excerpt"]:
            assert all(q["text"][lo:hi] in upstream_names for lo, hi in q["renamed"])


HEADER = re.compile(r"^(\S+):(\d+)-(\d+)  <-  [^:]+:(\S+):(\d+)-(\d+)$")


def text_rows(report: str, width: int):
    """(suspect path, upstream path, left cell, right cell) of each side-by-side row."""
    cell = (width - 7) // 2
    paths = None
    for row in report.splitlines():
        head = HEADER.match(row)
        if head:
            paths = (head.group(1), head.group(4))
        elif paths and re.match(r"    [ \d]{4}\d ", row):
            yield paths[0], paths[1], row[4:4 + cell], row[4 + cell + 3:]


def parse_cell(cell: str) -> tuple[int, str]:
    return int(cell[:5]), cell[6:]


def test_text_side_by_side_quotes_the_files_own_lines(example):
    checked = 0
    for key in ("text", "audit_text"):
        for path, upath, left, right in text_rows(example[key], WIDE):
            n, text = parse_cell(left)
            assert text.rstrip() == file_line(ROOTS[0], path, n).expandtabs(4).rstrip()
            if right.strip():
                n, text = parse_cell(right)
                assert text.rstrip() == file_line(ROOTS[1], upath, n).expandtabs(4).rstrip()
            checked += 1
    assert checked > 50


HTML_MATCH = re.compile(
    r'<div class="match"><h3>(.*?):\d+-\d+ ← .*?:(.*?):\d+-\d+</h3>(.*?)</div>', re.S)
HTML_CELL = re.compile(r'<td class="n">(\d*)</td><td>(.*?)</td>', re.S)


def test_html_quotes_the_files_own_lines_and_marks_renamed_names(example):
    page = example["html"]
    report = json.loads(example["audit_json"])
    renames = {(m["path"], m["start_line"]): m["renames"] for m in report["matches"]}
    checked = 0
    blocks = HTML_MATCH.findall(page)
    assert len(blocks) == len(report["matches"])
    for path, upath, body in blocks:
        path, upath = html.unescape(path), html.unescape(upath)
        cells = HTML_CELL.findall(body)
        for i, (n, cell) in enumerate(cells):
            if not n:
                assert cell == ""
                continue
            root, p = (ROOTS[0], path) if i % 2 == 0 else (ROOTS[1], upath)
            assert html.unescape(re.sub(r"<[^>]+>", "", cell)) == file_line(root, p, int(n))
            checked += 1
    assert checked > 100
    names = {r["suspect"] for rs in renames.values() for r in rs}
    marked = {html.unescape(t) for _, _, body in blocks
              for t in re.findall(r"<mark>(.*?)</mark>", body)}
    assert marked and marked <= names
    assert '<span class="t">' in page


def test_every_rename_map_of_the_example_is_one_to_one_with_counts(example):
    report = json.loads(example["json"])
    maps = [m["renames"] for m in report["matches"] if m["renames"]]
    assert len(maps) > 10
    for renames in maps:
        olds = [r["upstream"] for r in renames]
        news = [r["suspect"] for r in renames]
        assert len(set(olds)) == len(olds) and len(set(news)) == len(news)
        assert all(isinstance(r["count"], int) and r["count"] >= 1 for r in renames)
        assert all(r["upstream"] != r["suspect"] for r in renames)
    found = {(r["upstream"], r["suspect"]) for rs in maps for r in rs}
    assert ("Resampler", "Projection") in found


# ---------------------------------------------------------------- parentheses and layout

GROUPED_UPSTREAM = textwrap.dedent('''\
    import torch
    import torch.nn.functional as F


    def patchify(images, patch, channels):
        """Cut images into square patches."""
        pieces = F.unfold(images, (patch, patch), stride=patch)
        pieces = pieces.transpose(1, 2).reshape(images.shape[0], -1, channels, patch, patch)
        best, err = (pieces.shape[1], patch), torch.zeros(1)
        if pieces.shape[1] > 4096:
            raise ValueError("too many patches: %d" % pieces.shape[1])
        return pieces, best, err
''')
GROUPED_COPY = textwrap.dedent('''\
    import torch
    import torch.nn.functional as F


    def to_tiles(x,
    \t\tp, c):
    \tt = F.unfold(x, (p, p), stride=p)
    \tt = t.transpose(1, 2).reshape(x.shape[0], -1, c, p, p)
    \tbest, e = (t.shape[1], p), torch.zeros(1)
    \tif t.shape[1] > 4096:
    \t\traise ValueError("too many patches: %d" % t.shape[1])
    \treturn t, best, e
''')


def test_parentheses_tabs_and_line_breaks_survive_in_every_format(tmp_path):
    s = write_tree(tmp_path / "s", {"tiles.py": GROUPED_COPY})
    u = write_tree(tmp_path / "u", {"patches.py": GROUPED_UPSTREAM})
    report = compare_sources(open_source(s), open_source(u), "up")
    [m] = report.matches
    copy_lines, up_lines = GROUPED_COPY.splitlines(), GROUPED_UPSTREAM.splitlines()
    assert [q.text for q in m.excerpt] == copy_lines[m.start_line - 1:m.end_line]
    assert [q.text for q in m.upstream_excerpt] == \
        up_lines[m.upstream_start_line - 1:m.upstream_end_line]
    data = json.loads(render(report, "json"))["matches"][0]
    quoted = {q["text"] for q in data["excerpt"]}
    assert "\tt = F.unfold(x, (p, p), stride=p)" in quoted
    assert "\tbest, e = (t.shape[1], p), torch.zeros(1)" in quoted
    [line] = [q for q in data["excerpt"] if "unfold" in q["text"]]
    marked = [line["text"][a:b] for a, b in line["spans"]]
    # blanks between tokens join a span; the grouping parentheses are no tokens: unmarked
    assert marked == ["t = F.unfold(x,", "p, p", ", stride=p)"]
    assert {"p", "x"} <= {line["text"][a:b] for a, b in line["renamed"]}
    text = render(report, "text", width=WIDE)
    assert "    t = F.unfold(x, (p, p), stride=p)" in text  # tab expanded to 4, not re-spaced
    page = render(report, "html")
    assert ("(<mark>p</mark><span class=\"t\">, </span><mark>p</mark>)"
            "<span class=\"t\">, stride=</span><mark>p</mark>") in page
    narrow = render(report, "text", width=80)
    cut = [r for r in narrow.splitlines() if "unfold" in r]
    assert cut and all("F.unfold(x, (p, p)" in r for r in cut)
    assert any(r.rstrip().endswith("…") for r in narrow.splitlines())


# ---------------------------------------------------------------- rename maps

DELETED_UPSTREAM = textwrap.dedent('''\
    import numpy as np


    def blend(values, mask, scale, offset):
        shifted = values - offset
        weighted = np.where(mask, shifted * scale, 0.0)
        total = np.sum(weighted, axis=-1) / np.maximum(np.sum(mask, axis=-1), 1)
        return np.clip(total * scale + offset, -1.0, 1.0)


    def spread(values, scale, offset):
        centred = values - np.mean(values, axis=0, keepdims=True) - offset
        spreads = np.sqrt(np.mean(centred ** 2, axis=0, keepdims=True)) * scale
        return centred / np.maximum(spreads, 1e-6)
''')
# ``mask`` deleted from blend; values -> xs and offset -> bias renamed everywhere
DELETED_COPY = textwrap.dedent('''\
    import numpy as np


    def blend(xs, scale, bias):
        shifted = xs - bias
        weighted = np.where(shifted > 0, shifted * scale, 0.0)
        total = np.sum(weighted, axis=-1) / np.maximum(np.sum(shifted > 0, axis=-1), 1)
        return np.clip(total * scale + bias, -1.0, 1.0)


    def spread(xs, scale, bias):
        centred = xs - np.mean(xs, axis=0, keepdims=True) - bias
        spreads = np.sqrt(np.mean(centred ** 2, axis=0, keepdims=True)) * scale
        return centred / np.maximum(spreads, 1e-6)
''')


def test_a_deleted_parameter_chains_no_false_renames(tmp_path):
    s = write_tree(tmp_path / "s", {"ops.py": DELETED_COPY})
    u = write_tree(tmp_path / "u", {"ops.py": DELETED_UPSTREAM})
    report = compare_sources(open_source(s), open_source(u), "up")
    assert {n for m in report.matches for n in m.names} == {"blend", "spread"}
    renames = {r for m in report.matches for r in m.renames}
    assert renames and renames <= {("values", "xs"), ("offset", "bias")}


def test_a_shifted_parameter_list_gives_no_rename_over_the_raw_tiles():
    """Over the first-pass tiles the deleted ``mask`` shifts the parameter list: the tile
    pairs ``mask`` with ``xs``. The map still sends one upstream name to one suspect name."""
    from attrib.engine.fingerprint import token_ids
    from attrib.engine.lang import parse_file
    from attrib.engine.match import rename_map
    from attrib.model import SourceFile
    from attrib.engine.tiling import greedy_tiles

    s = parse_file(SourceFile("ops.py", "s", DELETED_COPY.encode()))
    u = parse_file(SourceFile("ops.py", "u", DELETED_UPSTREAM.encode()))
    tiles = greedy_tiles(token_ids(s.stream.texts), token_ids(u.stream.texts), 8)
    pairs = [(t.s_start + k, t.u_start + k) for t in tiles for k in range(t.length)]
    votes = {(u.stream.raw[ui], s.stream.raw[si]) for si, ui in pairs}
    assert ("mask", "xs") in votes and ("values", "xs") in votes  # the conflict is there
    got = rename_map(s, u, pairs)
    assert {(a, b) for a, b, _ in got} <= {("values", "xs"), ("offset", "bias")}
    assert all(n >= 2 for _, _, n in got)


def test_one_to_one_resolves_conflicts_by_support():
    from collections import Counter

    votes = Counter({("input_dict", "placeholder"): 2, ("default_image_placeholder",
                                                        "placeholder"): 5,
                     ("mask", "scale"): 3, ("scale", "scale"): 4, ("a", "b"): 1})
    got = one_to_one(votes)
    assert got == {"default_image_placeholder": ("placeholder", 5)}


# ---------------------------------------------------------------- twins and exact copies

MODULE_PY = textwrap.dedent('''\
    # Copyright 2024 Example Org
    import numpy as np

    PALETTE = {"crimson": (220, 20, 60), "teal": (0, 128, 128), "amber": (255, 191, 0),
               "indigo": (75, 0, 130), "olive": (128, 128, 0), "coral": (255, 127, 80)}
    RAMP = np.linspace(0.0, 1.0, 17) ** 2.2
    TABLE = {}
    for name, (red, green, blue) in sorted(PALETTE.items()):
        luma = 0.2126 * red + 0.7152 * green + 0.0722 * blue
        TABLE[name] = (luma / 255.0, np.interp(luma / 255.0, RAMP, np.arange(17)))
    DARKEST = min(TABLE, key=lambda key: TABLE[key][0])
''')


def scan_against(tmp_path: Path, upstreams: dict[str, Path], suspect: dict[str, str]):
    store = SqliteStore.open(str(tmp_path / "idx.sqlite"), create=True)
    try:
        for name, root in upstreams.items():
            ref = "HEAD" if (root / ".git").exists() else None
            index_source(store, open_source(root, ref=ref),
                         UpstreamInfo(name, str(root), ref, None, "MIT"), workers=1)
        return scan_source(store, open_source(write_tree(tmp_path / "s", suspect)))
    finally:
        store.close()


def renamed(text: str, names: dict[str, str]) -> str:
    for old, new in names.items():
        text = re.sub(rf"\b{old}\b", new, text)
    return text


TWIN_NAMES = {"omega": "freq", "embed_dim": "dim", "product": "prod", "flat": "pos1d",
              "stacked": "out", "spacing": "step", "outputs": "pooled", "window": "win"}


def test_a_byte_identical_file_is_exact_whole_and_credited_to_its_blob(tmp_path):
    up = tmp_path / "up"
    git_repo(up, [({"b/grid.py": renamed(UPSTREAM_PY, TWIN_NAMES)}, "look-alike", 1_400_000_000),
                  ({"a/grid.py": UPSTREAM_PY}, "the original", 1_600_000_000)])
    report = scan_against(tmp_path, {"up": up}, {"x/copy.py": UPSTREAM_PY})
    [m] = report.matches
    assert (m.upstream_path, m.clone_type, m.similarity) == ("a/grid.py", "exact", 1.0)
    assert (m.start_line, m.end_line) == (1, len(UPSTREAM_PY.splitlines()))
    [f] = report.files
    assert f.derived_lines == f.lines
    assert "x/copy.py: 100% of" in render(report, "text")
    assert [q.text for q in m.excerpt] == UPSTREAM_PY.splitlines()[:len(m.excerpt)]
    assert m.excerpt and m.upstream_excerpt == m.excerpt
    assert report.stats["identical_files"] == 1


def test_identical_text_beats_an_older_look_alike_twin(tmp_path):
    up = tmp_path / "up"
    git_repo(up, [({"b/grid.py": renamed(UPSTREAM_PY, TWIN_NAMES)}, "look-alike", 1_400_000_000),
                  ({"a/grid.py": UPSTREAM_PY}, "the original", 1_600_000_000)])
    reformatted = UPSTREAM_PY.replace("# Copyright 2024 Example Org\n", "").replace(
        "    ", "  ")  # other layout and no header: another blob, the same tokens
    report = scan_against(tmp_path, {"up": up}, {"x/copy.py": reformatted})
    assert report.matches
    assert {m.upstream_path for m in report.matches} == {"a/grid.py"}
    assert {m.clone_type for m in report.matches} == {"exact"}


def test_the_upstream_file_explaining_most_of_the_suspect_file_wins(tmp_path):
    older, newer = tmp_path / "older", tmp_path / "newer"
    # the helpers and the class without its pool method: it explains less of pool.py
    part = UPSTREAM_PY[:UPSTREAM_PY.index("    def pool(")]
    git_repo(older, [({"part.py": part}, "helpers", 1_400_000_000)])
    git_repo(newer, [({"full.py": UPSTREAM_PY}, "helpers and the resampler", 1_600_000_000)])
    report = scan_against(tmp_path, {"older": older, "newer": newer}, {"pool.py": COPY_PY})
    found = {n: m for m in report.matches for n in m.names}
    assert {"make_table", "mesh_points", "Pooler.aggregate"} <= set(found)
    for name in ("make_table", "mesh_points"):
        assert (found[name].upstream, found[name].upstream_path) == ("newer", "full.py")
        assert found[name].also_in == ("older",)


def test_the_same_path_beats_an_older_holder_of_the_same_code(tmp_path):
    older, newer = tmp_path / "older", tmp_path / "newer"
    git_repo(older, [({"extern/grid.py": UPSTREAM_PY}, "taken in", 1_400_000_000)])
    git_repo(newer, [({"lib/grid.py": UPSTREAM_PY}, "grid", 1_600_000_000)])
    report = scan_against(tmp_path, {"older": older, "newer": newer}, {"lib/grid.py": COPY_PY})
    assert report.matches
    assert {(m.upstream, m.upstream_path) for m in report.matches} == {("newer", "lib/grid.py")}
    assert {m.also_in for m in report.matches} == {("older",)}


def test_a_file_without_functions_can_be_an_exact_copy(tmp_path):
    up = write_tree(tmp_path / "u", {"colours.py": MODULE_PY})
    same_tokens = MODULE_PY.replace("# Copyright 2024 Example Org\n", "# colour tables\n\n")
    report = scan_against(tmp_path, {"up": up}, {"tables.py": same_tokens,
                                                 "again.py": MODULE_PY})
    by_path = {m.path: m for m in report.matches}
    assert by_path["tables.py"].clone_type == "exact"
    assert by_path["again.py"].clone_type == "exact" and by_path["again.py"].similarity == 1.0
    assert {f.path: f.derived_lines == f.lines for f in report.files}["again.py"]


def test_a_tiny_identical_file_is_no_copy(tmp_path):
    up = write_tree(tmp_path / "u", {"pkg/__init__.py": "from .grid import sincos_table\n",
                                     "pkg/grid.py": UPSTREAM_PY})
    report = scan_against(tmp_path, {"up": up}, {"mine/__init__.py":
                                                 "from .grid import sincos_table\n"})
    assert report.matches == ()


def test_crlf_non_ascii_and_pygments_files_are_quoted_as_they_are(tmp_path):
    from test_match import JS_UPSTREAM

    js_copy = ("// lexer, version 2\n" + JS_UPSTREAM.replace("tokenize", "lexAll")
               .replace("position", "pos").replace("  ", "\t")).replace("\n", "\r\n")
    py_copy = ("# -*- coding: utf-8 -*-\n" + COPY_PY.replace("dim % 2", "dim % 2  # é")
               .replace("mesh_points(", "maillage_é(")).replace("\n", "\r\n")
    s = write_tree(tmp_path / "s", {"lex.js": js_copy.encode(), "pool.py": py_copy.encode()})
    u = write_tree(tmp_path / "u", {"lexer.js": JS_UPSTREAM, "grid.py": UPSTREAM_PY})
    report = compare_sources(open_source(s), open_source(u), "up")
    assert {m.path for m in report.matches} == {"lex.js", "pool.py"}
    for m in report.matches:
        for q in m.excerpt:
            assert q.text == file_line(s, m.path, q.line)
        for q in m.upstream_excerpt:
            assert q.text == file_line(u, m.upstream_path, q.line)
    marked = {q.text[a:b] for m in report.matches for q in m.excerpt for a, b in q.renamed}
    assert "maillage_é" in marked and "lexAll" in marked  # columns count characters, not bytes
