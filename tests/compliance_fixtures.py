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


# ---------------------------------------------------------------- issue 9: the patterns

# a day each: the upstream's commit, a fork of it, and the copy
UP_DAY, FORK_DAY, COPY_DAY, OLD_DAY = 1_672_531_200, 1_685_577_600, 1_704_067_200, 1_577_836_800
LATER_DAY = 1_735_689_600  # 2025: after the copy
# issue 17: authored in 2017, every commit committed again in 2024; the copy taken in 2018
AUTHORED_2017, REWRITTEN_2024, COPIED_2018 = 1_483_228_800, 1_717_200_000, 1_514_764_800
CHANGED = "# Changed for pooling, 2024.\n"  # a change notice (Apache-2.0 §4(b)) naming no one


@dataclass(frozen=True)
class Pattern:
    """The upstreams to index (name, path, url), the suspect, and each upstream's verdict."""

    upstreams: tuple[tuple[str, Path, str], ...]
    suspect: Path
    expected: dict[str, str]


def bare_upstream(root: Path, spdx: str = "Apache-2.0", name: str = UPSTREAM_NAME,
                  day: int = UP_DAY, author: str = "Upstream Dev") -> Path:
    """An upstream with nothing to carry: no NOTICE, no file headers (only its LICENSE)."""
    files = {"LICENSE": _holder(license_text(spdx)), "README.md": f"# {name}\n\nGrid utilities.\n",
             "gridlib/__init__.py": "", "gridlib/grid.py": body()}
    git_repo(root, [(files, f"{name} 1.0", day)], author=author)
    return root


def _suspect(tmp: Path, files: dict[str, str], day: int = COPY_DAY) -> Path:
    git_repo(tmp / "suspect", [(files, "initial import", day)], author="Copier")
    return tmp / "suspect"


def _one(tmp: Path, files: dict[str, str], verdict: str, spdx: str = "Apache-2.0",
         day: int = COPY_DAY) -> Pattern:
    up = bare_upstream(tmp / "upstream", spdx)
    return Pattern(((UPSTREAM_NAME, up, UPSTREAM_URL),), _suspect(tmp, files, day),
                   {UPSTREAM_NAME: verdict})


def _apache(readme: str, copy: str = CHANGED + COPY_PY, readme_path: str = "README.md") -> dict:
    return {"LICENSE": license_text("Apache-2.0"), readme_path: readme, "pool/pool.py": copy}


def uncredited_bare(tmp: Path) -> Pattern:
    """No LICENSE, no NOTICE, no header, no mention: the NOTICE and header checks hold only
    because the upstream has none."""
    return _one(tmp, {"README.md": "# pooling\n\nOur own pooling library.\n",
                      "pool/pool.py": COPY_PY}, "copy without credit")


def named_like_upstream(tmp: Path) -> Pattern:
    """The copier calls the project after its upstream: its title names itself, not a source."""
    files = _apache(f"# {UPSTREAM_NAME}\n\n{UPSTREAM_NAME} is a fast grid library.\n")
    files["pyproject.toml"] = f'[project]\nname = "{UPSTREAM_NAME}"\nversion = "2.0"\n'
    return _one(tmp, files, "copy without credit")


def other_implementations(tmp: Path) -> Pattern:
    """The upstream's URL among the alternatives is no credit."""
    return _one(tmp, _apache("# pooling\n\nFast pooling.\n\n## Other implementations\n\n"
                             f"- [{UPSTREAM_NAME}]({UPSTREAM_URL}): the classic one\n"
                             "- numgrid\n\n## Licence\n\nApache-2.0\n"), "copy without credit")


def substring_only(tmp: Path) -> Pattern:
    """The upstream's name inside a longer word names another thing."""
    return _one(tmp, _apache(f"# pooling\n\nBased on {UPSTREAM_NAME}x, our own grid kernel.\n"),
                "copy without credit")


def lowercase_readme(tmp: Path) -> Pattern:
    """A lower-case readme.md that credits is read."""
    return _one(tmp, _apache(f"# pooling\n\nAdapted from {UPSTREAM_NAME}, with pooling added.\n",
                             readme_path="readme.md"), "copy with credit")


def in_file_comment(tmp: Path) -> Pattern:
    """A credit comment inside the copied file credits that file."""
    return _one(tmp, _apache("# pooling\n\nFast pooling.\n",
                             f"# Adapted from {UPSTREAM_URL}\n" + CHANGED + COPY_PY),
                "copy with credit")


