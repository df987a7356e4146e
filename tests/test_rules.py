# SPDX-License-Identifier: Apache-2.0
"""Rules: the shipped files, which rules apply, licence compatibility, project
overrides, FILE:LINE errors for broken rule files, and ``attrib rules``."""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from attrib.cli.rules import rules as rules_cli
from attrib.errors import ConfigError
from attrib.rules import CHECKS, SEVERITIES, load_rule_file, load_rule_text, load_rules

NAMED = ("Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC", "MPL-2.0",
         "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
         "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
         "AGPL-3.0-only", "AGPL-3.0-or-later")
NO_OBLIGATION = ("Unlicense", "CC0-1.0", "0BSD")


@pytest.fixture(scope="module")
def shipped():
    return load_rules()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ---------------------------------------------------------------- shipped rules

def test_shipped_rules_load_each_with_citation_fix_and_origin(shipped):
    ids = [r.id for r in shipped.rules]
    assert len(ids) == len(set(ids)) > 20
    for rule in shipped.rules:
        ob = rule.obligation
        assert ob.check in CHECKS and ob.severity in SEVERITIES
        assert ob.citation and ob.summary and ob.fix and rule.title
        assert re.fullmatch(r"rules/[a-z0-9.-]+\.yaml:\d+", rule.origin)
    assert shipped.compatibility


def test_every_shipped_file_validates_on_its_own():
    files = sorted((Path(__file__).parents[1] / "rules").glob("*.yaml"))
    assert files
    for f in files:
        assert f.read_text(encoding="utf-8").startswith("# SPDX-License-Identifier: Apache-2.0")
        load_rule_file(f)


@pytest.mark.parametrize("spdx", NAMED)
def test_every_named_licence_asks_for_its_text_and_headers(shipped, spdx):
    own = [r for r in shipped.applicable(spdx, "up", 50) if spdx in r.when.licenses]
    checks = {r.obligation.check: r.obligation.severity for r in own}
    assert checks.get("license-text") in ("error", "warning")
    assert checks.get("headers") == "error"


@pytest.mark.parametrize("spdx", NO_OBLIGATION)
def test_no_obligation_licences_have_an_explicit_info_rule(shipped, spdx):
    own = [r for r in shipped.applicable(spdx, "up", 50) if spdx in r.when.licenses]
    assert own and all(r.obligation.severity == "info" for r in own)
    assert not any(r.obligation.severity == "error" and r.when.licenses
                   for r in shipped.applicable(spdx, "up", 50))


def test_apache_carries_all_of_section_4(shipped):
    got = {r.obligation.check: r.obligation.citation
           for r in shipped.applicable("Apache-2.0", "up", 9)}
    assert got["license-text"] == "Apache-2.0 §4(a)"
    assert got["change-notice"] == "Apache-2.0 §4(b)"
    assert got["headers"] == "Apache-2.0 §4(c)"
    assert got["notice"] == "Apache-2.0 §4(d)"
    assert "{notice_file}" in shipped.get("apache-2.0/notice").obligation.fix


@pytest.mark.parametrize("spdx,section", [("GPL-3.0-only", "GPL-3.0 §5(a)"),
                                          ("GPL-2.0-or-later", "GPL-2.0 §2(a)"),
                                          ("LGPL-2.1-only", "LGPL-2.1 §2(b)"),
                                          ("AGPL-3.0-or-later", "AGPL-3.0 §5(a)")])
def test_copyleft_change_notice_cites_its_section(shipped, spdx, section):
    notes = [r for r in shipped.applicable(spdx, "up", 9) if r.obligation.check == "change-notice"]
    assert [r.obligation.citation for r in notes] == [section]


@pytest.mark.parametrize("license", [None, "", "NOASSERTION", "NONE", "LicenseRef-Custom",
                                     "not a licence"])
def test_unknown_or_missing_licence_is_an_error(shipped, license):
    known = [r for r in shipped.applicable(license, "up", 5)
             if r.obligation.check == "license-known"]
    assert [r.obligation.severity for r in known] == ["error"]
    assert "no permission" in known[0].obligation.summary


