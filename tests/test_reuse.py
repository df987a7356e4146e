# SPDX-License-Identifier: Apache-2.0
"""attrib passes the real ``reuse lint`` on this repository (issue 12 item 6).

The REUSE annotations must also be true: the bundled examples are fiction written
for attrib, so the MIT claim of the disguised copy and the "Example Org" of the
fictional upstream are not what REUSE reports for them.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REUSE = shutil.which("reuse") or str(Path(sys.executable).parent / "reuse")
pytestmark = [
    pytest.mark.skipif(not Path(REUSE).exists(),
                       reason="reuse is not installed (pip install -e '.[test]')"),
    pytest.mark.skipif(not (ROOT / ".git").exists(),
                       reason="not a git checkout: reuse lint needs git to honour .gitignore"),
]


@pytest.fixture(scope="module")
def lint() -> dict:
    done = subprocess.run([REUSE, "--root", str(ROOT), "lint", "--json"], capture_output=True,
                          text=True, cwd=ROOT)
    report = json.loads(done.stdout)
    report["returncode"] = done.returncode
    return report


def test_attrib_passes_reuse_lint(lint):
    bad = {k: v for k, v in lint["non_compliant"].items() if v}
    assert lint["returncode"] == 0 and lint["summary"]["compliant"], bad


def expressions(lint: dict, path: str) -> set[str]:
    [entry] = [f for f in lint["files"] if f["path"] == path]
    return {e["value"] for e in entry["spdx_expressions"]}


def copyrights(lint: dict, path: str) -> set[str]:
    [entry] = [f for f in lint["files"] if f["path"] == path]
    return {c["value"] for c in entry["copyrights"]}


def test_the_examples_are_annotated_as_what_they_are(lint):
    # the disguised copy says MIT: a false claim by its fictional copier, not its licence
    assert expressions(lint, "examples/llama3v/llama3v/model.py") == {"Apache-2.0"}
    assert not any("Example Org" in c for c in copyrights(lint, "examples/minicpmv/minicpmv/"
                                                                "resampler.py"))
    assert expressions(lint, "examples/minicpmv/NOTICE") == {"Apache-2.0"}


def test_shipped_licence_texts_are_not_claimed_as_attribs(lint):
    assert expressions(lint, "attrib/data/licenses/GPL-3.0.txt") == {"LicenseRef-Licence-Texts"}
    assert any("Free Software Foundation" in c
               for c in copyrights(lint, "attrib/data/licenses/GPL-3.0.txt"))
