# SPDX-License-Identifier: Apache-2.0
"""Whole indexes: export/import as one file, and the index a project's .attrib.yaml declares."""
from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, git_repo, write_tree
from test_index import SHAPES_PY

from attrib import project_index
from attrib.config import Config, DeclaredUpstream, load_config
from attrib.errors import IndexError_, SourceError
from attrib.engine.fingerprint import default_params
from attrib.engine.index import open_store
from attrib.engine.index.sqlite import SqliteStore
from attrib.engine.indexing import index_source
from attrib.model import UpstreamInfo
from attrib.project_index import ensure_project_index, export_index, import_index
from attrib.scan import scan_source
from attrib.engine.sources import open_source

DAY = 86_400
T0 = 1_704_067_200  # 2024-01-01


def run(*args: str) -> tuple[int, str, str]:
    """``attrib`` through its real entry point (the error boundary included)."""
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()", *args],
                          capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def add(location: str, root: Path, name: str, license: str = "MIT") -> None:
    store = open_store(location, create=True)
    try:
        index_source(store, open_source(root), UpstreamInfo(name, str(root), None, None, license))
    finally:
        store.close()


def found(location: str, root: Path) -> list[tuple]:
    """What a user reads of a scan: each match's both sides and its similarity."""
    store = open_store(location)
    try:
        matches = scan_source(store, open_source(root)).matches
    finally:
        store.close()
    return sorted((m.path, m.start_line, m.end_line, m.upstream, m.upstream_path,
                   m.upstream_start_line, m.upstream_end_line, round(m.similarity, 6),
                   m.renames) for m in matches)


def names(location: str) -> list[str]:
    store = open_store(location)
    try:
        return [u.name for u in store.upstreams()]
    finally:
        store.close()


@pytest.fixture
def trees(tmp_path: Path) -> dict[str, Path]:
    """Two upstreams and a suspect holding a disguised copy of each."""
    return {"grid": write_tree(tmp_path / "grid", {"grid.py": UPSTREAM_PY}),
            "inventory": write_tree(tmp_path / "inventory", {"inv/stock.py": UNRELATED_PY}),
            "suspect": write_tree(tmp_path / "suspect", {"pool.py": COPY_PY,
                                                         "stock.py": UNRELATED_PY})}


@pytest.fixture
def index(tmp_path: Path, trees: dict[str, Path]) -> str:
    location = str(tmp_path / "index.sqlite")
    add(location, trees["grid"], "grid", "Apache-2.0")
    add(location, trees["inventory"], "inventory")
    return location


# ---- export and import ---------------------------------------------------------------


def test_round_trip_finds_the_same_matches(tmp_path, trees, index):
    shared = tmp_path / "shared.sqlite"
    code, out, err = run("index", "export", str(shared), "--index", index)
    assert code == 0, err
    assert "exported 2 upstream(s)" in out and "grid" in out and "inventory" in out
    assert not list(tmp_path.glob("*.tmp*"))  # nothing half-written left beside it
    target = str(tmp_path / "elsewhere" / "team.sqlite")
    code, out, err = run("index", "import", str(shared), "--index", target)
    assert code == 0, err
    assert "imported grid" in out and "imported inventory" in out
    before = found(index, trees["suspect"])
    assert {m[3] for m in before} == {"grid", "inventory"}
    assert found(target, trees["suspect"]) == before
    assert found(str(shared), trees["suspect"]) == before  # the file is an index as it is
    original, imported = open_store(index), open_store(target)
    try:
        strip = [dataclasses.replace(u, indexed_at=None) for u in original.upstreams()]
        assert [dataclasses.replace(u, indexed_at=None) for u in imported.upstreams()] == strip
    finally:
        original.close()
        imported.close()


def test_export_of_some_upstreams_holds_only_them(tmp_path, trees, index):
    shared = tmp_path / "grid-only.sqlite"
    code, _, err = run("index", "export", str(shared), "--index", index, "--upstream", "grid")
    assert code == 0, err
    assert names(str(shared)) == ["grid"]
    assert {m[3] for m in found(str(shared), trees["suspect"])} == {"grid"}
    with sqlite3.connect(shared) as conn:  # the other upstream's blobs went too
        assert conn.execute("SELECT count(*) FROM blobs").fetchone() == (1,)
    code, _, err = run("index", "export", str(shared), "--index", index, "--upstream", "nope")
    assert code == 2 and err.count("\n") == 1 and "no upstream named 'nope'" in err


