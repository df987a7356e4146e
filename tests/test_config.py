# SPDX-License-Identifier: Apache-2.0
"""The project config: .attrib.yaml and pyproject [tool.attrib] parse to the
dataclasses, mistakes are FILE:LINE errors, and resolutions apply where and
while they should."""
from __future__ import annotations

import datetime
import re
import textwrap
from pathlib import Path

import pytest

from attrib.config import (
    CREDIT_FILES,
    Config,
    DeclaredUpstream,
    Resolution,
    load_config,
    load_config_file,
)
from attrib.errors import ConfigError
from attrib.rules import load_rules

EXAMPLE = """\
upstreams:
  - name: MiniCPM-V
    location: https://github.com/OpenBMB/MiniCPM-V
    ref: main
    license: Apache-2.0
    artifacts: {weights: LicenseRef-MiniCPM-Model-License}
credit:
  files: [README.md, docs/CREDITS.md]
  severity: error
thresholds: {min_similarity: 0.6, min_lines: 5}
exclude: ["third_party/**", "*.min.js"]
rules: [compliance/extra-rules.yaml]
resolutions:
  - rule: apache-2.0/headers
    path: src/vision/resampler.py
    lines: 10-40
    reason: credited-elsewhere
    comment: the header moved to NOTICE, see PR 12
    expires: 2027-06-30
"""

