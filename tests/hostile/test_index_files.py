# SPDX-License-Identifier: Apache-2.0
"""Index stores as untrusted, shared or read-only files (issues 11 and 12).

Another program's SQLite file is refused with exit 2 and left byte-identical;
read-only commands open an index read-only, write nothing (no WAL switch, no
-wal or -shm files beside it: a committed index stays as it was under the
pre-commit hook), and work on a read-only file or mount; a full disk during
``index add`` is one line and leaves the index as it was; a Redis index whose
entries lack fields is one line.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import fresh_redis_location
from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, write_tree

from .cli import attrib, one_line_error


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def foreign_db(path: Path) -> Path:
    """A browser-history-like database of another application."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE visits (url TEXT, at INTEGER)")
        conn.execute("INSERT INTO visits VALUES ('https://example.invalid', 1)")
    conn.close()
    return path


def add(location: Path | str, tree: Path, name: str, cwd: Path,
        fsize: int | None = None) -> tuple[int, str, str]:
    return attrib("index", "add", str(tree), "--name", name, "--license", "MIT",
                  "--index", str(location), cwd=cwd, fsize=fsize)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """attrib's caches (parsed blobs, project indexes) away from the trees under test."""
    monkeypatch.setenv("ATTRIB_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "upstream", {"grid.py": UPSTREAM_PY})


@pytest.fixture
def suspect(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "suspect", {"pool.py": COPY_PY})


@pytest.fixture
def wal_index(tmp_path: Path, upstream: Path) -> Path:
    """An index built by ``index add``: its header says WAL mode."""
    folder = tmp_path / "indexes"
    folder.mkdir()
    idx = folder / "idx.sqlite"
    code, _, err = add(idx, upstream, "grid", tmp_path)
    assert code == 0, err
    assert idx.read_bytes()[18:20] == b"\x02\x02" and listing(folder) == ["idx.sqlite"]
    return idx


@pytest.fixture
def exported_index(tmp_path: Path, wal_index: Path) -> Path:
    """An index file made by ``index export``: a rollback-journal file that travels alone."""
    out = tmp_path / "shared" / "grid.sqlite"
    out.parent.mkdir()
    code, _, err = attrib("index", "export", str(out), "--index", str(wal_index), cwd=tmp_path)
    assert code == 0, err
    return out


@pytest.fixture
def tmpfs(tmp_path: Path):
    """A 4 MB tmpfs (root only): a disk that fills up for real, or is remounted read-only."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


# ---- another program's file ------------------------------------------------------------

def test_index_list_refuses_another_programs_database_untouched(tmp_path):
    db = foreign_db(tmp_path / "history.sqlite")
    before = sha256(db)
    code, _, err = attrib("index", "list", "--index", str(db), cwd=tmp_path)
    assert "not an attrib index" in one_line_error(code, err)
    assert sha256(db) == before and listing(tmp_path) == ["history.sqlite"]


def test_scan_refuses_another_programs_database_untouched(tmp_path, suspect):
    db = foreign_db(tmp_path / "history.sqlite")
    before = sha256(db)
    code, _, err = attrib("scan", str(suspect), "--index", str(db), cwd=tmp_path)
    assert "not an attrib index" in one_line_error(code, err)
    assert sha256(db) == before


def test_index_add_refuses_another_programs_database_untouched(tmp_path, upstream):
    db = foreign_db(tmp_path / "history.sqlite")
    before = sha256(db)
    code, _, err = add(db, upstream, "grid", tmp_path)
    assert "not an attrib index" in one_line_error(code, err)
    assert sha256(db) == before and not (tmp_path / "history.sqlite-wal").exists()


def test_index_remove_refuses_another_programs_database_untouched(tmp_path):
    db = foreign_db(tmp_path / "history.sqlite")
    before = sha256(db)
    code, _, err = attrib("index", "remove", "visits", "--index", str(db), cwd=tmp_path)
    assert "not an attrib index" in one_line_error(code, err)
    assert sha256(db) == before


def test_index_add_refuses_a_database_with_a_meta_table_of_its_own(tmp_path, upstream):
    db = tmp_path / "app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('version', '7')")
    conn.close()
    before = sha256(db)
    code, _, err = add(db, upstream, "grid", tmp_path)
    assert "not an attrib index" in one_line_error(code, err)
    assert sha256(db) == before


def test_index_add_refuses_a_file_that_is_not_a_database_untouched(tmp_path, upstream):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not an index\n" * 100)
    before = sha256(notes)
    code, _, err = add(notes, upstream, "grid", tmp_path)
    assert str(notes) in one_line_error(code, err)
    assert sha256(notes) == before


# ---- read-only commands write nothing --------------------------------------------------

# an exported file is in rollback-journal mode (opening it read-write switched it to WAL);
# an index add made is in WAL mode (a read-only open would leave -wal and -shm beside it)
KINDS = {"exported": "exported_index", "wal": "wal_index"}


@pytest.mark.parametrize("kind", KINDS)
def test_scan_leaves_the_index_byte_identical(tmp_path, request, kind, suspect):
    index_file = request.getfixturevalue(KINDS[kind])
    before = sha256(index_file)
    code, out, err = attrib("scan", str(suspect), "--index", str(index_file), cwd=tmp_path)
    assert code == 1 and "grid" in out, err
    assert sha256(index_file) == before and listing(index_file.parent) == [index_file.name]


@pytest.mark.parametrize("kind", KINDS)
def test_index_list_leaves_the_index_byte_identical(tmp_path, request, kind):
    index_file = request.getfixturevalue(KINDS[kind])
    before = sha256(index_file)
    code, out, err = attrib("index", "list", "--index", str(index_file), cwd=tmp_path)
    assert code == 0 and "grid" in out, err
    assert sha256(index_file) == before and listing(index_file.parent) == [index_file.name]


@pytest.mark.parametrize("kind", KINDS)
def test_notice_to_stdout_leaves_the_index_byte_identical(tmp_path, request, kind, suspect):
    index_file = request.getfixturevalue(KINDS[kind])
    before = sha256(index_file)
    code, out, err = attrib("notice", str(suspect), "--index", str(index_file), "-o", "-",
                            cwd=tmp_path)
    assert code == 0 and "grid" in out, err
    assert sha256(index_file) == before and listing(index_file.parent) == [index_file.name]


@pytest.mark.parametrize("kind", KINDS)
def test_audit_leaves_the_index_byte_identical(tmp_path, request, kind, suspect):
    index_file = request.getfixturevalue(KINDS[kind])
    before = sha256(index_file)
    code, _, err = attrib("audit", str(suspect), "--index", str(index_file), "--format", "json",
                          "-o", str(tmp_path / "audit.json"), cwd=tmp_path)
    assert code in (0, 1), err
    assert sha256(index_file) == before and listing(index_file.parent) == [index_file.name]


@pytest.mark.parametrize("kind", KINDS)
def test_export_leaves_the_source_index_byte_identical(tmp_path, request, kind):
    index_file = request.getfixturevalue(KINDS[kind])
    before = sha256(index_file)
    code, _, err = attrib("index", "export", str(tmp_path / "out.sqlite"), "--index",
                          str(index_file), cwd=tmp_path)
    assert code == 0, err
    assert sha256(index_file) == before and listing(index_file.parent) == [index_file.name]


@pytest.mark.parametrize("kind", KINDS)
def test_hook_leaves_a_committed_index_as_it_was(tmp_path, request, kind):
    """``check --staged`` with a committed index: git status shows only what the user staged."""
    source = request.getfixturevalue(KINDS[kind])
    repo = tmp_path / "repo"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True,  # noqa: E731
                                    capture_output=True, text=True).stdout
    run("init", "-q")
    run("config", "user.email", "t@example.invalid")
    run("config", "user.name", "T")
    (repo / "attrib.sqlite").write_bytes(source.read_bytes())
    run("add", "attrib.sqlite")
    run("commit", "-qm", "the team's index")
    write_tree(repo, {"pool.py": COPY_PY})
    run("add", "pool.py")
    before = sha256(repo / "attrib.sqlite")
    code, _, err = attrib("check", "--staged", "--index", "attrib.sqlite", cwd=repo)
    assert code == 1, err  # the copy is found
    assert sha256(repo / "attrib.sqlite") == before
    assert run("status", "--porcelain", "--untracked-files=all") == "A  pool.py\n"


def test_exported_index_is_scanned_from_a_read_only_file(tmp_path, exported_index, suspect):
    exported_index.chmod(0o444)
    exported_index.parent.chmod(0o555)
    try:
        code, out, err = attrib("scan", str(suspect), "--index", str(exported_index),
                                cwd=tmp_path)
    finally:
        exported_index.parent.chmod(0o755)
    assert code == 1 and "grid" in out, err
    assert listing(exported_index.parent) == ["grid.sqlite"]


@pytest.mark.parametrize("kind", KINDS)
def test_index_on_a_read_only_mount_is_scanned(tmp_path, request, tmpfs, suspect, kind):
    source = request.getfixturevalue(KINDS[kind])
    idx = tmpfs / "idx.sqlite"
    idx.write_bytes(source.read_bytes())
    assert subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)]).returncode == 0
    code, out, err = attrib("scan", str(suspect), "--index", str(idx), cwd=tmp_path)
    assert code == 1 and "grid" in out, err


def test_import_from_a_wal_index_leaves_it_as_it_was(tmp_path, wal_index):
    before = sha256(wal_index)
    code, _, err = attrib("index", "import", str(wal_index), "--index",
                          str(tmp_path / "mine.sqlite"), cwd=tmp_path)
    assert code == 0, err
    assert sha256(wal_index) == before and listing(wal_index.parent) == ["idx.sqlite"]


def test_read_only_index_refuses_index_add_in_one_line(tmp_path, tmpfs, exported_index,
                                                        upstream):
    idx = tmpfs / "idx.sqlite"
    idx.write_bytes(exported_index.read_bytes())
    assert subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)]).returncode == 0
    code, _, err = add(idx, upstream, "again", tmp_path)
    assert str(idx) in one_line_error(code, err)


def test_index_path_beyond_path_max_is_one_line(tmp_path, upstream):
    deep = "/".join(["d" * 200] * 25) + "/idx.sqlite"  # 5,000 characters
    code, _, err = add(deep, upstream, "grid", tmp_path)
    line = one_line_error(code, err)
    assert "File name too long" in line and len(line) < 400


# ---- a full disk -----------------------------------------------------------------------

def big_upstream(root: Path, files: int = 150) -> Path:
    """Many distinct files: an ``index add`` that writes a few hundred KB."""
    for i in range(files):
        body = "\n".join(f"    total_{j} = values[{j}] * {i * 31 + j} + offset_{i}_{j}"
                         for j in range(20))
        write_tree(root, {f"mod_{i}.py": f"def compute_{i}(values, offset_{i}_0=0):\n{body}\n"
                                         f"    return total_0 + {i}\n\n" + UNRELATED_PY})
    return root


def test_index_add_past_the_file_size_limit_leaves_the_index_as_it_was(tmp_path, wal_index):
    before_list = attrib("index", "list", "--index", str(wal_index), cwd=tmp_path)[1]
    big = big_upstream(tmp_path / "big")
    code, _, err = add(wal_index, big, "big", tmp_path, fsize=64 * 1024)
    assert "cannot write the index" in one_line_error(code, err)
    after = attrib("index", "list", "--index", str(wal_index), cwd=tmp_path)
    assert after[0] == 0 and after[1] == before_list
    with sqlite3.connect(f"file:{wal_index}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_index_add_on_a_full_disk_leaves_the_index_as_it_was(tmp_path, tmpfs, upstream):
    idx = tmpfs / "idx.sqlite"
    assert add(idx, upstream, "grid", tmp_path)[0] == 0
    before_list = attrib("index", "list", "--index", str(idx), cwd=tmp_path)[1]
    with open(tmpfs / "filler", "wb", buffering=0) as filler:  # fill the disk to the last block...
        try:
            while True:
                filler.write(b"\0" * 65536)
        except OSError:
            pass
    size = (tmpfs / "filler").stat().st_size
    os.truncate(tmpfs / "filler", size - 256 * 1024)  # ...but for room to start the add (2 MB)
    big = big_upstream(tmp_path / "big")
    code, _, err = add(idx, big, "big", tmp_path)
    assert "cannot write the index" in one_line_error(code, err)
    (tmpfs / "filler").unlink()
    after = attrib("index", "list", "--index", str(idx), cwd=tmp_path)
    assert after[0] == 0 and after[1] == before_list


def test_new_index_on_a_full_disk_is_one_line(tmp_path, upstream):
    code, _, err = add(tmp_path / "new.sqlite", upstream, "grid", tmp_path, fsize=2048)
    assert "cannot" in one_line_error(code, err)


# ---- a Redis index with missing fields -------------------------------------------------

@pytest.fixture
def redis_index(tmp_path: Path, redis_server, upstream: Path):
    import redis

    location = fresh_redis_location(redis_server)
    code, _, err = add(location, upstream, "grid", tmp_path)
    assert code == 0, err
    client = redis.Redis.from_url(location)
    yield location, client
    client.close()


def test_redis_upstream_entry_without_its_fields_is_one_line(tmp_path, redis_index):
    location, client = redis_index
    client.hset("attrib:upstreams", "grid", json.dumps({"name": "grid"}))
    code, _, err = attrib("index", "list", "--index", location, cwd=tmp_path)
    assert "corrupt" in one_line_error(code, err)


def test_redis_upstream_entry_of_the_wrong_type_is_one_line(tmp_path, redis_index):
    location, client = redis_index
    client.hset("attrib:upstreams", "grid", json.dumps(["grid", "/x"]))
    code, _, err = attrib("index", "list", "--index", location, cwd=tmp_path)
    assert "corrupt" in one_line_error(code, err)


def test_redis_meta_without_a_schema_is_one_line(tmp_path, redis_index):
    location, client = redis_index
    client.hdel("attrib:meta", "schema")
    code, _, err = attrib("index", "list", "--index", location, cwd=tmp_path)
    assert "schema" in one_line_error(code, err)


def test_redis_fragment_table_without_its_rows_is_one_line(tmp_path, redis_index):
    location, client = redis_index
    for key in client.scan_iter("attrib:frags:*"):
        client.hdel(key, "rows")
    code, _, err = attrib("index", "export", str(tmp_path / "out.sqlite"), "--index", location,
                          cwd=tmp_path)
    assert "corrupt" in one_line_error(code, err)


def test_redis_file_row_with_missing_fields_is_one_line(tmp_path, redis_index):
    location, client = redis_index
    client.hset("attrib:files:grid", "grid.py", json.dumps(["0" * 40]))
    code, _, err = attrib("index", "export", str(tmp_path / "out.sqlite"), "--index", location,
                          cwd=tmp_path)
    assert "corrupt" in one_line_error(code, err)


def test_redis_blob_holders_with_missing_fields_are_one_line(tmp_path, redis_index, suspect):
    location, client = redis_index
    for key in client.scan_iter("attrib:where:*"):
        client.sadd(key, json.dumps(["grid"]))
    code, _, err = attrib("scan", str(suspect), "--index", location, cwd=tmp_path)
    assert "corrupt" in one_line_error(code, err)


# ---- a blob whose bytes were tampered with -----------------------------------------------

def _token_stream(head: bytes, width: int, indexes: list[int]) -> bytes:
    import zlib

    return zlib.compress(head + b"\0" + bytes([width]) + bytes(indexes), 6)


def _retokened(data: bytes, tokens: bytes) -> bytes:
    n = int.from_bytes(data[2:6], "little")
    return data[:2] + len(tokens).to_bytes(4, "little") + tokens + data[6 + n:]


@pytest.mark.parametrize("tamper", [
    lambda d: d[:9],                                               # cut inside the token stream
    lambda d: d[:2] + (1 << 30).to_bytes(4, "little") + d[6:],      # a length past the end
    lambda d: b"x" + d[1:],                                        # not a blob of this format
    lambda d: _retokened(d, _token_stream(b'["def"]', 1, [0, 7])),  # a token outside its vocabulary
    lambda d: _retokened(d, _token_stream(b'{"a":1}', 1, [0])),     # a vocabulary that is no list
    lambda d: _retokened(d, _token_stream(b'["def"]', 3, [0, 0, 0])),  # no such index width
    lambda d: d[:-7],                                              # cut inside the document
], ids=["cut-tokens", "long-length", "magic", "vocabulary-index", "vocabulary-type", "width",
        "cut-document"])
def test_a_tampered_blob_stops_a_scan_with_one_line(tmp_path, wal_index, suspect, tamper):
    with sqlite3.connect(wal_index) as conn:
        for rowid, data in conn.execute("SELECT id, data FROM blobs").fetchall():
            conn.execute("UPDATE blobs SET data = ? WHERE id = ?", (tamper(bytes(data)), rowid))
    conn.close()
    code, _, err = attrib("scan", str(suspect), "--index", str(wal_index), cwd=tmp_path)
    assert "corrupt" in one_line_error(code, err)
