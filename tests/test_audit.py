# SPDX-License-Identifier: Apache-2.0
"""``attrib audit``: the evidence report on a hostile repository, in JSON, text and a real browser."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from attrib.audit import artifact_sections, check_location, model_artifacts
from attrib.cli import main as cli_main
from attrib.errors import UsageError
from attrib.formats.html import render as render_html
from attrib.model import Report

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CHROMIUM = "/usr/bin/chromium"
HOSTILE = "<img src=x onerror=alert(1)>.py"


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """``audit`` in the command table, whether or not main.py registers it yet."""
    monkeypatch.setitem(cli_main.COMMANDS, "audit", "attrib.cli.audit:audit")
    monkeypatch.setitem(cli_main.SUMMARIES, "audit", "Audit a repository: an evidence report.")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        cli_main.main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture
def index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    location = str(tmp_path / "idx.sqlite")
    code, _, err = run(capsys, "index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
                       "--index", location)
    assert code == 0, err
    return location


@pytest.fixture
def hostile_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "suspect"
    shutil.copytree(EXAMPLES / "llama3v", tree)
    # a copied file under a name that is markup, and a symlink out of the tree
    shutil.copy(tree / "llama3v" / "projection.py", tree / HOSTILE)
    (tree / "escape.py").symlink_to("/etc/passwd")
    # The audited repo's own config would "resolve" everything: it must be ignored.
    (tree / ".attrib.yaml").write_text("exclude: ['**']\n", encoding="utf-8")
    return tree


def test_audit_json_finds_copy_without_credit(index: str, capsys) -> None:
    code, out, err = run(capsys, "audit", str(EXAMPLES / "llama3v"), "--index", index,
                         "--format", "json")
    assert code == 1, err
    data = json.loads(out)
    assert data["schema_version"] and data["audit"]["schema_version"] == 1
    rows = {r["upstream"]: r for r in data["audit"]["summary"]}
    assert rows["MiniCPM-V"]["verdict"] == "copy without credit"
    assert rows["MiniCPM-V"]["copied_lines"] > 100
    assert data["matches"] and all(m["upstream"] == "MiniCPM-V" for m in data["matches"])
    assert data["audit"]["model_artifacts"]["status"] in ("compared", "not compared")


def test_audit_ignores_the_audited_repos_config(index: str, hostile_tree: Path, capsys) -> None:
    code, out, _ = run(capsys, "audit", str(hostile_tree), "--index", index, "--format", "json")
    assert code == 1
    assert json.loads(out)["matches"]


def test_against_limits_and_checks_names(index: str, capsys) -> None:
    code, _, err = run(capsys, "audit", str(EXAMPLES / "llama3v"), "--index", index,
                       "--against", "Nope")
    assert code == 2 and "MiniCPM-V" in err and len(err.strip().splitlines()) == 1


def test_text_format_has_summary(index: str, capsys) -> None:
    code, out, _ = run(capsys, "audit", str(EXAMPLES / "llama3v"), "--index", index,
                       "--format", "text")
    assert code == 1
    assert "Audit of" in out and "COPY WITHOUT CREDIT" in out


def _html(index: str, tree: Path, tmp_path: Path, capsys) -> tuple[Path, str]:
    report = tmp_path / "report.html"
    code, _, err = run(capsys, "audit", str(tree), "--index", index, "-o", str(report))
    assert code == 1, err
    return report, report.read_text(encoding="utf-8")


def test_html_is_self_contained_and_escaped(index: str, hostile_tree: Path, tmp_path: Path,
                                            capsys) -> None:
    _, page = _html(index, hostile_tree, tmp_path, capsys)
    assert "COPY WITHOUT CREDIT" in page and "<mark>" in page and "<svg" in page
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in page
    assert "escape.py</td><td>symlink (not followed)" in page and "root:" not in page


def test_html_escapes_renames_and_draws_artifacts() -> None:
    from attrib.model import Match, QuotedLine

    m = Match("a.py", 1, 1, "Up<s>", "b.py", 1, 1, 0.9, "renamed", (("x", "<b>y</b>"),),
              excerpt=(QuotedLine(1, "<b>y</b> = 1", ((0, 12),), ((0, 8),)),),
              upstream_excerpt=(QuotedLine(1, "x = 1", ((0, 5),), ((0, 1),)),))
    art = {"status": "compared", "reason": "", "sections": [{
        "name": "weights", "verdict": "derived", "figures": {"mean": 0.5}, "problems": ["<p>"],
        "histogram": {"edges": [0, 1, 2], "counts": [3, 1], "gaussian": [2.5, 1.5]},
        "correlations": [["<t>", 0.99], ["bad", "nan"]]}]}
    page = render_html(Report("t", (m,), (), ()), audit={
        "location": "<loc>", "summary": [], "model_artifacts": art})
    assert "<b>" not in page and "<mark>&lt;b&gt;y&lt;/b&gt;</mark>" in page
    assert "&lt;loc&gt;" in page and "&lt;t&gt;" in page and "<polyline" in page


def test_model_artifacts_not_compared_and_adapted(tmp_path: Path) -> None:
    report = Report("t", (), (), ())
    assert model_artifacts(None, report, compare=lambda a, b: {})["status"] == "not compared"
    sections = artifact_sections({"sections": [{"name": "config", "verdict": "same"}]})
    assert sections == [{"name": "config", "verdict": "same", "figures": {}, "problems": []}]


def _git_repo(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    git = ["git", "-C", str(dest), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "copy"], check=True)
    return dest


def test_audit_of_a_file_url(index: str, tmp_path: Path, capsys) -> None:
    repo = _git_repo(EXAMPLES / "llama3v", tmp_path / "remote")
    code, out, err = run(capsys, "audit", repo.as_uri(), "--index", index, "--format", "json")
    assert code == 1, err
    data = json.loads(out)
    assert data["audit"]["commit"] and data["matches"]
    row = data["audit"]["summary"][0]
    assert row["audited_first"] is not None


@pytest.mark.parametrize("location", ["ext::sh -c evil", "fd::3", "gopher://example.org/x"])
def test_unsafe_transports_refused(index: str, location: str, capsys) -> None:
    code, out, err = run(capsys, "audit", location, "--index", index)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and "refused" in err
    with pytest.raises(UsageError):
        check_location(location)


def test_missing_url_is_one_line(index: str, tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, "audit", (tmp_path / "no-such-repo").as_uri(), "--index", index)
    assert code == 2 and not out and len(err.strip().splitlines()) == 1


def _chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing and CI is set")
        pytest.skip(f"{CHROMIUM} is not installed")
    return CHROMIUM


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", *args],
        check=False, capture_output=True, text=True, timeout=120)


def _png_pixels_vary(png: bytes) -> bool:
    """Whether a PNG's decoded scanlines hold more than one byte value (not one colour)."""
    pos, idat = 8, b""
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    width = int.from_bytes(png[16:20], "big")
    channels = {2: 3, 6: 4, 0: 1, 4: 2}.get(png[25], 3)
    stride = width * channels + 1
    rows = [raw[i + 1:i + stride] for i in range(0, len(raw), stride)]
    # Filters make raw bytes vary even for one colour; a row of all-zero deltas under
    # filter "Sub"/"Up" is uniform.  Any row with a non-trivial value set means content.
    return any(len(set(r)) > 2 for r in rows)


