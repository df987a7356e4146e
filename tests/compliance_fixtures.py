# SPDX-License-Identifier: Apache-2.0
"""The licence fixture suite: an upstream per licence, and the copies a reviewer meets.

For each licence: a compliant copy, a copy with the credit stripped, a copy
with only the LICENSE missing, a copy with the headers stripped, an
incompatible combination, and an honest fork; each a real git repository.
Used by tests/test_compliance.py and benchmarks/rules.py (which prints the
verdict table).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers import COPY_PY, UPSTREAM_PY, git_repo

UPSTREAM_NAME = "gridlib"
UPSTREAM_URL = "https://example.org/upstream-org/gridlib"
HOLDER = "Copyright 2023 Upstream Org"
NOTICE = "gridlib\nCopyright 2023 Upstream Org\n\nThis product includes software developed at Upstream Org.\n"
# licence -> a project licence it may not go into
# (MPL-2.0 has none: its copyleft stays with its files, §3.3, and GPL/LGPL are its secondary
# licences; MIT, BSD and ISC code may go anywhere.)
INCOMPATIBLE = {"Apache-2.0": "GPL-2.0-only", "GPL-3.0-only": "MIT", "GPL-2.0-only": "Apache-2.0",
                "AGPL-3.0-only": "MIT", "LGPL-2.1-only": "MIT", "GPL-3.0-or-later": "MIT",
                "LGPL-3.0-only": "Apache-2.0"}
CASES = ("compliant", "credit-stripped", "license-missing", "headers-stripped", "incompatible",
         "honest-fork")
# what a licence-compliance reviewer would say of each case
EXPECTED = {"compliant": "copy with credit", "credit-stripped": "copy without credit",
            "license-missing": "partial", "headers-stripped": "partial",
            "incompatible": "partial", "honest-fork": "copy with credit"}
NO_OBLIGATION = ("Unlicense", "CC0-1.0", "0BSD")


def license_text(spdx: str) -> str:
    from attrib.notices import license_text as shipped

    text = shipped(spdx)
    assert text, f"attrib ships no reference text for {spdx}"
    return text


def header(spdx: str) -> str:
    return f"# {HOLDER}\n# SPDX-License-Identifier: {spdx}\n"


def body() -> str:
    return UPSTREAM_PY.split("\n", 2)[2]  # the shared upstream code, without its own header


def upstream_repo(root: Path, spdx: str) -> Path:
    files = {"LICENSE": _holder(license_text(spdx)), "README.md": "# gridlib\n\nGrid utilities.\n",
             "gridlib/__init__.py": "", "gridlib/grid.py": header(spdx) + body()}
    if spdx == "Apache-2.0":
        files["NOTICE"] = NOTICE
    git_repo(root, [(files, "gridlib 1.0", 1_672_531_200)], author="Upstream Dev")
    return root


def copy_files(spdx: str, case: str) -> dict[str, str]:
    """The suspect tree of one case (before it is committed)."""
    project = INCOMPATIBLE.get(spdx, "MIT") if case == "incompatible" else spdx
    credit = (f"# pooling\n\nThis project includes code from {UPSTREAM_NAME} "
              f"({UPSTREAM_URL}), licensed under {spdx}.\n")
    copy = header(spdx) + f"# Modified from {UPSTREAM_NAME} by Copier, 2024.\n" + COPY_PY
    files = {"LICENSE": _holder(license_text(spdx)), "README.md": credit, "pool/pool.py": copy}
    if spdx == "Apache-2.0":
        files["NOTICE"] = "pooling\nCopyright 2024 Copier\n\n" + NOTICE
    if project != spdx:  # the project's own licence; the upstream's text rides along
        files["LICENSE"] = license_text(project)
        files["LICENSES/" + spdx + ".txt"] = license_text(spdx)
    if case == "credit-stripped":
        files = {"LICENSE": _mit("Copyright 2024 Copier"), "README.md": "# pooling\n\nOur own "
                 "pooling library, built from scratch.\n", "pool/pool.py": COPY_PY}
    elif case == "license-missing":
        del files["LICENSE"]
    elif case == "headers-stripped":
        files["pool/pool.py"] = COPY_PY
    return files


def _mit(holder: str) -> str:
    return _holder(license_text("MIT"), holder)


def _holder(text: str, holder: str = HOLDER) -> str:
    """A licence text with its copyright line filled in, as projects ship it."""
    lines = [ln for ln in text.splitlines() if not ln.lower().startswith("copyright (c) <")]
    if "<year>" in text or "<copyright holders>" in text.lower() or "[year]" in text:
        return holder + "\n\n" + "\n".join(lines) + "\n"
    return text if "apache license" in text.lower() or "gnu" in text.lower() \
        or "mozilla" in text.lower() else holder + "\n\n" + text


@dataclass(frozen=True)
class Built:
    upstream: Path
    suspect: Path


def build_case(tmp: Path, spdx: str, case: str) -> Built:
    """The upstream repository and the suspect repository of one case."""
    up = upstream_repo(tmp / "upstream", spdx)
    suspect = tmp / "suspect"
    if case == "honest-fork":
        import git

        git.Repo.clone_from(str(up), str(suspect))
        git_repo(suspect, [({"README.md": "# gridlib (fork)\n\nA fork of gridlib "
                                          f"({UPSTREAM_URL}).\n", "gridlib/extra.py": "X = 1\n"},
                            "fork: extras", 1_704_067_200)], author="Forker")
    else:
        git_repo(suspect, [(copy_files(spdx, case), "initial import", 1_704_067_200)],
                 author="Copier")
    return Built(up, suspect)