def docs_credit(tmp: Path) -> Pattern:
    """A Readme.rst that says nothing, and a credits page under docs/ that does."""
    files = _apache("pooling\n=======\n\nFast pooling.\n", readme_path="Readme.rst")
    files["docs/credits.md"] = f"# Credits\n\n- {UPSTREAM_NAME}: the grid code\n"
    return _one(tmp, files, "copy with credit")


def mit_copyright_replaced(tmp: Path) -> Pattern:
    """MIT with the copier's name in place of the upstream's holder: the credit removed."""
    return _one(tmp, {"LICENSE": _mit("Copyright 2024 Copier"),
                      "README.md": "# pooling\n\nFast pooling.\n", "pool/pool.py": COPY_PY},
                "copy without credit", "MIT")


def mit_notice_kept(tmp: Path) -> Pattern:
    """MIT with the upstream's copyright notice kept and no README line: the notice is the
    credit the licence asks for; the README line is advice, not an unmet obligation."""
    return _one(tmp, {"LICENSE": _mit(HOLDER), "README.md": "# pooling\n\nFast pooling.\n",
                      "pool/pool.py": COPY_PY}, "copy with credit", "MIT")


def mit_notice_carried(tmp: Path) -> Pattern:
    """MIT with the upstream's holder carried into the project's LICENSE under other years and
    punctuation ("Copyright 2023 Upstream Org" -> "Copyright (C) 2023-2024, Upstream Org"):
    the notice kept, as linux-list's fix was."""
    return _one(tmp, {"LICENSE": _mit("Copyright (C) 2023-2024, Upstream Org"),
                      "README.md": "# pooling\n\nFast pooling.\n", "pool/pool.py": COPY_PY},
                "copy with credit", "MIT")


AUTHORED = '"""\nCreated on Fri Apr 22 2016\n\n@author: jroe\n"""\n'


def _authored(tmp: Path, copy_author: str) -> Pattern:
    """An upstream whose file says "@author: jroe" in its docstring (its git author is another
    name), copied with that docstring as ``copy_author`` leaves it, no licence, no README line."""
    up = tmp / "upstream"
    files = {"LICENSE": _holder(license_text("MIT")), "README.md": "# gridlib\n",
             "gridlib/__init__.py": "", "gridlib/grid.py": AUTHORED + body()}
    git_repo(up, [(files, "gridlib 1.0", UP_DAY)], author="Upstream Dev")
    copy = AUTHORED.replace("jroe", copy_author) + COPY_PY
    suspect = _suspect(tmp, {"README.md": "# pooling\n\nFast pooling.\n", "pool/pool.py": copy})
    expected = "partial" if copy_author == "jroe" else "copy without credit"
    return Pattern(((UPSTREAM_NAME, up, UPSTREAM_URL),), suspect, {UPSTREAM_NAME: expected})


def author_line_kept(tmp: Path) -> Pattern:
    """The upstream file's "@author: jroe" kept atop the copy: its author is credited there
    (fingerprint-enhancement's vendored files); the MIT text is still missing."""
    return _authored(tmp, "jroe")


def author_line_replaced(tmp: Path) -> Pattern:
    """The same docstring with the copier's name in it: no credit."""
    return _authored(tmp, "copier")


def reauthored_history(tmp: Path) -> Pattern:
    """The upstream's tree committed again under the copier's name with the upstream's dates."""
    files = {"LICENSE": _mit("Copyright 2023 Copier"), "README.md": f"# {UPSTREAM_NAME}\n\n"
             "Grid utilities.\n", "gridlib/__init__.py": "", "gridlib/grid.py": body()}
    return _one(tmp, files, "copy without credit", "MIT", UP_DAY)


def older_suspect(tmp: Path) -> Pattern:
    """The scanned project had the code years before the upstream: it is the source."""
    return _one(tmp, {"README.md": "# pooling\n\nFast pooling.\n", "pool/pool.py": COPY_PY},
                "this repository had it first", day=OLD_DAY)