@pytest.mark.parametrize("license", (*NAMED, *NO_OBLIGATION, None))
def test_policy_rules_apply_to_every_licence(shipped, license):
    got = {r.obligation.check: r.obligation.severity for r in shipped.applicable(license, "up", 1)}
    assert got["credit"] == "warning"
    assert got["authorship"] == "info"
    assert got["compatible"] == "error"


def test_weights_get_only_the_rules_for_any_artifact(shipped):
    got = {r.id for r in shipped.applicable("LicenseRef-MiniCPM-Model-License", "up", 1, "weights")}
    assert got == {"unknown/license-known", "credit/upstream-named", "authorship/history"}


# ---------------------------------------------------------------- selection

SELECTION = """
rules:
  - {id: t/any, title: t, check: credit, severity: warning, citation: c, summary: s, fix: f}
  - {id: t/copyleft, title: t, when: {families: [strong-copyleft]}, check: headers,
     severity: error, citation: c, summary: s, fix: f}
  - {id: t/mit, title: t, when: {licenses: [mit]}, check: license-text, severity: error,
     citation: c, summary: s, fix: f}
  - {id: t/big, title: t, when: {min_lines: 20}, check: notice, severity: info,
     citation: c, summary: s, fix: f}
  - {id: t/upstream, title: t, when: {upstreams: [MiniCPM-V]}, check: authorship,
     severity: info, citation: c, summary: s, fix: f}
  - {id: t/weights, title: t, when: {artifact: weights}, check: credit, severity: info,
     citation: c, summary: s, fix: f}
  - {id: t/both, title: t, when: {licenses: [MIT, Apache-2.0], min_lines: 5, artifact: any},
     check: notice, severity: warning, citation: c, summary: s, fix: f}
"""


@pytest.mark.parametrize("license,upstream,lines,artifact,expected", [
    ("MIT", "x", 1, "code", {"t/any", "t/mit"}),
    ("MIT", "x", 5, "code", {"t/any", "t/mit", "t/both"}),
    ("Apache-2.0", "x", 30, "code", {"t/any", "t/big", "t/both"}),
    ("GPL-3.0-only", "x", 1, "code", {"t/any", "t/copyleft"}),
    ("GPL-2.0+", "x", 1, "code", {"t/any", "t/copyleft"}),
    ("BSD-3-Clause", "minicpm-v", 1, "code", {"t/any", "t/upstream"}),
    ("MIT", "x", 10, "weights", {"t/weights", "t/both"}),
    ("MIT AND GPL-3.0-only", "x", 1, "code", {"t/any", "t/mit", "t/copyleft"}),
    ("MIT OR GPL-3.0-only", "x", 1, "code", {"t/any", "t/mit"}),
    ("GPL-2.0-only WITH Classpath-exception-2.0", "x", 1, "code", {"t/any", "t/copyleft"}),
])
def test_applicable_selects_by_licence_family_upstream_lines_and_artifact(
        license, upstream, lines, artifact, expected):
    ruleset = load_rule_text(SELECTION, "sel.yaml")
    assert {r.id for r in ruleset.applicable(license, upstream, lines, artifact)} == expected


def test_condition_licences_are_normalised():
    assert load_rule_text(SELECTION, "sel.yaml").get("t/mit").when.licenses == ("MIT",)


# ---------------------------------------------------------------- compatibility

