# SPDX-License-Identifier: Apache-2.0
"""Sources: directories and git trees, read without trusting them."""
from __future__ import annotations

import os

import pytest

from attrib.errors import SourceError
from attrib.engine.sources import Limits, blob_id, open_source

from helpers import UPSTREAM_PY, git_repo, write_tree


def paths(source):
    return [f.path for f in source.files]


def reasons(source):
    return {s.path: s.reason for s in source.skipped}


def test_directory_honours_gitignore_including_nested_and_negation(tmp_path):
    write_tree(tmp_path, {
        ".gitignore": "build/\n*.log\n",
        "a.py": "x = 1\n",
        "build/gen.py": "x = 2\n",
        "debug.log": "noise\n",
        "pkg/.gitignore": "*.tmp.py\n!keep.tmp.py\n",
        "pkg/drop.tmp.py": "x = 3\n",
        "pkg/keep.tmp.py": "x = 4\n",
    })
    got = paths(open_source(tmp_path))
    assert "a.py" in got and "pkg/keep.tmp.py" in got
    assert "build/gen.py" not in got and "debug.log" not in got and "pkg/drop.tmp.py" not in got


def test_binary_oversized_and_vendored_files_are_recorded_skips(tmp_path):
    write_tree(tmp_path, {
        "ok.py": "x = 1\n",
        "blob.py": b"\x00\x01binary",
        "big.py": "x = 1\n" * 1000,
        "vendor/lib.py": "y = 2\n",
        "third_party/dep/m.py": "z = 3\n",
    })
    source = open_source(tmp_path, limits=Limits(max_file_bytes=1000))
    why = reasons(source)
    assert paths(source) == ["ok.py"]
    assert why["blob.py"] == "binary"
    assert why["big.py"].startswith("oversized")
    assert why["vendor/"] == "vendored" and why["third_party/"] == "vendored"


def test_symlinks_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    write_tree(outside, {"secret.py": "password = 'x'\n"})
    tree = write_tree(tmp_path / "tree", {"a.py": "x = 1\n"})
    os.symlink(outside / "secret.py", tree / "link.py")
    os.symlink(outside, tree / "linkdir")
    source = open_source(tree)
    assert paths(source) == ["a.py"]
    assert reasons(source)["link.py"].startswith("symlink")
    assert reasons(source)["linkdir"].startswith("symlink")


def test_blob_ids_are_git_blob_ids(tmp_path):
    repo = git_repo(tmp_path / "r", [({"m.py": UPSTREAM_PY}, "add", 1_700_000_000)])
    expected = repo.git.hash_object(str(tmp_path / "r" / "m.py"))
    assert blob_id(UPSTREAM_PY.encode()) == expected


def test_git_ref_is_read_from_objects_with_dates(tmp_path):
    root = tmp_path / "r"
    git_repo(root, [
        ({"m.py": "a = 1\n"}, "first", 1_600_000_000),
        ({"m.py": "a = 2\n", "n.py": "b = 1\n"}, "second", 1_700_000_000),
    ])
    (root / "m.py").write_text("changed in the work tree\n")
    old = open_source(root, ref="HEAD~1")
    assert paths(old) == ["m.py"]
    assert old.files[0].data == b"a = 1\n"
    assert old.files[0].date == 1_600_000_000
    head = open_source(root, ref="main")
    assert {f.path: f.date for f in head.files} == {"m.py": 1_700_000_000, "n.py": 1_700_000_000}
    assert head.files[0].author == "Test Author"


def test_git_symlinks_and_oversized_blobs_are_skipped(tmp_path):
    root = tmp_path / "r"
    write_tree(root, {"a.py": "x = 1\n", "big.py": "y = 2\n" * 500})
    os.symlink("/etc/passwd", root / "evil.py")
    git_repo(root, [({}, "add", 1_700_000_000)])
    source = open_source(root, ref="HEAD", limits=Limits(max_file_bytes=1000))
    assert paths(source) == ["a.py"]
    assert reasons(source)["evil.py"].startswith("symlink")
    assert reasons(source)["big.py"].startswith("oversized")


def test_ref_on_a_plain_directory_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="not a git repository"):
        open_source(tmp_path, ref="HEAD")


def test_unknown_ref_is_a_clear_error(tmp_path):
    git_repo(tmp_path / "r", [({"a.py": "x = 1\n"}, "add", 1_700_000_000)])
    with pytest.raises(SourceError, match="unknown git ref 'nope'"):
        open_source(tmp_path / "r", ref="nope")


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        open_source(tmp_path / "missing")