PYPROJECT = """\
[project]
name = "demo"

[tool.attrib]
license = "mit"
exclude = ["third_party/**"]
credit = {severity = "error"}
thresholds = {min_lines = 5}

[[tool.attrib.upstreams]]
name = "MiniCPM-V"
license = "Apache-2.0"
artifacts = {weights = "LicenseRef-MiniCPM-Model-License"}

[[tool.attrib.resolutions]]
rule = "apache-2.0/headers"
path = "src/vision/resampler.py"
lines = "10-40"
reason = "credited-elsewhere"
expires = 2027-06-30

[[tool.attrib.resolutions]]
rule = "mit/headers"
path = "vendor/**"
reason = "not-distributed"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write(tmp_path / "compliance/extra-rules.yaml", "rules: []\n")
    return tmp_path


def test_the_example_parses_to_the_dataclasses(repo):
    write(repo / ".attrib.yaml", EXAMPLE)
    name = str(repo / ".attrib.yaml")
    assert load_config(repo) == Config(
        path=name,
        upstreams=(DeclaredUpstream("MiniCPM-V", "https://github.com/OpenBMB/MiniCPM-V", "main",
                                    "Apache-2.0", None,
                                    {"weights": "LicenseRef-MiniCPM-Model-License"}),),
        credit_files=("README.md", "docs/CREDITS.md"),
        credit_severity="error",
        rules=("compliance/extra-rules.yaml",),
        min_similarity=0.6,
        min_lines=5,
        exclude=("third_party/**", "*.min.js"),
        license=None,
        resolutions=(Resolution("apache-2.0/headers", "src/vision/resampler.py", (10, 40),
                                "credited-elsewhere", "the header moved to NOTICE, see PR 12",
                                datetime.date(2027, 6, 30), f"{name}:14"),),
    )


def test_the_module_docstring_example_is_the_tested_one():
    import attrib.config

    doc = attrib.config.__doc__
    for line in EXAMPLE.splitlines():
        assert line.strip() in doc, line


def test_rule_files_are_relative_to_the_config_and_load(repo):
    write(repo / ".attrib.yaml", EXAMPLE)
    config = load_config(repo)
    assert config.rule_files() == (repo / "compliance/extra-rules.yaml",)
    load_rules(config.rule_files())


def test_no_config_gives_the_defaults(tmp_path):
    config = load_config(tmp_path)
    assert config == Config(None)
    assert config.credit_files == CREDIT_FILES and config.credit_severity == "warning"
    assert config.resolution_for("x/y", "a.py", 1, 2, datetime.date(2025, 1, 1)) is None


def test_empty_file_and_yml_spelling(tmp_path):
    write(tmp_path / ".attrib.yml", "# nothing yet\n")
    assert load_config(tmp_path) == Config(str(tmp_path / ".attrib.yml"))


def test_spdx_is_normalised(tmp_path):
    write(tmp_path / ".attrib.yaml", "license: mit or apache-2.0\n"
                                     "upstreams: [{name: a, license: gpl-2.0+}]\n")
    config = load_config(tmp_path)
    assert config.license == "MIT OR Apache-2.0"
    assert config.upstreams[0].license == "GPL-2.0-or-later"


def test_pyproject_tool_attrib(tmp_path):
    write(tmp_path / "pyproject.toml", PYPROJECT)
    name = str(tmp_path / "pyproject.toml")
    config = load_config(tmp_path)
    assert config.path == name
    assert config.license == "MIT"
    assert config.exclude == ("third_party/**",)
    assert config.credit_severity == "error" and config.min_lines == 5
    assert config.upstreams == (DeclaredUpstream("MiniCPM-V", license="Apache-2.0", artifacts={
        "weights": "LicenseRef-MiniCPM-Model-License"}),)
    first, second = config.resolutions
    assert first == Resolution("apache-2.0/headers", "src/vision/resampler.py", (10, 40),
                               "credited-elsewhere", "", datetime.date(2027, 6, 30), f"{name}:16")
    assert second.origin == f"{name}:23" and second.lines is None


def test_pyproject_without_tool_attrib_gives_the_defaults(tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "attrib-demo"\n')
    assert load_config(tmp_path) == Config(None)
    assert load_config_file(tmp_path / "pyproject.toml") is None


def test_attrib_yaml_wins_over_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml", PYPROJECT)
    write(tmp_path / ".attrib.yaml", "exclude: ['*.ipynb']\n")
    assert load_config(tmp_path).exclude == ("*.ipynb",)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("old,new,line,message", [
    ("exclude:", "exlude:", 11, ("unknown key 'exlude' (expected one of: upstreams, credit, "
                                "thresholds, exclude, rules, license, resolutions)")),
    ("    comment:", "    coment:", 18, ("unknown key 'coment' in resolution #1 (expected one of: "
                                        "rule, path, reason, lines, comment, expires)")),
    ("reason: credited-elsewhere", "reason: we-asked-nicely", 17,
     ("bad value 'we-asked-nicely' for 'reason' in resolution #1 (expected one of: false-positive, "
      "credited-elsewhere, permission-granted, not-distributed, license-exception, "
      "upstream-is-ours)")),
    ("expires: 2027-06-30", "expires: 2027-13-45", 19,
     "bad value '2027-13-45' for 'expires' in resolution #1 (expected a date YYYY-MM-DD)"),
    ("expires: 2027-06-30", "expires: next summer", 19, "expected a date YYYY-MM-DD"),
    ("expires: 2027-06-30", "expires: 2027-06-30 12:00:00", 19,
     "bad value datetime.datetime(2027, 6, 30, 12, 0) for 'expires' in resolution #1"),
    ("license: Apache-2.0", "license: Apache 2.0 or", 5,
     ("bad value 'Apache 2.0 or' for 'license' in upstream 'MiniCPM-V' (not an SPDX licence "
      "expression")),
    ("license: Apache-2.0", "license: Apache-2", 5, "unknown SPDX licence id Apache-2"),
    ("{weights: LicenseRef", "{weigths: LicenseRef", 6,
     ("bad value 'weigths' for key 'weigths' of 'artifacts' in upstream 'MiniCPM-V' "
      "(expected one of: code, weights)")),
    ("lines: 10-40", "lines: 40-10", 16, "expected a line or a range START-END"),
    ("severity: error", "severity: fatal", 9,
     "bad value 'fatal' for 'severity' in 'credit' (expected one of: warning, error)"),
    ("min_similarity: 0.6", "min_similarity: 60", 10, "expected 0 to 1"),
    ("min_lines: 5", "min_lines: yes", 10,
     "'min_lines' in 'thresholds' must be an integer, not true/false"),
    ('"third_party/**"', '"/third_party/**"', 11, "relative to the repository root"),
    ("compliance/extra-rules.yaml]", "compliance/missing.yaml]", 12,
     "rule file 'compliance/missing.yaml' not found"),
    ("    reason: credited-elsewhere\n", "", 14, "missing required key 'reason' in resolution #1"),
    ("  - name: MiniCPM-V\n", "  - name: MiniCPM-V\n    ref: v1\n", 5,
     "duplicate key 'ref' (first at line 3)"),
    ("credit:\n", "credit: [\n", 9, "invalid YAML"),
])
def test_config_errors_name_file_and_line(repo, old, new, line, message):
    assert old in EXAMPLE
    path = write(repo / ".attrib.yaml", EXAMPLE.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(repo)
    text = str(err.value)
    assert text.startswith(f"{path}:{line}: "), text
    assert message in text
    assert "\n" not in text


def test_duplicate_upstream(tmp_path):
    path = write(tmp_path / ".attrib.yaml", "upstreams:\n  - name: a\n  - name: a\n")
    with pytest.raises(ConfigError,
                       match=rf"^{re.escape(str(path))}:3: upstream 'a' declared twice"):
        load_config(tmp_path)


@pytest.mark.parametrize("old,new,line,message", [
    ('reason = "not-distributed"', 'reason = "nope"', 25, ("bad value 'nope' for 'reason' in "
                                                          "resolution #2")),
    ("expires = 2027-06-30", 'expires = "soon"', 20, "expected a date YYYY-MM-DD"),
    ('license = "mit"', 'licence = "mit"', 5, "unknown key 'licence'"),
    ('license = "Apache-2.0"', 'license = "Apache-2"', 12,
     "unknown SPDX licence id Apache-2"),
    ("thresholds = {min_lines = 5}", "thresholds = {min_lines = 0}", 8,
     "bad value 0 for 'min_lines' in 'thresholds' (expected at least 1)"),
    ('path = "vendor/**"', 'path = "vendor/**', 24, "invalid TOML"),
])
def test_pyproject_errors_name_file_and_line(tmp_path, old, new, line, message):
    assert old in PYPROJECT
    path = write(tmp_path / "pyproject.toml", PYPROJECT.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value).startswith(f"{path}:{line}: "), str(err.value)
    assert message in str(err.value)


def test_resolutions_name_known_rules(repo):
    write(repo / ".attrib.yaml", EXAMPLE.replace("apache-2.0/headers", "apache-2.0/header"))
    config = load_config(repo)
    with pytest.raises(ConfigError, match=r"\.attrib\.yaml:14: unknown rule 'apache-2.0/header' in "
                                          r"resolution; did you mean 'apache-2.0/headers'\?"):
        config.check_rules(load_rules())
    write(repo / ".attrib.yaml", EXAMPLE)
    load_config(repo).check_rules(load_rules())


# ---------------------------------------------------------------- resolutions

TODAY = datetime.date(2026, 1, 15)


@pytest.fixture
def resolved(repo) -> Config:
    (repo / ".attrib.yaml").write_text(EXAMPLE + (
        "  - rule: mit/headers\n"
        "    path: vendor/**\n"
        "    reason: not-distributed\n"
        "  - rule: gpl-3.0/change-notice\n"
        "    path: ./src/old.py\n"
        "    lines: 7\n"
        "    reason: false-positive\n"
        "    expires: 2025-12-31\n"), encoding="utf-8")
    return load_config(repo)


@pytest.mark.parametrize("rule,path,start,end,today,expected", [
    ("apache-2.0/headers", "src/vision/resampler.py", 10, 40, TODAY, 0),
    ("apache-2.0/headers", "src/vision/resampler.py", 12, 20, TODAY, 0),
    ("apache-2.0/headers", "src/vision/resampler.py", 5, 20, TODAY, None),  # starts before
    ("apache-2.0/headers", "src/vision/resampler.py", 30, 41, TODAY, None),  # ends after
    ("apache-2.0/headers", "src/vision/other.py", 12, 20, TODAY, None),
    ("apache-2.0/notice", "src/vision/resampler.py", 12, 20, TODAY, None),  # another rule
    ("apache-2.0/headers", "src/vision/resampler.py", 12, 20, datetime.date(2027, 6, 30), 0),
    ("apache-2.0/headers", "src/vision/resampler.py", 12, 20, datetime.date(2027, 7, 1), None),
    ("mit/headers", "vendor/lib/x.py", 1, 900, TODAY, 1),  # glob, no lines: the whole file
    ("mit/headers", "src/x.py", 1, 2, TODAY, None),
    ("gpl-3.0/change-notice", "src/old.py", 7, 7, datetime.date(2025, 12, 31), 2),
    ("gpl-3.0/change-notice", "src/old.py", 7, 7, TODAY, None),  # expired
])
def test_resolution_for(resolved, rule, path, start, end, today, expected):
    got = resolved.resolution_for(rule, path, start, end, today)
    assert got is (None if expected is None else resolved.resolutions[expected])