def test_html_renders_in_a_real_browser(index: str, hostile_tree: Path, tmp_path: Path,
                                        capsys) -> None:
    report, _ = _html(index, hostile_tree, tmp_path, capsys)
    shot = tmp_path / "shot.png"
    _browser(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert _png_pixels_vary(shot.read_bytes())
    dom = _browser(tmp_path, "--dump-dom", report.as_uri()).stdout
    assert "COPY WITHOUT CREDIT" in dom and "MiniCPM-V" in dom
    assert "<img" not in dom  # the hostile file name stayed text
    if os.environ.get("ATTRIB_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["ATTRIB_KEEP_SCREENSHOT"])


def attrib(*args: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def noisy_weights(tmp_path: Path) -> tuple[Path, str]:
    """The Llama3-V case in full: the example's code copy, and the upstream's weights plus
    Gaussian noise under renamed tensor names; returns (suspect, index)."""
    import numpy as np

    from attrib.artifacts.tensorfile import write_safetensors

    upstream = tmp_path / "minicpmv"
    suspect = tmp_path / "llama3v"
    shutil.copytree(EXAMPLES / "minicpmv", upstream)
    shutil.copytree(EXAMPLES / "llama3v", suspect)
    rng = np.random.default_rng(7)
    weights = {f"vpm.layers.{i}.weight": rng.normal(0, 0.02, (64, 64)).astype(np.float32)
               for i in range(4)}
    write_safetensors(upstream / "model.safetensors", weights)
    noisy = {k.replace("vpm.", "vision."): v + rng.normal(0, 0.005, v.shape).astype(np.float32)
             for k, v in weights.items()}
    write_safetensors(suspect / "model.safetensors", noisy)
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(upstream), "--name", "MiniCPM-V", "--index", idx)[0] == 0
    return suspect, idx


def test_audit_compares_the_weights_and_draws_the_noise_histogram(noisy_weights, tmp_path):
    """The Llama3-V check: the suspect's weights are the upstream's plus Gaussian noise."""
    suspect, idx = noisy_weights
    code, out, err = attrib("audit", str(suspect), "--index", idx, "--format", "json")
    assert code == 1, err
    artifacts = json.loads(out)["audit"]["model_artifacts"]
    assert artifacts["status"] == "compared"
    [weights_section] = [s for s in artifacts["sections"] if s["name"] == "weights"]
    assert weights_section["verdict"] == "derived"
    assert weights_section["histogram"]["counts"] and weights_section["correlations"]
    html_out = tmp_path / "report.html"
    assert attrib("audit", str(suspect), "--index", idx, "-o", str(html_out))[0] == 1
    page = html_out.read_text()
    assert "<svg" in page and "Gaussian" in page


# -- the page's layout, measured in a real browser (issue 12, item 8) --------------------------

# Run in a copy of the page (the report itself runs no script: its CSP allows none): open every
# <details>, then write into the DOM what the layout engine measured.
MEASURE = """<script>
document.querySelectorAll('details').forEach(d => d.open = true);
const px = e => e.getBoundingClientRect().width;
const out = {tables: [], body: px(document.body), overflow: document.documentElement.scrollWidth};
for (const t of document.querySelectorAll('table.code')) {
  const row = [...t.rows].find(r => r.cells.length === 4 && r.cells[0].tagName === 'TD');
  if (row) out.tables.push({table: px(t), cells: [...row.cells].map(px),
                            em: parseFloat(getComputedStyle(t).fontSize),
                            wordBreak: getComputedStyle(row.cells[1]).wordBreak,
                            wrap: getComputedStyle(row.cells[1]).whiteSpace});
}
const pre = document.createElement('pre');
pre.id = 'measured';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""
# A part of the page alone in the viewport (headless screenshots cannot scroll), same CSS.
ISOLATE = """<script>
document.querySelectorAll('details').forEach(d => d.open = true);
document.body.replaceChildren(document.querySelector(%r).closest('section'));
</script>"""


def _with_script(page: Path, script: str, name: str) -> Path:
    """A copy of ``page`` that runs ``script`` (its CSP loosened for inline scripts only)."""
    html = page.read_text(encoding="utf-8")
    assert "default-src 'none';" in html
    html = html.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
    copy = page.with_name(name)
    copy.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
    return copy


def measure(tmp_path: Path, page: Path, width: int = 1280) -> dict:
    dom = _browser(tmp_path, f"--window-size={width},900", "--dump-dom",
                   _with_script(page, MEASURE, f"measure-{width}.html").as_uri()).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    import html

    return json.loads(html.unescape(found.group(1)))


def screenshot(tmp_path: Path, page: Path, name: str, selector: str | None = None) -> Path:
    target = page if selector is None else _with_script(page, ISOLATE % selector, f"{name}.html")
    shot = tmp_path / f"{name}.png"
    _browser(tmp_path, f"--screenshot={shot}", "--window-size=1280,900", target.as_uri())
    assert shot.is_file() and _png_pixels_vary(shot.read_bytes()), name
    if os.environ.get("ATTRIB_KEEP_SCREENSHOTS"):  # a directory: to look at them yourself
        shutil.copy(shot, Path(os.environ["ATTRIB_KEEP_SCREENSHOTS"]) / shot.name)
    return shot


def test_html_code_columns_take_the_width_and_wrap_at_spaces(noisy_weights, tmp_path):
    """Side-by-sides give the code most of the width at a desktop and a phone width; a
    line-number column stays a few characters wide; code is not broken inside words."""
    suspect, idx = noisy_weights
    page = tmp_path / "report.html"
    assert attrib("audit", str(suspect), "--index", idx, "-o", str(page))[0] == 1
    for width in (1280, 600):
        got = measure(tmp_path, page, width)
        assert len(got["tables"]) == page.read_text().count('<table class="code">') > 20
        for t in got["tables"]:
            left_n, left, right_n, right = t["cells"]
            assert left + right >= 0.75 * t["table"], (width, t)
            assert max(left_n, right_n) <= 6 * t["em"], (width, t)
            assert abs(left - right) <= 2  # both sides alike
            assert t["wordBreak"] != "break-all" and t["wrap"] == "pre-wrap"
        assert got["overflow"] <= width  # nothing pushes the page wider than the window
    top = screenshot(tmp_path, page, "top")
    card = screenshot(tmp_path, page, "card", "#m1")
    art = screenshot(tmp_path, page, "artifacts", "#artifacts")
    assert len({top.read_bytes(), card.read_bytes(), art.read_bytes()}) == 3


def test_html_has_contents_links_to_every_card_and_says_what_and_when(noisy_weights, tmp_path):
    suspect, idx = noisy_weights
    page = tmp_path / "report.html"
    assert attrib("audit", str(suspect), "--index", idx, "-o", str(page))[0] == 1
    html = page.read_text(encoding="utf-8")
    report = json.loads(attrib("audit", str(suspect), "--index", idx, "--format", "json")[1])
    cards = re.findall(r'<section class="card" id="(m\d+)">', html)
    assert len(cards) == len(report["matches"])
    links = set(re.findall(r'href="#(m\d+)"', html))
    assert links == set(cards)  # the map reaches every match card, and only real ones
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.S).group(0)
    for section in ("summary", "map", "obligations", "matches", "artifacts", "skipped"):
        assert f'href="#{section}"' in toc and f'id="{section}"' in html
    long = [m for m in report["matches"] if len(m["excerpt"]) > 30]
    assert html.count("<details open>") + html.count("<details>") == len(report["matches"])
    assert html.count("<details>") >= len(long)  # long ones start collapsed
    assert re.search(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", html)
    assert "indexed from <code>" in html  # where the upstream came from (no URL: a directory)
    assert re.search(r"<td>\d+% of \d+ lines</td>", html)  # the share of the repository
    dom = _browser(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert 'href="#m1"' in dom and "<details" in dom  # the browser kept them


def test_html_generation_date_follows_source_date_epoch(monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    page = render_html(Report("t", (), (), ()))
    assert "generated 2023-11-14 22:13 UTC" in page


def test_leftovers_name_the_upstream_a_repository_cannot_do_without(tmp_path):
    """An auto_map module and an architectures class the copy never shipped, and a renamed
    model_type: the evidence Llama3-V left in its configs, found from the index alone."""
    suspect = tmp_path / "llama3v"
    shutil.copytree(EXAMPLES / "llama3v", suspect)
    config = json.loads((suspect / "config.json").read_text())
    config["auto_map"]["AutoProcessor"] = "image_slicer.MiniCPMVImageProcessor"
    config["architectures"].append("MiniCPMVSliceConfig")
    (suspect / "config.json").write_text(json.dumps(config))
    # the copy renamed its slice tags, but its tokenizer still lists the upstream's
    patches = suspect / "llama3v" / "vision_patches.py"
    patches.write_text(patches.read_text().replace("'<slice>'", "'<tile>'")
                       .replace("'</slice>'", "'</tile>'"))
    (suspect / "tokenizer_config.json").write_text(json.dumps(
        {"additional_special_tokens": ["<slice>", "</slice>", "<tile>"]}))
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
                  "--index", idx)[0] == 0
    code, out, err = attrib("audit", str(suspect), "--index", idx, "--format", "json")
    assert code == 1, err
    found = {(x["key"], x["value"], x["upstream"]) for x in json.loads(out)["audit"]["leftovers"]}
    assert ("auto_map.AutoProcessor", "image_slicer.MiniCPMVImageProcessor", "MiniCPM-V") in found
    assert ("architectures", "MiniCPMVSliceConfig", "MiniCPM-V") in found
    assert ("model_type", "llama3v", "MiniCPM-V") in found  # renamed in config_llama3v.py
    assert ("class", "Llama3VModel", "MiniCPM-V") in found  # renamed from MiniCPMVModel
    assert ("special token", "<slice>", "MiniCPM-V") in found
    assert ("special token", "</slice>", "MiniCPM-V") in found
    assert not any(value == "<tile>" for _, value, _ in found)  # its own code uses that one


def test_against_a_path_needs_no_index(tmp_path):
    code, out, err = attrib("audit", str(EXAMPLES / "llama3v"), "--against",
                            str(EXAMPLES / "minicpmv"), "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert [v["upstream"] for v in report["verdicts"]] == ["minicpmv"]
    assert report["verdicts"][0]["verdict"] == "copy without credit"