def test_import_replaces_same_name_upstreams_and_keeps_others(tmp_path, trees, index):
    shared = str(tmp_path / "grid.sqlite")
    export_index(index, shared, ["grid"])
    target = str(tmp_path / "target.sqlite")
    old_grid = write_tree(tmp_path / "old-grid", {"other.py": UNRELATED_PY})
    add(target, old_grid, "grid", "GPL-3.0-only")
    mine = write_tree(tmp_path / "mine", {"shapes.py": SHAPES_PY})
    add(target, mine, "mine")
    imported = import_index(shared, target)
    assert [u.name for u in imported] == ["grid"]
    store = open_store(target)
    try:
        ups = {u.name: u for u in store.upstreams()}
    finally:
        store.close()
    assert sorted(ups) == ["grid", "mine"]
    assert ups["grid"].license == "Apache-2.0" and ups["grid"].location == str(trees["grid"])
    assert {(m[0], m[3]) for m in found(target, trees["suspect"])} == {("pool.py", "grid")}
    assert {m[3] for m in found(target, mine)} == {"mine"}


def test_junk_and_foreign_files_are_refused_in_one_line(tmp_path, index):
    target = tmp_path / "target.sqlite"
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not an index at all\n" * 100)
    other = tmp_path / "plain.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    half = tmp_path / "half.sqlite"
    export_index(index, str(half))
    half.write_bytes(half.read_bytes()[:len(half.read_bytes()) // 2])
    for path, says in ((junk, "not an attrib index"), (other, "not an attrib index (no "),
                       (half, "not an attrib index"), (tmp_path / "none.sqlite", "no such file")):
        code, out, err = run("index", "import", str(path), "--index", str(target))
        assert code == 2, (path, err)
        assert err.count("\n") == 1 and says in err and out == ""
    assert not target.exists()  # a refused file creates no index either
    code, _, err = run("index", "import", index, "--index", index)
    assert code == 2 and err.count("\n") == 1 and "is the index being imported into" in err


def test_a_file_built_with_other_parameters_is_refused(tmp_path, trees, index):
    foreign = tmp_path / "k7.sqlite"
    params = dataclasses.replace(default_params(), k=7)
    store = SqliteStore.open(str(foreign), create=True, params=params)
    index_source(store, open_source(trees["grid"]), UpstreamInfo("grid", "x", None, None, None))
    store.close()
    before = Path(index).read_bytes()
    code, _, err = run("index", "import", str(foreign), "--index", index)
    assert code == 2 and err.count("\n") == 1
    assert "other fingerprint parameters" in err and "k='7'" in err
    assert Path(index).read_bytes() == before


def _corrupt(path: Path, sql: str, *args) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, args)
    conn.close()


@pytest.mark.parametrize("sql, args", [
    ("UPDATE blobs SET data = ?", (zlib.compress(b'{"texts": 5}'),)),
    ("UPDATE blobs SET data = ?", (b"\x80not zlib",)),
    ("UPDATE fragments SET idx = idx + 1", ()),
    ("UPDATE fragments SET idx = 999", ()),
    ("UPDATE files SET path = x'2f'", ()),
    ("UPDATE upstreams SET artifacts = '{\"code\": 1}'", ()),
    ("UPDATE blobs SET blob_id = 'zz' || blob_id", ()),
])
def test_a_corrupt_file_leaves_the_target_as_it_was(tmp_path, trees, index, sql, args):
    shared = tmp_path / "shared.sqlite"
    export_index(index, str(shared))
    _corrupt(shared, sql, *args)
    target = tmp_path / "target.sqlite"
    add(str(target), trees["grid"], "grid")
    before, listing = target.read_bytes(), names(str(target))
    code, _, err = run("index", "import", str(shared), "--index", str(target))
    assert code == 2 and err.count("\n") == 1 and "corrupt index file" in err, err
    assert target.read_bytes() == before and names(str(target)) == listing


def test_inflating_past_the_bound_is_refused(tmp_path, index, monkeypatch):
    shared = tmp_path / "shared.sqlite"
    export_index(index, str(shared))
    monkeypatch.setattr(project_index, "MAX_INFLATED", 1000)  # every real blob is larger
    with pytest.raises(IndexError_, match="inflates past 1000 bytes"):
        import_index(str(shared), str(tmp_path / "target.sqlite"))


def test_an_interrupted_import_leaves_the_target_as_it_was(tmp_path, trees, store_location,
                                                           monkeypatch):
    shared = tmp_path / "shared.sqlite"
    source_index = str(tmp_path / "source.sqlite")
    add(source_index, trees["grid"], "grid", "Apache-2.0")
    export_index(source_index, str(shared))
    add(store_location, write_tree(tmp_path / "old", {"a.py": UNRELATED_PY, "b.py": COPY_PY}),
        "grid", "GPL-3.0-only")
    before = (names(store_location), found(store_location, trees["suspect"]))
    real_read, reads = project_index.IndexFile.read, []

    def read_then_interrupt(self, name):
        info, files, records = real_read(self, name)
        reads.append(name)
        if len(reads) == 1:  # the check pass goes through; the import pass is interrupted
            return info, files, records

        def interrupted():
            yield records[0]
            raise KeyboardInterrupt
        return info, files, interrupted()

    monkeypatch.setattr(project_index.IndexFile, "read", read_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        import_index(str(shared), store_location)
    monkeypatch.undo()
    assert (names(store_location), found(store_location, trees["suspect"])) == before
    store = open_store(store_location)
    try:
        assert store.upstreams()[0].license == "GPL-3.0-only"
    finally:
        store.close()


def test_export_from_redis_then_import_into_sqlite(tmp_path, trees, redis_server):
    from conftest import fresh_redis_location

    location = fresh_redis_location(redis_server)
    add(location, trees["grid"], "grid", "Apache-2.0")
    add(location, trees["inventory"], "inventory")
    shared = tmp_path / "from-redis.sqlite"
    code, _, err = run("index", "export", str(shared), "--index", location)
    assert code == 0, err
    target = str(tmp_path / "target.sqlite")
    code, _, err = run("index", "import", str(shared), "--index", target)
    assert code == 0, err
    before = found(location, trees["suspect"])
    assert {m[3] for m in before} == {"grid", "inventory"}
    assert found(target, trees["suspect"]) == before


def test_import_into_redis(tmp_path, trees, index, redis_server):
    from conftest import fresh_redis_location

    shared = tmp_path / "shared.sqlite"
    export_index(index, str(shared))
    location = fresh_redis_location(redis_server)
    add(location, trees["grid"], "other")
    import_index(str(shared), location)
    assert names(location) == ["grid", "inventory", "other"]
    assert {m[3] for m in found(location, trees["suspect"])} >= {"grid", "inventory"}


AUTHORED, COMMITTED, COPIED = 1_483_228_800, 1_717_200_000, 1_514_764_800  # issue 17's years


def scanned_dates(location: str, suspect: Path) -> set[tuple]:
    """Each match's upstream dates, as ``attrib scan --format json`` reports them."""
    code, out, err = run("scan", str(suspect), "--index", location, "--format", "json")
    assert code in (0, 1), err
    matches = json.loads(out)["matches"]
    assert matches
    return {(m["upstream_date"], m["upstream_author_date"], m["upstream_first_author_date"])
            for m in matches}


def test_author_dates_go_through_add_scan_export_and_import(tmp_path, store_location, request):
    """kjanko/python-fingerprint-recognition issue 17: the author dates a rewritten upstream
    kept reach the scan, on every backend and in an exported file, or the copier is acquitted."""
    up = git_repo(tmp_path / "up", [({"grid.py": UPSTREAM_PY}, "grid", (AUTHORED, COMMITTED))])
    suspect = git_repo(tmp_path / "suspect", [({"pool.py": COPY_PY}, "pool", COPIED)])
    code, _, err = run("index", "add", str(up.working_dir), "--name", "grid", "--index",
                       store_location)
    assert code == 0, err
    want = {(COMMITTED, AUTHORED, AUTHORED)}
    assert scanned_dates(store_location, Path(suspect.working_dir)) == want
    shared = tmp_path / "shared.sqlite"
    code, _, err = run("index", "export", str(shared), "--index", store_location)
    assert code == 0, err
    assert scanned_dates(str(shared), Path(suspect.working_dir)) == want
    target = str(tmp_path / "target.sqlite")
    if store_location.startswith("redis://"):  # imported into the same backend, anew
        from conftest import fresh_redis_location

        target = fresh_redis_location(request.getfixturevalue("redis_server"))
    code, _, err = run("index", "import", str(shared), "--index", target)
    assert code == 0, err
    assert scanned_dates(target, Path(suspect.working_dir)) == want
    code, out, _ = run("scan", str(suspect.working_dir), "--index", target)
    assert "had it first" not in out and "the history of one side was rewritten" in out


def test_a_file_exported_before_author_dates_were_kept_imports_them_as_unknown(tmp_path, trees,
                                                                               index):
    with sqlite3.connect(index) as conn:  # the files table as schema 5 first made it
        conn.execute("ALTER TABLE files DROP COLUMN author_date")
        conn.execute("ALTER TABLE files DROP COLUMN first_author_date")
    conn.close()
    shared = tmp_path / "old.sqlite"
    export_index(index, str(shared))
    target = str(tmp_path / "target.sqlite")
    import_index(str(shared), target)
    assert found(target, trees["suspect"]) == found(index, trees["suspect"])
    store = open_store(target)
    try:
        _, files, _ = store.upstream_contents("grid")
        assert files and {(f.author_date, f.first_author_date) for f in files} == {(None, None)}
    finally:
        store.close()


# ---- the project index ---------------------------------------------------------------


@pytest.fixture
def upstream(tmp_path: Path):
    return git_repo(tmp_path / "upstream", [({"grid.py": UPSTREAM_PY}, "grid", T0)])


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """The names of the upstreams ``ensure_project_index`` indexes, in order."""
    calls: list[str] = []
    real = project_index.index_source

    def counting(store, source, info, *args, **kwargs):
        calls.append(info.name)
        return real(store, source, info, *args, **kwargs)

    monkeypatch.setattr(project_index, "index_source", counting)
    return calls


def config(tmp_path: Path, *upstreams: DeclaredUpstream) -> Config:
    return Config(str(tmp_path / "project" / ".attrib.yaml"), tuple(upstreams))


def test_built_once_then_reused(tmp_path, upstream, builds):
    cfg = config(tmp_path, DeclaredUpstream("grid", str(upstream.working_dir), "main",
                                            "Apache-2.0", "https://example.invalid/grid"))
    cache = tmp_path / "cache"
    first = ensure_project_index(cfg, cache)
    mtime = os.stat(first).st_mtime_ns
    assert ensure_project_index(cfg, cache) == first
    assert builds == ["grid"] and os.stat(first).st_mtime_ns == mtime
    assert Path(first).parent == cache and Path(first).suffix == ".sqlite"
    store = open_store(first)
    try:
        (info,) = store.upstreams()
    finally:
        store.close()
    assert (info.license, info.url, info.ref) == ("Apache-2.0", "https://example.invalid/grid",
                                                  "main")
    assert info.commit == upstream.head.commit.hexsha
    assert {m[3] for m in found(first, tmp_path / "upstream")} == {"grid"}


def test_a_new_upstream_commit_builds_a_new_index(tmp_path, upstream, builds):
    cfg = config(tmp_path, DeclaredUpstream("grid", str(upstream.working_dir), "main"))
    first = ensure_project_index(cfg, tmp_path / "cache")
    git_repo(Path(upstream.working_dir), [({"more.py": UNRELATED_PY}, "more", T0 + DAY)])
    second = ensure_project_index(cfg, tmp_path / "cache")
    assert second != first and builds == ["grid", "grid"]
    assert ensure_project_index(cfg, tmp_path / "cache") == second and len(builds) == 2
    store = open_store(second)
    try:
        assert store.upstreams()[0].files == 2
    finally:
        store.close()


def test_a_file_url_upstream_is_listed_not_cloned_once_cached(tmp_path, upstream, builds,
                                                             monkeypatch):
    url = f"file://{upstream.working_dir}"
    cfg = config(tmp_path, DeclaredUpstream("grid", url, "main"))
    first = ensure_project_index(cfg, tmp_path / "cache")
    store = open_store(first)
    try:
        (info,) = store.upstreams()
    finally:
        store.close()
    assert (info.location, info.url, info.commit) == (url, url, upstream.head.commit.hexsha)

    def no_clone(location):
        raise AssertionError(f"cloned {location} again")

    monkeypatch.setattr(project_index, "local_repo", no_clone)
    assert ensure_project_index(cfg, tmp_path / "cache") == first
    assert builds == ["grid"]
    monkeypatch.undo()
    # the ref moves upstream: ls-remote sees it, and only then is it cloned again
    git_repo(Path(upstream.working_dir), [({"more.py": UNRELATED_PY}, "more", T0 + DAY)])
    assert ensure_project_index(cfg, tmp_path / "cache") != first


def test_offline_uses_the_cache_and_never_the_network(tmp_path, upstream, builds):
    url = f"file://{upstream.working_dir}"
    cfg = config(tmp_path, DeclaredUpstream("grid", url, "main"))
    with pytest.raises(SourceError, match="offline, and no cached index of grid"):
        ensure_project_index(cfg, tmp_path / "cache", offline=True)
    first = ensure_project_index(cfg, tmp_path / "cache")
    Path(upstream.working_dir).rename(tmp_path / "gone")  # the remote is unreachable now
    assert ensure_project_index(cfg, tmp_path / "cache", offline=True) == first
    with pytest.raises(SourceError, match="cannot list its refs"):
        ensure_project_index(cfg, tmp_path / "cache")
    assert builds == ["grid"]


def test_a_path_without_ref_is_keyed_by_its_working_files(tmp_path, builds):
    project = tmp_path / "project"
    write_tree(tmp_path / "vendor-src", {"grid.py": UPSTREAM_PY})
    write_tree(project, {".attrib.yaml": "upstreams:\n  - name: grid\n"
                                         "    location: ../vendor-src\n    license: MIT\n"})
    cfg = load_config(project)  # the path is relative to the config file, outside the project
    cache = tmp_path / "cache"
    first = ensure_project_index(cfg, cache, allow_outside=True)
    assert ensure_project_index(cfg, cache, allow_outside=True) == first and builds == ["grid"]
    (tmp_path / "vendor-src" / "extra.py").write_text(UNRELATED_PY)
    second = ensure_project_index(cfg, cache, allow_outside=True)
    assert second != first and builds == ["grid", "grid"]
    assert names(second) == ["grid"]
    assert {m[3] for m in found(second, write_tree(tmp_path / "s", {"p.py": COPY_PY}))} == {"grid"}


def test_several_upstreams_one_index_whatever_the_declared_order(tmp_path, upstream, builds):
    other = git_repo(tmp_path / "inventory", [({"stock.py": UNRELATED_PY}, "stock", T0)])
    a = DeclaredUpstream("grid", f"file://{upstream.working_dir}")
    b = DeclaredUpstream("inventory", str(other.working_dir), "main")
    first = ensure_project_index(config(tmp_path, a, b), tmp_path / "cache")
    assert ensure_project_index(config(tmp_path, b, a), tmp_path / "cache") == first
    assert sorted(builds) == ["grid", "inventory"] and names(first) == ["grid", "inventory"]


def test_two_builders_at_once_build_once(tmp_path, upstream, builds):
    cfg = config(tmp_path, DeclaredUpstream("grid", str(upstream.working_dir), "main"))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(
        ensure_project_index(cfg, tmp_path / "cache"))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 3 and builds == ["grid"]
    assert names(results[0]) == ["grid"]
    assert sorted(p.suffix for p in (tmp_path / "cache").iterdir()) == [".json", ".lock",
                                                                         ".sqlite"]


def test_the_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTRIB_CACHE", str(tmp_path / "c"))
    assert project_index.default_cache_dir() == tmp_path / "c" / "projects"
    monkeypatch.delenv("ATTRIB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert project_index.default_cache_dir() == tmp_path / "x" / "attrib" / "projects"


def test_a_declared_location_that_looks_like_an_option_is_refused(tmp_path):
    from attrib.errors import ConfigError

    with pytest.raises(ConfigError, match="may not start with '-'"):
        ensure_project_index(config(tmp_path, DeclaredUpstream("x", "--upload-pack=touch")),
                             tmp_path / "cache")