@pytest.mark.parametrize("upstream,project,expected", [
    ("GPL-3.0-only", "MIT", False),
    ("Apache-2.0", "GPL-2.0-only", False),
    ("Apache-2.0", "GPL-3.0-or-later", True),
    ("MIT OR GPL-3.0-only", "MIT", True),
    ("GPL-2.0-only", "GPL-3.0-only", False),
    ("GPL-2.0-only", "GPL-2.0-or-later", True),
    ("GPL-3.0-only", "GPL-3.0-or-later", True),
    ("GPL-3.0-only", "AGPL-3.0-only", True),
    ("LGPL-2.1-only", "Apache-2.0", False),
    ("LGPL-2.1-only", "GPL-3.0-only", True),
    ("LGPL-3.0-only", "GPL-2.0-only", False),
    ("MPL-2.0", "MIT", True),
    ("MIT AND GPL-3.0-only", "MIT", False),
    ("GPL-3.0-only", "MIT OR GPL-3.0-only", False),  # users may take it under MIT
    ("GPL-3.0-only", "GPL-3.0-or-later AND MIT", True),  # already a GPL combination
    ("AGPL-3.0-only", "GPL-3.0-only", True),
    ("Apache-2.0", "Apache-2.0", True),
])
def test_compatible(shipped, upstream, project, expected):
    ok, why = shipped.compatible(upstream, project)
    assert ok is expected, why
    assert why


@pytest.mark.parametrize("project", ["MIT", "Apache-2.0", "GPL-2.0-only", "GPL-3.0-or-later",
                                     "LGPL-2.1-only", "MPL-2.0", "AGPL-3.0-only", "CC0-1.0",
                                     "LicenseRef-Proprietary"])
def test_mit_goes_into_anything(shipped, project):
    assert shipped.compatible("MIT", project)[0] is True


def test_incompatible_says_why(shipped):
    ok, why = shipped.compatible("Apache-2.0", "GPL-2.0-only")
    assert ok is False and "FSF" in why and "version 2" in why


@pytest.mark.parametrize("upstream,project", [("MIT", None), ("MIT", "NOASSERTION"),
                                              ("NOASSERTION", "MIT"), ("EPL-2.0", "MIT"),
                                              ("LicenseRef-Custom", "MIT")])
def test_compatible_unknown(shipped, upstream, project):
    ok, why = shipped.compatible(upstream, project)
    assert ok is None and why


# ---------------------------------------------------------------- project rules

def test_project_rule_overrides_a_shipped_one(tmp_path, shipped):
    extra = write(tmp_path / "compliance/extra.yaml", """
        rules:
          - id: apache-2.0/notice
            title: NOTICE carried (our policy)
            when: {licenses: [Apache-2.0]}
            check: notice
            severity: warning
            citation: Apache-2.0 §4(d)
            summary: Our NOTICE carries theirs.
            fix: Copy it into {notice_file}.
          - id: ours/extra
            title: An extra rule
            when: {upstreams: [MiniCPM-V]}
            check: credit
            severity: error
            citation: our policy
            summary: Credit MiniCPM-V.
            fix: Name {upstream} in README.md.
        compatibility:
          - upstream: GPL-3.0-only
            allowed: ["*"]
            citation: we hold a written exception
        """)
    merged = load_rules([extra])
    rule = merged.get("apache-2.0/notice")
    assert rule.obligation.severity == "warning"
    assert rule.origin == f"{extra}:2"
    assert [r.id for r in merged.rules][:len(shipped.rules)] == [r.id for r in shipped.rules]
    assert merged.get("ours/extra").origin == f"{extra}:10"
    assert merged.compatible("GPL-3.0-only", "MIT") == (True, "we hold a written exception")


def test_duplicate_id_across_project_files(tmp_path):
    text = """
        rules:
          - {id: ours/x, title: t, check: credit, severity: info, citation: c, summary: s, fix: f}
        """
    a, b = write(tmp_path / "a.yaml", text), write(tmp_path / "b.yaml", text)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(b))}:2: duplicate rule id 'ours/x' "
                                          rf"\(first at {re.escape(str(a))}:2\)$"):
        load_rules([a, b])


def test_get_unknown_rule_names_the_valid_ids(shipped):
    with pytest.raises(ConfigError, match=r"unknown rule 'mit/header'; did you mean "
                                          r"'mit/headers'\? \(valid ids: .*apache-2.0/notice"):
        shipped.get("mit/header")


# ---------------------------------------------------------------- errors with FILE:LINE

RULE = """\
rules:
  - id: x/y
    title: A rule
    when:
      licenses: [MIT]
      min_lines: 3
    check: notice
    severity: error
    citation: MIT ¶2
    summary: Something holds.
    fix: Do {upstream}.
"""


