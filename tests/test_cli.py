# SPDX-License-Identifier: Apache-2.0
"""The command line, as a user runs it: exit codes, JSON fields, one-line errors."""
from __future__ import annotations

import json
import shutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from attrib.cli.main import cli, main

from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, git_repo, write_tree

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(*args: str) -> tuple[int, str, str]:
    """Run ``attrib`` through its real entry point (error boundary included)."""
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()", *args],
                          capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture()
def index(tmp_path):
    idx = str(tmp_path / "idx.sqlite")
    from attrib.notices import license_text

    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY.replace("Apache-2.0", "MIT"),
                                      "LICENSE": license_text("MIT")})
    code, out, err = run("index", "add", str(up), "--name", "grid", "--index", idx)
    assert code == 0, err
    assert "indexed grid" in out and "MIT" in out
    return idx


def test_quick_start_on_the_bundled_example(tmp_path):
    idx = str(tmp_path / "ex.sqlite")
    assert run("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
               "--index", idx)[0] == 0
    code, out, _ = run("scan", str(EXAMPLES / "llama3v"), "--index", idx, "--format", "json")
    assert code == 1
    report = json.loads(out)
    found = {(m["path"], m["upstream_path"]) for m in report["matches"]}
    assert ("llama3v/projection.py", "minicpmv/resampler.py") in found
    assert ("llama3v/positional.py", "minicpmv/resampler.py") in found
    assert ("llama3v/vision_patches.py", "minicpmv/image_slicer.py") in found
    renames = {r["upstream"]: r["suspect"] for m in report["matches"] for r in m["renames"]}
    assert renames.get("Resampler") == "Projection"
    assert not any(m["path"].endswith(("train_utils.py", "eval_metrics.py"))
                   for m in report["matches"])
    assert {u["name"]: u["license"] for u in report["upstreams"]} == {"MiniCPM-V": "Apache-2.0"}