def upstream_edited_later(tmp: Path) -> Pattern:
    """The upstream had the file first and edited it after the copy was taken: its current
    version is younger than the copy, its file is not, so the copier is not acquitted."""
    up = bare_upstream(tmp / "upstream", day=UP_DAY)
    edited = body() + "\n\ndef grid_area(grid):\n    return len(grid) * len(grid[0])\n"
    git_repo(up, [({"gridlib/grid.py": edited}, "gridlib 1.1: grid_area", LATER_DAY)],
             author="Upstream Dev")
    return Pattern(((UPSTREAM_NAME, up, UPSTREAM_URL),),
                   _suspect(tmp, {"README.md": "# pooling\n\nFast pooling.\n",
                                  "pool/pool.py": COPY_PY}),
                   {UPSTREAM_NAME: "copy without credit"})


def backdated_copy(tmp: Path) -> Pattern:
    """A copy committed with dates set before its parent's: priority claimed, not shown."""
    up = bare_upstream(tmp / "upstream")
    suspect = tmp / "suspect"
    git_repo(suspect, [({"README.md": "# pooling\n\nFast pooling.\n"}, "start", COPY_DAY),
                       ({"pool/pool.py": COPY_PY}, "pooling", OLD_DAY)], author="Copier")
    return Pattern(((UPSTREAM_NAME, up, UPSTREAM_URL),), suspect,
                   {UPSTREAM_NAME: "copy without credit"})


def rewritten_upstream(tmp: Path) -> Pattern:
    """kjanko/python-fingerprint-recognition issue 17: the upstream's history was committed
    again years later (author dates kept, committer dates new), so by committer dates alone a
    copy taken in between looks older; its author dates say otherwise, and the copier is not
    acquitted: the credit decides."""
    up = tmp / "upstream"
    files = {"LICENSE": _holder(license_text("Apache-2.0")), "README.md": "# gridlib\n",
             "gridlib/__init__.py": "", "gridlib/grid.py": body()}
    git_repo(up, [(files, "gridlib 1.0", (AUTHORED_2017, REWRITTEN_2024))], author="Upstream Dev")
    return Pattern(((UPSTREAM_NAME, up, UPSTREAM_URL),),
                   _suspect(tmp, {"README.md": "# pooling\n\nFast pooling.\n",
                                  "pool/pool.py": COPY_PY}, day=COPIED_2018),
                   {UPSTREAM_NAME: "copy without credit"})


def author_backdated_copy(tmp: Path) -> Pattern:
    """A copy committed after the upstream with only its author date set earlier
    (``git commit --date``): git writes such commits (a rebase does), so no date is flagged,
    and the author date alone claims no priority."""
    up = bare_upstream(tmp / "upstream")
    suspect = tmp / "suspect"
    git_repo(suspect, [({"README.md": "# pooling\n\nFast pooling.\n", "pool/pool.py": COPY_PY},
                        "pooling", (OLD_DAY, COPY_DAY))], author="Copier")
    return Pattern(((UPSTREAM_NAME, up, UPSTREAM_URL),), suspect,
                   {UPSTREAM_NAME: "copy without credit"})


def shared_lineage(tmp: Path) -> Pattern:
    """A fork of gridlib is indexed too; the copy credits gridlib, the oldest."""
    up = bare_upstream(tmp / "upstream")
    fork = bare_upstream(tmp / "fork", name="gridfork", day=FORK_DAY, author="Fork Dev")
    files = _apache(f"# pooling\n\nThis project includes code from {UPSTREAM_NAME} "
                    f"({UPSTREAM_URL}).\n")
    return Pattern(((UPSTREAM_NAME, up, UPSTREAM_URL),
                    ("gridfork", fork, "https://example.org/fork-org/gridfork")),
                   _suspect(tmp, files), {UPSTREAM_NAME: "copy with credit",
                                          "gridfork": "shared lineage"})


PATTERNS = {"uncredited-bare": uncredited_bare, "named-like-upstream": named_like_upstream,
            "other-implementations": other_implementations, "substring-only": substring_only,
            "lowercase-readme": lowercase_readme, "in-file-comment": in_file_comment,
            "docs-credit": docs_credit,
            "mit-copyright-replaced": mit_copyright_replaced, "mit-notice-kept": mit_notice_kept,
            "mit-notice-carried": mit_notice_carried, "author-line-kept": author_line_kept,
            "author-line-replaced": author_line_replaced,
            "reauthored-history": reauthored_history, "older-suspect": older_suspect,
            "backdated-copy": backdated_copy, "upstream-edited-later": upstream_edited_later,
            "shared-lineage": shared_lineage, "rewritten-upstream": rewritten_upstream,
            "author-backdated-copy": author_backdated_copy}
