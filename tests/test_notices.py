# SPDX-License-Identifier: Apache-2.0
"""``attrib notice --fix-headers`` follows the REUSE Specification 3.3 (issue 12 item 6).

A real git project in tmp_path, the real ``reuse lint`` (the ``reuse`` package of the
``test`` extra), and attrib's command line.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance_fixtures import UPSTREAM_NAME, body, license_text, upstream_repo
from helpers import COPY_PY, git_repo

from attrib.fixheaders import Wanted, and_terms, rewrite

TAG = "SPDX-License-" + "Identifier:"  # in halves: REUSE reads this file too
COPYRIGHT = "SPDX-File" + "CopyrightText:"
REUSE = shutil.which("reuse") or str(Path(sys.executable).parent / "reuse")
needs_reuse = pytest.mark.skipif(not Path(REUSE).exists(),
                                 reason="reuse is not installed (pip install -e '.[test]')")


def attrib(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd)


def reuse_lint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([REUSE, "--root", str(project), "lint"], capture_output=True,
                          text=True, cwd=project)


def compliant_project(root: Path, extra: dict[str, str]) -> Path:
    """A project that passes ``reuse lint`` on its own, then copies code in ``extra``."""
    own = f"# {COPYRIGHT} 2024 Copier\n# {TAG} MIT\n"
    files = {"LICENSES/MIT.txt": license_text("MIT"),
             "README.md": f"<!-- {COPYRIGHT} 2024 Copier -->\n<!-- {TAG} MIT -->\n# pooling\n",
             "pool/__init__.py": own, **extra}
    git_repo(root, [(files, "pooling", 1_704_067_200)], author="Copier")
    return root


def copied_project(tmp_path: Path) -> tuple[Path, Path]:
    upstream = upstream_repo(tmp_path / "upstream", "Apache-2.0")  # a local path, no remote
    project = compliant_project(tmp_path / "project", {
        # the copier kept their own MIT header: the copy must say MIT AND Apache-2.0 in one line
        "pool/pool.py": f"# {TAG} MIT\n# {COPYRIGHT} 2024 Copier\n" + COPY_PY,
        # a copy with no header at all: it gets the project's and the upstream's licences
        "pool/grid_copy.py": body()})
    return upstream, project


def index(tmp_path: Path, upstream: Path, *extra: str) -> str:
    idx = str(tmp_path / "idx.sqlite")
    done = attrib("index", "add", str(upstream), "--name", UPSTREAM_NAME, "--index", idx, *extra,
                  cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return idx


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


@needs_reuse
def test_reuse_lint_passes_after_fix_headers_and_a_second_run_changes_nothing(tmp_path):
    upstream, project = copied_project(tmp_path)
    assert reuse_lint(project).returncode != 0  # the headerless copy: not compliant before
    idx = index(tmp_path, upstream)
    done = attrib("notice", ".", "--index", idx, "--fix-headers", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "licence text written: LICENSES/Apache-2.0.txt" in done.stderr
    assert (project / "LICENSES" / "Apache-2.0.txt").read_text() == license_text("Apache-2.0")
    linted = reuse_lint(project)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    before = tree_bytes(project)
    again = attrib("notice", ".", "--index", idx, "--fix-headers", cwd=project)
    assert again.returncode == 0, again.stderr
    assert tree_bytes(project) == before
    assert "header restored" not in again.stderr and "written" not in again.stderr
    # and the copy now complies with the upstream's licence
    scanned = attrib("scan", ".", "--index", idx, "--format", "json", cwd=project)
    assert '"copy with credit"' in scanned.stdout, scanned.stdout[-2000:]


def test_one_identifier_line_holding_one_expression_and_the_kept_copyright(tmp_path):
    upstream, project = copied_project(tmp_path)
    idx = index(tmp_path, upstream)
    assert attrib("notice", ".", "--index", idx, "--fix-headers", cwd=project).returncode == 0
    copy = (project / "pool" / "pool.py").read_text()
    assert [ln for ln in copy.splitlines() if TAG in ln] == [f"# {TAG} MIT AND Apache-2.0"]
    assert f"# {COPYRIGHT} Copyright 2023 Upstream Org" in copy.splitlines()
    assert f"# {COPYRIGHT} 2024 Copier" in copy  # the copier's own notice stays
    headerless = (project / "pool" / "grid_copy.py").read_text()
    assert [ln for ln in headerless.splitlines() if TAG in ln] == [f"# {TAG} MIT AND Apache-2.0"]


def test_no_path_of_this_machine_is_written(tmp_path):
    upstream, project = copied_project(tmp_path)
    idx = index(tmp_path, upstream)  # indexed from a local path: no URL known
    assert attrib("notice", ".", "--index", idx, "--fix-headers", cwd=project).returncode == 0
    written = {k: v.decode() for k, v in tree_bytes(project).items() if k.endswith((".py", ".md"))}
    for rel, text in written.items():
        assert str(tmp_path) not in text and str(upstream) not in text, rel
    assert f"Modified from {UPSTREAM_NAME}, gridlib/grid.py." in written["pool/pool.py"]


def test_the_upstream_url_is_written_without_its_credentials(tmp_path):
    upstream, project = copied_project(tmp_path)
    idx = index(tmp_path, upstream, "--url", "https://bot:s3cret@example.org/up/gridlib.git")
    assert attrib("notice", ".", "--index", idx, "--fix-headers", cwd=project).returncode == 0
    notices = (project / "THIRD_PARTY_NOTICES.md").read_text()
    copy = (project / "pool" / "pool.py").read_text()
    assert "- Source: https://example.org/up/gridlib.git" in notices
    assert f"Modified from {UPSTREAM_NAME} (https://example.org/up/gridlib.git)" in copy
    assert "s3cret" not in notices + copy


def test_two_identifier_lines_left_by_an_older_attrib_become_one():
    text = f"# {TAG} Apache-2.0\n# {TAG} MIT\nimport os\n"
    new, problem = rewrite(text, Wanted(licenses=["Apache-2.0"]), "# ", None)
    assert problem is None and new == f"# {TAG} Apache-2.0 AND MIT\nimport os\n"


@pytest.mark.parametrize("text, prefix, expected", [
    # a shebang and a PEP 263 coding line stay on top
    ("#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nx = 1\n", "# ",
     f"#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# {COPYRIGHT} Copyright 2023 Up\n"
     f"# {TAG} Apache-2.0\nx = 1\n"),
    # a C block comment keeps its closing marker; CRLF stays CRLF
    (f"/* {TAG} MIT */\r\nint x;\r\n", "// ",
     f"// {COPYRIGHT} Copyright 2023 Up\r\n/* {TAG} MIT AND Apache-2.0 */\r\nint x;\r\n"),
])
def test_header_placement(text, prefix, expected):
    want = Wanted(copyrights=["Copyright 2023 Up"], licenses=["Apache-2.0"])
    new, problem = rewrite(text, want, prefix, None)
    assert problem is None and new == expected
    assert rewrite(new, want, prefix, None) == (None, None)  # twice: nothing more


def test_an_invalid_expression_is_refused_not_guessed():
    new, problem = rewrite(f"# {TAG} Not A Licence\n", Wanted(licenses=["MIT"]), "# ", None)
    assert new is None and "not a valid SPDX expression" in problem


@pytest.mark.parametrize("expression, terms", [
    ("MIT", ["MIT"]), ("MIT AND Apache-2.0", ["MIT", "Apache-2.0"]),
    ("(MIT OR Apache-2.0) AND BSD-3-Clause", ["(MIT OR Apache-2.0)", "BSD-3-Clause"]),
    ("MIT OR Apache-2.0", ["MIT OR Apache-2.0"]),
])
def test_and_terms(expression, terms):
    assert and_terms(expression) == terms


def test_a_file_it_cannot_fix_is_one_line_and_exit_2_after_the_rest(tmp_path):
    upstream, project = copied_project(tmp_path)
    pool = project / "pool" / "pool.py"
    pool.write_text(pool.read_text().replace(f"{TAG} MIT", f"{TAG} MIT AND AND"))
    idx = index(tmp_path, upstream)
    done = attrib("notice", ".", "--index", idx, "--fix-headers", cwd=project)
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("attrib: error:")]
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert errors == ["attrib: error: header not restored: pool/pool.py: its "
                      f"{TAG} 'MIT AND AND' is not a valid SPDX expression: fix it by hand"]
    assert "header restored: pool/grid_copy.py" in done.stderr  # the rest was done
    assert (project / "THIRD_PARTY_NOTICES.md").is_file()