def test_json_report_has_the_documented_fields(tmp_path, index):
    suspect = write_tree(tmp_path / "s", {"pool.py": COPY_PY})
    code, out, _ = run("scan", str(suspect), "--index", index, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["schema_version"] == 2
    m = report["matches"][0]
    for key in ("path", "start_line", "end_line", "upstream", "upstream_path",
                "upstream_start_line", "upstream_end_line", "similarity", "clone_type",
                "renames"):
        assert key in m
    assert m["upstream"] == "grid" and m["path"] == "pool.py"


def test_text_report_shows_both_sides_and_renames(tmp_path, index):
    suspect = write_tree(tmp_path / "s", {"pool.py": COPY_PY})
    code, out, _ = run("scan", str(suspect), "--index", index)
    assert code == 1
    assert "pool.py:" in out and "<-  grid:grid.py:" in out
    assert "renamed: " in out and "sincos_table -> make_table" in out
    assert " | " in out  # side by side


def test_clean_tree_exits_zero(tmp_path, index):
    suspect = write_tree(tmp_path / "s", {"inv.py": UNRELATED_PY})
    code, out, _ = run("scan", str(suspect), "--index", index)
    assert code == 0
    assert "no matches" in out


def test_compare_needs_no_index(tmp_path):
    a = write_tree(tmp_path / "a", {"pool.py": COPY_PY})
    b = write_tree(tmp_path / "b", {"grid.py": UPSTREAM_PY})
    code, out, _ = run("compare", str(a), str(b), "--format", "json")
    assert code == 1
    assert json.loads(out)["matches"][0]["upstream"] == "b"
    code, _, _ = run("compare", str(a / "pool.py"), str(b / "grid.py"))
    assert code == 1


def test_index_list_update_remove(tmp_path, index):
    code, out, _ = run("index", "list", "--index", index, "--format", "json")
    [up] = json.loads(out)["upstreams"]
    assert (up["name"], up["license"], up["files"]) == ("grid", "MIT", 1)  # code files
    assert run("index", "update", "grid", "--index", index)[0] == 0
    assert len(json.loads(run("index", "list", "--index", index, "--format", "json")[1])
               ["upstreams"]) == 1
    assert run("index", "remove", "grid", "--index", index)[0] == 0
    code, out, _ = run("index", "list", "--index", index)
    assert "no upstreams" in out


def test_index_add_git_url_at_a_ref(tmp_path):
    repo = tmp_path / "repo"
    git_repo(repo, [({"grid.py": UPSTREAM_PY}, "v1", 1_600_000_000),
                    ({"other.py": UNRELATED_PY}, "v2", 1_700_000_000)])
    git_repo_tag = __import__("git").Repo(repo)
    git_repo_tag.create_tag("v1", ref="HEAD~1")
    idx = str(tmp_path / "i.sqlite")
    code, out, err = run("index", "add", f"file://{repo}", "--ref", "v1", "--index", idx)
    assert code == 0, err
    up = json.loads(run("index", "list", "--index", idx, "--format", "json")[1])["upstreams"][0]
    assert up["name"] == "repo" and up["ref"] == "v1" and up["files"] == 1
    assert up["url"] == f"file://{repo}"


@pytest.mark.parametrize("args,needle", [
    (["scan", "/no/such/dir"], "does not exist"),
    (["scan", ".", "--format", "xml"], "xml"),
    (["index", "remove", "ghost"], "no upstream named 'ghost'"),
    (["scan", ".", "--ref", "HEAD"], "not a git repository"),
])
def test_usage_and_input_errors_exit_2_with_one_line(tmp_path, index, args, needle, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*args, "--index", index)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_corrupt_or_foreign_index_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    code, _, err = run("scan", str(tmp_path), "--index", str(bad))
    assert code == 2 and str(bad) in err and "Traceback" not in err
    missing = tmp_path / "missing.sqlite"
    code, _, err = run("scan", str(tmp_path), "--index", str(missing))
    assert code == 2 and "no index" in err


def test_index_built_with_other_parameters_is_refused(tmp_path, index):
    import sqlite3

    with sqlite3.connect(index) as conn:
        conn.execute("UPDATE meta SET value = '9' WHERE key = 'k'")
    code, _, err = run("scan", str(tmp_path), "--index", index)
    assert code == 2 and "other fingerprint parameters" in err


def test_help_teaches_with_examples():
    runner = CliRunner()
    for args in ([], ["index"], ["index", "add"], ["scan"], ["compare"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0
        assert "attrib" in result.output and "Example" in result.output or not args


def test_main_maps_bugs_to_exit_3(monkeypatch, capsys):
    import attrib.cli.main as m

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(m.cli, "main", boom)
    monkeypatch.delenv("ATTRIB_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 3
    assert "internal error" in capsys.readouterr().err


# -- output people read (issue 12, item 7) ----------------------------------------------------

@pytest.fixture(scope="module")
def example_index(tmp_path_factory) -> str:
    idx = str(tmp_path_factory.mktemp("example") / "ex.sqlite")
    assert run("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
               "--index", idx)[0] == 0
    return idx


def run_in(cwd: Path, *args: str, columns: int = 100) -> tuple[int, str, str]:
    import os

    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": str(columns)})
    return done.returncode, done.stdout, done.stderr


def test_text_report_opens_with_the_verdict_and_bounds_the_evidence(tmp_path, example_index):
    code, out, _ = run_in(tmp_path, "scan", str(EXAMPLES / "llama3v"), "--index", example_index)
    assert code == 1
    lines = out.splitlines()
    first_match = next(i for i, l in enumerate(lines) if "  <-  MiniCPM-V:" in l)
    head = "\n".join(lines[:6])
    assert "MiniCPM-V (Apache-2.0): COPY WITHOUT CREDIT" in head
    assert "% of the " in head and "lines copied" in head and "unmet: " in head
    assert "Licence obligations" in "\n".join(lines[:first_match])  # the fixes, before evidence
    assert len(lines) < 300  # 438 lines before; every match still named, each on a line
    assert all(max(map(len, lines[i].split(" | "))) <= 100 for i in range(len(lines))
               if " | " in lines[i])  # side-by-sides keep to the terminal's 100 columns
    report = json.loads(run("scan", str(EXAMPLES / "llama3v"), "--index", example_index,
                            "--format", "json")[1])
    for m in report["matches"]:
        assert f"{m['path']}:{m['start_line']}-{m['end_line']}  <-  " in out
    # each cut says how much it left out, of how many, and how to see all
    cuts = [tuple(map(int, c)) for c in re.findall(r"\.\.\. (\d+) more of (\d+) lines "
                                                   r"\(--full shows all\)", out)]
    quoted = {len(m["excerpt"]) for m in report["matches"]}
    assert cuts and all(total in quoted and 0 < n < total for n, total in cuts)
    assert lines[-1].endswith("MiniCPM-V: COPY WITHOUT CREDIT.")  # and once more at the end


def test_full_shows_every_quoted_line_of_every_match(tmp_path, example_index):
    code, out, _ = run_in(tmp_path, "scan", str(EXAMPLES / "llama3v"), "--index",
                          example_index, "--full")
    assert code == 1 and "more of" not in out and " more matches" not in out
    report = json.loads(run("scan", str(EXAMPLES / "llama3v"), "--index", example_index,
                            "--format", "json")[1])
    rows = [l for l in out.splitlines() if re.match(r"    [ \d]{4}\d ", l)]
    assert len(rows) == sum(len(m["excerpt"]) for m in report["matches"])
    renames = {f"{r['upstream']} -> {r['suspect']}" for m in report["matches"]
               for r in m["renames"]}
    flat = " ".join(out.split())
    assert all(r in flat for r in renames)


def _on_a_terminal(cwd: Path, *args: str) -> str:
    """Run attrib with stdout and stderr on a pseudo-terminal, as a user's shell does."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", "from attrib.cli.main import main; main()",
                             *args], stdout=slave, stderr=slave, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 1
    return b"".join(chunks).decode("utf-8", "replace")


def test_audit_on_a_terminal_writes_the_page_to_a_file_and_says_where(tmp_path, example_index):
    screen = _on_a_terminal(tmp_path, "audit", str(EXAMPLES / "llama3v"), "--index",
                            example_index)
    page = tmp_path / "attrib-audit-llama3v.html"
    assert page.is_file() and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "<html" not in screen and len(screen.splitlines()) <= 3
    assert "wrote the HTML report to attrib-audit-llama3v.html" in screen
    assert "MiniCPM-V (Apache-2.0): COPY WITHOUT CREDIT" in screen
    # piped, the page goes to stdout and nothing is written
    page.unlink()
    code, out, err = run_in(tmp_path, "audit", str(EXAMPLES / "llama3v"), "--index",
                            example_index)
    assert code == 1 and out.startswith("<!DOCTYPE html>") and not err
    assert not page.exists()


def test_audit_output_file_says_where_and_the_verdict(tmp_path, example_index):
    code, out, err = run_in(tmp_path, "audit", str(EXAMPLES / "llama3v"), "--index",
                            example_index, "-o", "report.html")
    assert code == 1 and not out
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert err.splitlines() == ["MiniCPM-V (Apache-2.0): COPY WITHOUT CREDIT, 302 lines copied "
                                "in 5 files", "wrote the HTML report to report.html"]


def test_rules_list_offers_only_the_formats_it_honours():
    result = CliRunner().invoke(cli, ["rules", "list", "--help"])
    assert "[text|json]" in result.output and "sarif" not in result.output
    code, out, err = run("rules", "list", "--format", "sarif")
    assert code == 2 and not out and "'sarif' is not one of 'text', 'json'" in err
    assert json.loads(run("rules", "list", "--format", "json")[1])["rules"]


# -- the README's quick start prints what the README shows (issue 12, item 9) -----------------

README = EXAMPLES.parent / "README.md"
SAMPLE_MARK = "<!-- quick-start sample:"
ELIDED = "[...]"
UPDATE_GOLDEN = "ATTRIB_UPDATE_GOLDEN"  # set to 1 to rewrite the sample from the real output


def _quick_start(readme: str) -> tuple[list[str], tuple[int, int]]:
    """The attrib commands of the quick-start block, and the sample block's line span."""
    lines = readme.splitlines()
    start = lines.index("## Quick start (one command, offline, on the bundled example)")
    block = lines.index("```sh", start) + 1
    commands = [c.strip() for c in lines[block].split("&&") if c.strip().startswith("attrib ")]
    mark = next(i for i in range(start, len(lines)) if lines[i].startswith(SAMPLE_MARK))
    assert lines[mark + 1] == "```"
    end = lines.index("```", mark + 2)
    return commands, (mark + 2, end)


def _sample_of(output: str) -> list[str]:
    """What the README shows of ``output``: the summary, then one match side by side."""
    lines = output.splitlines()
    summary = lines[:lines.index("")]
    starts = [i for i, l in enumerate(lines) if re.match(r"^\S+:\d+-\d+  <-  \S+:\d+-\d+$", l)
              and lines[i + 1].startswith("  similarity")]
    pick = next((i for i in starts if "Resampler -> Projection" in lines[i + 2]), starts[0])
    block = lines[pick:lines.index("", pick)]
    return [*summary, ELIDED, *block]


def test_readme_quick_start_shows_what_the_commands_print(tmp_path):
    import os
    import shlex

    readme = README.read_text(encoding="utf-8")
    commands, (lo, hi) = _quick_start(readme)
    assert [c.split()[:2] for c in commands] == [["attrib", "index"], ["attrib", "scan"]]
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    out = ""
    for command in commands:  # the user sees what each prints, one after the other
        code, printed, err = run_in(tmp_path, *shlex.split(command)[1:])
        out += printed
    assert code == 1, err  # the example copies without credit
    out = out.replace(str(tmp_path) + os.sep, "")  # the only part that varies: where it ran
    lines = readme.splitlines()
    if os.environ.get(UPDATE_GOLDEN):
        lines[lo:hi] = _sample_of(out)
        README.write_text("\n".join(lines) + "\n", encoding="utf-8")
        lo, hi = lo, lo + len(_sample_of(out))
    shown = lines[lo:hi]
    assert ELIDED in shown and len(shown) > 10
    # each run of shown lines is a run of the real output, in the order shown
    real, at = out.splitlines(), 0
    chunks: list[list[str]] = [[]]
    for line in shown:
        chunks.append([]) if line == ELIDED else chunks[-1].append(line)
    for chunk in filter(None, chunks):
        found = next((i for i in range(at, len(real)) if real[i:i + len(chunk)] == chunk), None)
        assert found is not None, "README sample differs from the output:\n" + "\n".join(chunk)
        at = found + len(chunk)


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_a_bad_worker_count_is_one_line_for_every_command(tmp_path, monkeypatch, value):
    """ATTRIB_WORKERS that is no positive whole number fails at once, even where nothing
    would fork (a runner told to use one process must not silently get one per core)."""
    monkeypatch.setenv("ATTRIB_WORKERS", value)
    up = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    for args in (["index", "add", str(up), "--name", "grid", "--index", str(tmp_path / "i.db")],
                 ["compare", str(up), str(up)]):
        code, out, err = run(*args)
        assert code == 2 and out == ""
        assert err.strip() == (f"attrib: error: ATTRIB_WORKERS={value!r} is not a positive "
                               "whole number (1: never fork; unset: one worker per usable core)")
    assert not (tmp_path / "i.db").exists()
    monkeypatch.setenv("ATTRIB_WORKERS", "1")
    code, out, err = run("compare", str(up), str(up))
    assert code in (0, 1) and "error" not in err


def _stdlib_tree(root: Path, *modules: str) -> Path:
    """Standard-library modules copied into ``root``: real code, enough to start the parsers."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    root.mkdir(parents=True)
    for module in modules:
        shutil.copy(stdlib / module, root / module)
    return root


def _listed(location: str) -> list[tuple]:
    code, out, err = run("index", "list", "--index", location, "--format", "json")
    assert code == 0, err
    return sorted((u["name"], u["files"], u["fragments"], u["lines"], u["license"])
                  for u in json.loads(out)["upstreams"])


def test_several_upstreams_in_one_add_make_the_index_one_add_each_makes(tmp_path,
                                                                       store_location):
    # big enough for the worker pool, and "texts" shares a blob with "parsers": the batch
    # parses it while "parsers" is being written, and must store it once
    parsers = _stdlib_tree(tmp_path / "parsers", "argparse.py", "textwrap.py", "shlex.py")
    texts = _stdlib_tree(tmp_path / "texts", "textwrap.py", "difflib.py")
    grid = write_tree(tmp_path / "grid", {"grid.py": UPSTREAM_PY})
    code, out, err = run("index", "add", str(parsers), str(texts), str(grid),
                         "--license", "PSF-2.0", "--index", store_location)
    assert code == 0, err
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "indexed parsers", "indexed texts", "indexed grid"]
    one_each = str(tmp_path / "one-each.sqlite")
    for tree in (parsers, texts, grid):
        assert run("index", "add", str(tree), "--license", "PSF-2.0", "--index", one_each)[0] == 0
    assert _listed(store_location) == _listed(one_each)
    assert {u[0] for u in _listed(store_location)} == {"parsers", "texts", "grid"}
    suspect = write_tree(tmp_path / "suspect", {"copied.py": COPY_PY,
                                                "wrap.py": (texts / "textwrap.py").read_text()})
    reports = [json.loads(run("scan", str(suspect), "--index", where, "--format", "json")[1])
               for where in (store_location, one_each)]
    found = [sorted((m["path"], m["upstream"], m["upstream_path"]) for m in r["matches"])
             for r in reports]
    assert found[0] == found[1]
    assert ("copied.py", "grid", "grid.py") in found[0]
    assert {("wrap.py", "parsers", "textwrap.py"), ("wrap.py", "texts", "textwrap.py")} & set(found[0])


def test_several_upstreams_refuse_one_name_and_clashing_names_before_writing(tmp_path):
    a = write_tree(tmp_path / "a" / "lib", {"grid.py": UPSTREAM_PY})
    b = write_tree(tmp_path / "b" / "lib", {"other.py": UNRELATED_PY})
    idx = tmp_path / "idx.sqlite"
    for args, needle in [(["--name", "x"], "--name names one upstream"),
                         (["--url", "https://example.org/x"], "--url names one upstream"),
                         ([], "would both be upstream 'lib'")]:
        code, out, err = run("index", "add", str(a), str(b), *args, "--index", str(idx))
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    code, _, err = run("index", "add", str(a), str(tmp_path / "gone"), "--index", str(idx))
    assert code == 2 and "gone: no such file or directory" in err
    assert not idx.exists()  # refused before the index was opened


def test_an_upstream_that_cannot_be_read_stops_the_rest_after_the_last_is_written(tmp_path):
    a = write_tree(tmp_path / "grid", {"grid.py": UPSTREAM_PY})
    c = write_tree(tmp_path / "other", {"other.py": UNRELATED_PY})
    idx = str(tmp_path / "idx.sqlite")
    code, out, err = run("index", "add", str(a), f"file://{tmp_path}/no-repo", str(c),
                         "--index", idx)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert out.startswith("indexed grid:")
    assert [u[0] for u in _listed(idx)] == ["grid"]


def test_a_blob_the_batch_moves_from_one_upstream_to_the_next_stays_indexed(tmp_path,
                                                                           store_location):
    # "b" was read (and its blob found already indexed) before "a" was written; writing "a"
    # drops that blob, which only the old "a" held, so "b" must parse it after all
    a = write_tree(tmp_path / "a", {"grid.py": UPSTREAM_PY, "other.py": UNRELATED_PY})
    assert run("index", "add", str(a), "--index", store_location)[0] == 0
    (a / "grid.py").unlink()
    b = write_tree(tmp_path / "b", {"grid.py": UPSTREAM_PY})
    code, out, err = run("index", "add", str(a), str(b), "--index", store_location)
    assert code == 0, err
    assert [(u[0], u[1]) for u in _listed(store_location)] == [("a", 1), ("b", 1)]
    suspect = write_tree(tmp_path / "suspect", {"copied.py": COPY_PY})
    report = json.loads(run("scan", str(suspect), "--index", store_location,
                            "--format", "json")[1])
    assert {(m["upstream"], m["upstream_path"]) for m in report["matches"]} == {("b", "grid.py")}
