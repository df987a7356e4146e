# SPDX-License-Identifier: Apache-2.0
"""Configuration is trusted only from the project the user runs in (issues 11 and 12).

A scanned tree is data: its .attrib.yaml never configures its own scan.  The
project's config is found from the current directory up to the git root (or
named with --config); files it names must stay in the project; and the loader
answers any text with a Config or one FILE:LINE error, exit 2, never a crash.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import COPY_PY, UPSTREAM_PY, write_tree

from .cli import attrib, one_line_error

OUTSIDE_MARKER = "OUTSIDE-THE-TREE-7f3a"


def git_init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


@pytest.fixture
def index(tmp_path: Path) -> str:
    """An index holding the made-up upstream ``grid``."""
    upstream = write_tree(tmp_path / "upstream", {"grid.py": UPSTREAM_PY})
    idx = str(tmp_path / "idx.sqlite")
    code, _, err = attrib("index", "add", str(upstream), "--name", "grid", "--index", idx,
                          cwd=tmp_path)
    assert code == 0, err
    return idx


# ---- a scanned tree is data -------------------------------------------------------------

def test_scan_ignores_the_scanned_trees_exclude_everything(tmp_path, index):
    hostile = write_tree(tmp_path / "hostile", {"pool.py": COPY_PY,
                                                ".attrib.yaml": 'exclude: ["**"]\n'})
    user = tmp_path / "user"
    user.mkdir()
    code, out, err = attrib("scan", str(hostile), "--index", index, "--format", "json",
                            cwd=user)
    assert code in (0, 1), err
    assert json.loads(out)["matches"]  # the copy is found: the tree's exclude was not obeyed


def test_compare_ignores_the_suspects_config(tmp_path):
    suspect = write_tree(tmp_path / "suspect", {"pool.py": COPY_PY,
                                                ".attrib.yaml": 'exclude: ["**"]\n'})
    upstream = write_tree(tmp_path / "upstream", {"grid.py": UPSTREAM_PY})
    code, out, err = attrib("compare", str(suspect), str(upstream), "--format", "json",
                            cwd=tmp_path)
    assert code in (0, 1), err
    assert json.loads(out)["matches"]


def test_scan_ignores_the_scanned_trees_broken_config(tmp_path, index):
    hostile = write_tree(tmp_path / "hostile", {"pool.py": COPY_PY,
                                                ".attrib.yaml": "exclude: [unclosed\n"})
    code, _, err = attrib("scan", str(hostile), "--index", index, cwd=tmp_path)
    assert code in (0, 1) and ".attrib.yaml" not in err, err


# ---- where the project's config is found ------------------------------------------------

def _project(tmp_path: Path) -> Path:
    """A git repository whose root .attrib.yaml declares an upstream kept inside it."""
    root = git_init(tmp_path / "project")
    write_tree(root, {"third_party/grid/grid.py": UPSTREAM_PY, "pkg/pool.py": COPY_PY,
                      ".attrib.yaml": "upstreams:\n  - name: grid\n"
                                      "    location: third_party/grid\n    license: MIT\n"})
    return root


def test_scan_of_a_subdirectory_uses_the_repository_roots_config(tmp_path):
    root = _project(tmp_path)
    code, out, err = attrib("scan", "pkg", "--no-rules", cwd=root,
                            env={"ATTRIB_CACHE": str(tmp_path / "cache")})
    assert code == 1, err  # not "no index here": the root's upstreams were indexed
    assert "grid" in out


def test_config_is_found_from_a_subdirectory_up_to_the_git_root(tmp_path):
    root = _project(tmp_path)
    code, out, err = attrib("scan", ".", "--no-rules", cwd=root / "pkg",
                            env={"ATTRIB_CACHE": str(tmp_path / "cache")})
    assert code == 1, err
    assert "grid" in out


def test_config_above_the_git_root_is_not_read(tmp_path, index):
    write_tree(tmp_path, {".attrib.yaml": 'exclude: ["**"]\n'})  # /tmp's, nobody's project
    repo = git_init(tmp_path / "repo")
    write_tree(repo, {"pool.py": COPY_PY})
    code, _, err = attrib("scan", ".", "--index", index, "--no-rules", cwd=repo)
    assert code == 1, err


def test_config_outside_a_git_repository_is_only_the_current_directorys(tmp_path, index):
    write_tree(tmp_path, {".attrib.yaml": "exclude: [unclosed\n"})
    work = write_tree(tmp_path / "work", {"pool.py": COPY_PY})
    code, _, err = attrib("scan", ".", "--index", index, cwd=work)
    assert code in (0, 1), err


def test_config_option_names_the_file_to_use(tmp_path, index):
    tree = write_tree(tmp_path / "tree", {"pool.py": COPY_PY})
    config = write_tree(tmp_path, {"mine.yaml": 'exclude: ["**"]\n'}) / "mine.yaml"
    code, out, err = attrib("scan", str(tree), "--index", index, "--config", str(config),
                            cwd=tmp_path / "tree")
    assert code == 0, err


def test_config_option_with_a_broken_file_names_it(tmp_path, index):
    config = write_tree(tmp_path, {"mine.yaml": "exclude: [unclosed\n"}) / "mine.yaml"
    code, _, err = attrib("scan", ".", "--index", index, "--config", str(config), cwd=tmp_path)
    assert "mine.yaml:" in one_line_error(code, err)


# ---- files a config names stay in the project -------------------------------------------

def _outside(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "elsewhere" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_symlinked_config_out_of_the_tree_is_refused(tmp_path, index):
    repo = git_init(tmp_path / "repo")
    target = _outside(tmp_path, "private.yaml", f"exclude: [{OUTSIDE_MARKER}]\n")
    (repo / ".attrib.yaml").symlink_to(target)
    code, out, err = attrib("scan", ".", "--index", index, cwd=repo)
    line = one_line_error(code, err)
    assert "outside the project" in line and OUTSIDE_MARKER not in out + err


def test_symlinked_pyproject_out_of_the_tree_is_refused(tmp_path, index):
    repo = git_init(tmp_path / "repo")
    target = _outside(tmp_path, "pyproject.toml",
                      f'[tool.attrib]\nexclude = ["{OUTSIDE_MARKER}"]\n')
    (repo / "pyproject.toml").symlink_to(target)
    code, out, err = attrib("scan", ".", "--index", index, cwd=repo)
    assert "outside the project" in one_line_error(code, err)
    assert OUTSIDE_MARKER not in out + err


def test_rules_path_with_dotdot_is_refused(tmp_path, index):
    repo = git_init(tmp_path / "repo")
    _outside(tmp_path, "rules.yaml", f"rules: []\n# {OUTSIDE_MARKER}\n")
    write_tree(repo, {".attrib.yaml": "rules: [../elsewhere/rules.yaml]\n"})
    code, out, err = attrib("scan", ".", "--index", index, cwd=repo)
    line = one_line_error(code, err)
    assert ".attrib.yaml:1" in line and "outside the project" in line


def test_symlinked_rules_file_out_of_the_tree_is_refused(tmp_path, index):
    repo = git_init(tmp_path / "repo")
    target = _outside(tmp_path, "rules.yaml", "rules: []\n")
    (repo / "compliance").mkdir()
    (repo / "compliance" / "extra.yaml").symlink_to(target)
    write_tree(repo, {".attrib.yaml": "rules: [compliance/extra.yaml]\n"})
    code, _, err = attrib("scan", ".", "--index", index, cwd=repo)
    assert "outside the project" in one_line_error(code, err)


def test_rules_list_refuses_a_rules_path_out_of_the_tree(tmp_path):
    repo = git_init(tmp_path / "repo")
    _outside(tmp_path, "rules.yaml", "rules: []\n")
    write_tree(repo, {".attrib.yaml": "rules: [../elsewhere/rules.yaml]\n"})
    code, _, err = attrib("rules", "list", "--root", str(repo), cwd=tmp_path)
    assert "outside the project" in one_line_error(code, err)


def test_declared_upstream_path_outside_the_project_is_refused(tmp_path):
    repo = git_init(tmp_path / "repo")
    write_tree(tmp_path / "elsewhere", {"grid.py": UPSTREAM_PY})
    write_tree(repo, {"pool.py": COPY_PY, ".attrib.yaml":
                      "upstreams:\n  - name: grid\n    location: ../elsewhere\n"})
    code, _, err = attrib("scan", ".", cwd=repo, env={"ATTRIB_CACHE": str(tmp_path / "c")})
    line = one_line_error(code, err)
    assert ".attrib.yaml:2" in line and "--allow-outside-paths" in line
    cache = tmp_path / "c"  # nothing was indexed or parsed (checked rule licences may be kept)
    assert not cache.exists() or {p.name for p in cache.iterdir()} <= {
        p.name for p in cache.glob("spdx-*.json")}


def test_declared_upstream_path_outside_is_indexed_with_the_flag(tmp_path):
    repo = git_init(tmp_path / "repo")
    write_tree(tmp_path / "elsewhere", {"grid.py": UPSTREAM_PY})
    write_tree(repo, {"pool.py": COPY_PY, ".attrib.yaml":
                      "upstreams:\n  - name: grid\n    location: ../elsewhere\n"})
    code, out, err = attrib("scan", ".", "--no-rules", "--allow-outside-paths", cwd=repo,
                            env={"ATTRIB_CACHE": str(tmp_path / "c")})
    assert code == 1, err
    assert "grid" in out


# ---- the loader: one FILE:LINE error for any text ---------------------------------------

LAUGHS = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else 'lol'}]\n"
                 for i in range(9))
YAML_CASES = {
    "int-tag-on-empty": ("thresholds:\n  min_lines: !!int ''\n", 2),
    "timestamp-tag-on-a-word": ("resolutions:\n  - rule: mit/headers\n    path: a.py\n"
                                "    reason: false-positive\n    expires: !!timestamp soon\n", 5),
    "set-tag": ("exclude: !!set {a.py, b.py}\n", 1),
    "python-object-tag": ("exclude: !!python/object/apply:os.system ['touch pwned']\n", 1),
    "python-name-tag": ("license: !!python/name:os.system ''\n", 1),
    "binary-tag": ("license: !!binary TUlU\n", 1),
    "nan-threshold": ("thresholds: {min_similarity: .nan}\n", 1),
    "inf-threshold": ("thresholds: {min_similarity: .inf}\n", 1),
    "integer-of-5000-digits": ("thresholds:\n  min_lines: " + "7" * 5000 + "\n", 2),
    "nested-100000-deep": ("exclude: " + "[" * 100_000 + "]" * 100_000 + "\n", 1),
    "mappings-nested-1000-deep": ("a: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n", 1),
    "billion-laughs": (LAUGHS, None),
    "top-level-list": ("- exclude\n- rules\n", 1),
    "top-level-string": ("just words\n", 1),
    "merge-key": ("base: &b {min_lines: 3}\nthresholds:\n  <<: *b\n", 3),
    "control-character": ("exclude: [\x07]\n", 1),
}


@pytest.mark.parametrize("text,line", YAML_CASES.values(), ids=YAML_CASES.keys())
def test_yaml_config_mistake_is_one_line_with_file_and_line(tmp_path, text, line):
    repo = git_init(tmp_path / "repo")
    (repo / ".attrib.yaml").write_text(text, encoding="utf-8")
    code, _, err = attrib("scan", ".", "--index", str(tmp_path / "none.sqlite"), cwd=repo)
    error = one_line_error(code, err)
    assert f".attrib.yaml:{line if line else ''}" in error
    assert len(error) < 400 and "pwned" not in os.listdir(repo)


TOML_CASES = {
    "integer-of-5000-digits": "[tool.attrib]\nthresholds = {min_lines = " + "7" * 5000 + "}\n",
    "arrays-nested-100000-deep": "[tool.attrib]\nexclude = " + "[" * 100_000 + "]" * 100_000,
    "tables-nested-5000-deep": "[tool.attrib]\nexclude = " + "{a = " * 5000 + "1" + "}" * 5000,
    "nan-threshold": "[tool.attrib]\nthresholds = {min_similarity = nan}\n",
    "inf-threshold": "[tool.attrib]\nthresholds = {min_similarity = inf}\n",
    "attrib-not-a-table": "[tool]\nattrib = [1, 2]\n",
    "datetime-for-a-date": ("[[tool.attrib.resolutions]]\nrule = 'mit/headers'\npath = 'a.py'\n"
                            "reason = 'false-positive'\nexpires = 2027-06-30T10:00:00\n"),
}


@pytest.mark.parametrize("text", TOML_CASES.values(), ids=TOML_CASES.keys())
def test_pyproject_mistake_is_one_line_with_file_and_line(tmp_path, text):
    repo = git_init(tmp_path / "repo")
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")
    code, _, err = attrib("scan", ".", "--index", str(tmp_path / "none.sqlite"), cwd=repo)
    error = one_line_error(code, err)
    assert "pyproject.toml:" in error and len(error) < 400


def test_config_that_is_a_fifo_is_refused_not_waited_on(tmp_path):
    repo = git_init(tmp_path / "repo")
    os.mkfifo(repo / ".attrib.yaml")
    code, _, err = attrib("scan", ".", "--index", str(tmp_path / "none.sqlite"), cwd=repo)
    assert "not a regular file" in one_line_error(code, err)


def test_config_of_5_mb_is_refused(tmp_path):
    repo = git_init(tmp_path / "repo")
    (repo / ".attrib.yaml").write_text("# filler\n" * 600_000, encoding="utf-8")
    code, _, err = attrib("scan", ".", "--index", str(tmp_path / "none.sqlite"), cwd=repo)
    assert "more than a config or rule file may have" in one_line_error(code, err)


RULE_CASES = {
    "python-tag": "rules: !!python/object/apply:os.system ['touch pwned']\n",
    "nested-deep": "rules: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "int-tag-on-empty": ("rules:\n  - id: x/y\n    title: t\n    check: notice\n"
                         "    severity: error\n    citation: c\n    summary: s\n    fix: f\n"
                         "    when: {min_lines: !!int ''}\n"),
    "top-level-list": "- rules\n",
}


@pytest.mark.parametrize("text", RULE_CASES.values(), ids=RULE_CASES.keys())
def test_rule_file_mistake_is_one_line_with_file_and_line(tmp_path, text):
    (tmp_path / "extra.yaml").write_text(text, encoding="utf-8")
    code, _, err = attrib("rules", "validate", "extra.yaml", cwd=tmp_path)
    assert code == 2 and err.strip().startswith("extra.yaml:"), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "pwned" not in os.listdir(tmp_path)


def test_loader_contract_is_a_config_or_a_config_error():
    """What the fuzz targets rely on: parse_config raises ConfigError and nothing else."""
    from attrib.config import Config, parse_config
    from attrib.errors import ConfigError

    texts = [*(t for t, _ in YAML_CASES.values()), "", "\ufeff", "{", "? ? ?", "- - -",
             "a: !!str\n", "thresholds: {min_lines: !!float 1e400}\n", "upstreams: [{}]\n"]
    for text in texts:
        try:
            assert isinstance(parse_config(text, ".attrib.yaml"), Config)
        except ConfigError as exc:
            assert str(exc).startswith(".attrib.yaml:") and "\n" not in str(exc)
    for text in TOML_CASES.values():
        with pytest.raises(ConfigError, match=r"^pyproject\.toml:\d+: "):
            parse_config(text, "pyproject.toml")
