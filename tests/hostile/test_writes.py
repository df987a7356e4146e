# SPDX-License-Identifier: Apache-2.0
"""Writes a hostile tree cannot redirect, and failures that leave files as they were (issue 11).

``attrib notice`` once wrote through ``THIRD_PARTY_NOTICES.md.tmp`` and
``--fix-headers`` through ``<file>.attrib-<unix time>.tmp``; a tree that planted
those names as symlinks made the user overwrite any file they could write.  Each
case plants the trap next to a marker file outside the tree and checks the
marker is unchanged; output that cannot be written is one line, exit 2.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpers import COPY_PY, UPSTREAM_PY, write_tree

from .cli import attrib, one_line_error

MARKER = "the user's own file, which no attrib run may change\n"


@pytest.fixture
def case(tmp_path: Path) -> dict[str, Path]:
    """An index of ``grid``, a tree holding a disguised copy, and a marker outside the tree."""
    upstream = write_tree(tmp_path / "upstream", {"grid.py": UPSTREAM_PY})
    idx = tmp_path / "idx.sqlite"
    code, _, err = attrib("index", "add", str(upstream), "--name", "grid", "--license", "MIT",
                          "--index", str(idx), cwd=tmp_path)
    assert code == 0, err
    tree = write_tree(tmp_path / "tree", {"pool.py": COPY_PY})
    marker = tmp_path / "home" / ".bashrc"
    marker.parent.mkdir()
    marker.write_text(MARKER)
    return {"tmp": tmp_path, "idx": idx, "tree": tree, "marker": marker, "upstream": upstream}


def test_notice_does_not_follow_a_planted_tmp_symlink(case):
    planted = case["tree"] / "THIRD_PARTY_NOTICES.md.tmp"
    planted.symlink_to(case["marker"])
    code, _, err = attrib("notice", str(case["tree"]), "--index", str(case["idx"]),
                          cwd=case["tmp"])
    assert code == 0, err
    assert case["marker"].read_text() == MARKER
    written = case["tree"] / "THIRD_PARTY_NOTICES.md"
    assert not written.is_symlink() and "grid" in written.read_text()
    assert os.readlink(planted) == str(case["marker"])  # the trap itself left alone


def test_notice_refuses_a_target_that_is_a_symlink(case):
    (case["tree"] / "THIRD_PARTY_NOTICES.md").symlink_to(case["marker"])
    code, _, err = attrib("notice", str(case["tree"]), "--index", str(case["idx"]),
                          cwd=case["tmp"])
    assert "symbolic link" in one_line_error(code, err)
    assert case["marker"].read_text() == MARKER


def test_notice_leaves_no_temporary_file_behind(case):
    code, _, err = attrib("notice", str(case["tree"]), "--index", str(case["idx"]),
                          cwd=case["tmp"])
    assert code == 0, err
    assert sorted(p.name for p in case["tree"].iterdir()) == ["LICENSES",
                                                              "THIRD_PARTY_NOTICES.md",
                                                              "pool.py"]
    assert [p.name for p in (case["tree"] / "LICENSES").iterdir()] == ["MIT.txt"]


def test_notice_refuses_a_licenses_folder_that_is_a_symlink(case):
    (case["tree"] / "LICENSES").symlink_to(case["marker"].parent)
    code, _, err = attrib("notice", str(case["tree"]), "--index", str(case["idx"]),
                          cwd=case["tmp"])
    assert code == 2 and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]  # after "wrote THIRD_PARTY_NOTICES.md": one error line
    assert last.startswith("attrib: error: ") and "symbolic link" in last, err
    assert sorted(p.name for p in case["marker"].parent.iterdir()) == [".bashrc"]
    assert case["marker"].read_text() == MARKER


def test_fix_headers_does_not_follow_planted_time_named_symlinks(case):
    now = int(time.time())
    for t in range(now - 5, now + 120):  # every name the old code could pick in two minutes
        (case["tree"] / f"pool.py.attrib-{t}.tmp").symlink_to(case["marker"])
    code, _, err = attrib("notice", str(case["tree"]), "--index", str(case["idx"]),
                          "--fix-headers", cwd=case["tmp"])
    assert code == 0, err
    assert case["marker"].read_text() == MARKER
    assert "Copyright 2024 Example Org" in (case["tree"] / "pool.py").read_text()


def test_fix_headers_keeps_the_files_mode(case):
    pool = case["tree"] / "pool.py"
    pool.chmod(0o751)
    code, _, err = attrib("notice", str(case["tree"]), "--index", str(case["idx"]),
                          "--fix-headers", cwd=case["tmp"])
    assert code == 0, err
    assert "Copyright 2024 Example Org" in pool.read_text()
    assert pool.stat().st_mode & 0o777 == 0o751


def test_write_atomic_refuses_a_directory_symlinked_out_of_the_root(tmp_path):
    from attrib.errors import OutputError
    from attrib.safewrite import write_atomic

    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "pool.py").write_text(MARKER)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pkg").symlink_to(outside)
    with pytest.raises(OutputError, match="outside"):
        write_atomic(tree / "pkg" / "pool.py", b"# planted\n", root=tree)
    assert (outside / "pool.py").read_text() == MARKER


def test_output_does_not_follow_a_planted_tmp_symlink(case):
    planted = case["tmp"] / "report.json.tmp"
    planted.symlink_to(case["marker"])
    code, _, err = attrib("compare", str(case["tree"]), str(case["upstream"]), "--format",
                          "json", "-o", "report.json", cwd=case["tmp"])
    assert code in (0, 1), err
    assert case["marker"].read_text() == MARKER
    assert (case["tmp"] / "report.json").read_text().startswith("{")


def test_output_path_beyond_path_max_is_one_line(case):
    deep = "/".join(["d" * 200] * 25) + "/report.json"  # 5,000 characters
    code, _, err = attrib("compare", str(case["tree"]), str(case["upstream"]), "-o", deep,
                          cwd=case["tmp"])
    line = one_line_error(code, err)
    assert "cannot write" in line and len(line) < 400


def test_output_name_beyond_name_max_is_one_line(case):
    code, _, err = attrib("compare", str(case["tree"]), str(case["upstream"]), "-o",
                          "r" * 300 + ".json", cwd=case["tmp"])
    assert "cannot write" in one_line_error(code, err)


def test_output_into_a_missing_directory_is_one_line(case):
    code, _, err = attrib("compare", str(case["tree"]), str(case["upstream"]), "-o",
                          "no/such/dir/report.txt", cwd=case["tmp"])
    assert "cannot write" in one_line_error(code, err)


def test_output_onto_a_directory_is_one_line(case):
    (case["tmp"] / "out").mkdir()
    code, _, err = attrib("compare", str(case["tree"]), str(case["upstream"]), "-o", "out",
                          cwd=case["tmp"])
    assert "not a regular file" in one_line_error(code, err)


def test_output_on_a_full_disk_leaves_the_old_report(case):
    old = case["tmp"] / "report.txt"
    old.write_text("the previous report\n")
    code, _, err = attrib("compare", str(case["tree"]), str(case["upstream"]), "-o", str(old),
                          cwd=case["tmp"], fsize=1024)  # the report is several KB
    assert "cannot write" in one_line_error(code, err)
    assert old.read_text() == "the previous report\n"
    assert sorted(p.name for p in case["tmp"].iterdir() if "report" in p.name) == ["report.txt"]


def test_notice_on_a_full_disk_leaves_no_partial_file(case):
    code, _, err = attrib("notice", str(case["tree"]), "--index", str(case["idx"]),
                          cwd=case["tmp"], fsize=512)  # the MIT notice is over 1 KB
    assert "cannot write" in one_line_error(code, err)
    assert sorted(p.name for p in case["tree"].iterdir()) == ["pool.py"]