@pytest.mark.parametrize("old,new,line,message", [
    ("    severity: error", "    severty: error", 8,
     ("unknown key 'severty' in rule 'x/y' (expected one of: id, title, check, severity, "
      "citation, summary, fix, when)")),
    ("      min_lines: 3", "      min_lines: three", 6,
     "'min_lines' in 'when' in rule 'x/y' must be an integer, not a string"),
    ("      min_lines: 3", "      min_lines: -1", 6,
     "bad value -1 for 'min_lines' in 'when' in rule 'x/y' (expected at least 0)"),
    ("[MIT]", "[Apache-2]", 5,
     ("bad value 'Apache-2' for item #1 of 'licenses' in 'when' in rule 'x/y' "
      "(unknown SPDX licence id Apache-2")),
    ("[MIT]", "[MIT OR Apache-2.0]", 5, "expected one licence id, not an expression"),
    ("[MIT]", "MIT", 5, "'licenses' in 'when' in rule 'x/y' must be a list, not a string"),
    ("    check: notice", "    check: notices", 7,
     ("bad value 'notices' for 'check' in rule 'x/y' (expected one of: license-known, "
      "license-text, notice, headers, change-notice, credit, compatible, authorship)")),
    ("    severity: error", "    severity: fatal", 8, "(expected one of: error, warning, info)"),
    ("    fix: Do {upstream}.", "", 2, "missing required key 'fix' in rule 'x/y'"),
    ("    fix: Do {upstream}.", "    fix: Do {upstraem}.", 11, "unknown placeholder {upstraem}"),
    ("    fix: Do {upstream}.", "    fix: Do {upstream.", 11, "unbalanced braces"),
    ("  - id: x/y", "  - id: X Y", 2, "expected lower-case words joined by '/'"),
    ("    citation: MIT ¶2", "    citation: MIT ¶2\n    check: credit", 10,
     "duplicate key 'check' (first at line 7)"),
    ("    title: A rule", "    title: [unclosed", 4, "invalid YAML"),
    ("      min_lines: 3", "    min_lines: 3\n   bad: indent", 7, "invalid YAML"),
])
def test_rule_file_errors_name_file_and_line(tmp_path, old, new, line, message):
    assert old in RULE
    path = write(tmp_path / "rules.yaml", RULE.replace(old, new))
    with pytest.raises(ConfigError) as err:
        load_rule_file(path)
    text = str(err.value)
    assert text.startswith(f"{path}:{line}: "), text
    assert message in text
    assert "\n" not in text


def test_duplicate_rule_id_in_one_file(tmp_path):
    path = write(tmp_path / "r.yaml", RULE + RULE.split("\n", 1)[1])
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}:12: duplicate rule id 'x/y' "
                                          rf"\(first at {re.escape(str(path))}:2\)"):
        load_rules([path])


@pytest.mark.parametrize("text,line,message", [
    ("- just a list\n", 1, "the file must be a mapping, not a list"),
    ("rules:\n  - {id: a/b}\n", 2, "missing required key 'title' in rule 'a/b'"),
    (("compatibility:\n  - upstream: GPL-3.0-only\n    allowed: [MIT, nonsense-family]\n"
      "    citation: x\n"), 3, "unknown SPDX licence id nonsense-family"),
    ("rules: &a [*a]\n", 1, "recursive or repeated aliases"),
    ("# a comment\nrules: []\nx: \x07\n", 3, "invalid YAML"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdef", "bcdefg")), 1, "recursive or repeated aliases"),
    ("rules:\n  - [1, 2]\n", 2, "item #1 of 'rules' must be a mapping, not a list"),
    ("rules: {a: 1}\n", 1, "'rules' must be a list, not a mapping"),
    ("rules:\n  ? [a]\n  : 1\n", 2, "a key must be a plain value"),
])
def test_other_malformed_files(text, line, message):
    with pytest.raises(ConfigError) as err:
        load_rule_text(text, "x.yaml")
    assert str(err.value).startswith(f"x.yaml:{line}: "), str(err.value)
    assert message in str(err.value)


def test_unreadable_and_undecodable_rule_files(tmp_path):
    with pytest.raises(ConfigError, match=r"missing.yaml: cannot read"):
        load_rule_file(tmp_path / "missing.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"rules: \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"bin.yaml: not UTF-8"):
        load_rule_file(tmp_path / "bin.yaml")


def test_empty_rule_file_is_no_rules():
    assert load_rule_text("# nothing yet\n", "empty.yaml").rules == ()


# ---------------------------------------------------------------- the CLI

def run(*args: str):
    return CliRunner().invoke(rules_cli, list(args), catch_exceptions=True)


def test_cli_list_text(tmp_path):
    result = run("list", "--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "WHEN", "CITATION"]
    row = next(line for line in lines if line.startswith("apache-2.0/notice "))
    assert "error" in row and "Apache-2.0" in row and "Apache-2.0 §4(d)" in row


def test_cli_list_json_with_extra_rules(tmp_path):
    extra = write(tmp_path / "extra.yaml", """
        rules:
          - {id: mit/headers, title: t, when: {licenses: [MIT]}, check: headers,
             severity: warning, citation: MIT ¶2, summary: s, fix: f}
        """)
    result = run("list", "--format", "json", "--rules", str(extra), "--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema_version"] == 1
    by_id = {r["id"]: r for r in data["rules"]}
    assert by_id["mit/headers"]["obligation"]["severity"] == "warning"
    assert by_id["mit/headers"]["origin"] == f"{extra}:2"
    assert by_id["apache-2.0/notice"]["when"]["licenses"] == ["Apache-2.0"]
    assert any(c["upstream"] == "GPL-3.0-only" for c in data["compatibility"])


def test_cli_list_loads_the_projects_rule_files(tmp_path):
    write(tmp_path / "compliance/extra.yaml", """
        rules:
          - {id: ours/credit, title: t, check: credit, severity: error, citation: c,
             summary: s, fix: f}
        """)
    write(tmp_path / ".attrib.yaml", "rules: [compliance/extra.yaml]\n")
    result = run("list", "--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "ours/credit" in result.output


def test_cli_explain(tmp_path):
    result = run("explain", "apache-2.0/notice", "--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert out.startswith("apache-2.0/notice: NOTICE content carried")
    assert re.search(r"defined at: rules/apache-2\.0\.yaml:\d+", out)
    assert "citation: Apache-2.0 §4(d)" in out
    assert "must hold: If the upstream ships a NOTICE file" in out
    assert ("fix: Copy the upstream's NOTICE file content into your NOTICE file: {notice_file}"
            in out)


def test_cli_explain_compatibility_shows_the_table(tmp_path):
    result = run("explain", "compatibility/project-license", "--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert re.search(r"GPL-2\.0-only\s+-> GPL-2\.0-only, GPL-2\.0-or-later", result.output)


def test_cli_explain_unknown_rule_is_a_config_error(tmp_path):
    result = run("explain", "apache-2.0/notise", "--root", str(tmp_path))
    assert isinstance(result.exception, ConfigError)
    assert "did you mean 'apache-2.0/notice'" in str(result.exception)


def test_cli_validate(tmp_path):
    good = write(tmp_path / "good.yaml", RULE)
    bad = write(tmp_path / "bad.yaml", RULE.replace("severity: error", "severty: error"))
    config = write(tmp_path / ".attrib.yaml", "exclude: ['*.ipynb']\n")
    result = run("validate", str(good), str(config))
    assert result.exit_code == 0, result.output
    assert f"{good}: ok (1 rules)" in result.output
    assert f"{config}: ok (config)" in result.output
    result = run("validate", str(good), str(bad))
    assert result.exit_code == 2
    assert f"{good}: ok (1 rules)" in result.output
    assert f"{bad}:8: unknown key 'severty' in rule 'x/y'" in result.output


def test_cli_help_teaches_by_example():
    for args in ([], ["list"], ["explain"], ["validate"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Example" in result.output
