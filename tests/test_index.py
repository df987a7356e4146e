# SPDX-License-Identifier: Apache-2.0
"""Index stores, every backend through ``open_store``: add, list, query, replace, remove, refuse."""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from attrib.errors import AttribError, IndexError_
from attrib.engine.index import open_store
from attrib.engine.index.base import IndexedFile, Store, decode_token_ids
from attrib.engine.fingerprint import token_ids
from attrib.engine.indexing import fingerprint, index_source, parse_source
from attrib.model import Match, UpstreamInfo
from attrib.scan import scan_source
from attrib.engine.sources import blob_id, open_source

from helpers import git_repo, write_tree

# Made-up upstream code: three modules whose functions are big enough to be indexed.
SHAPES_PY = textwrap.dedent('''\
    """Plane shapes."""
    import math


    def polygon_area(points):
        total = 0.0
        for index in range(len(points)):
            x1, y1 = points[index]
            x2, y2 = points[(index + 1) % len(points)]
            total += x1 * y2 - x2 * y1
        return abs(total) / 2.0


    def circle_points(radius, count, offset=0.0):
        points = []
        for step in range(count):
            angle = offset + 2.0 * math.pi * step / count
            points.append((radius * math.cos(angle), radius * math.sin(angle)))
        return points
''')
WORDS_PY = textwrap.dedent('''\
    """Word statistics."""
    import collections
    import re


    def word_counts(text, minimum=1):
        words = re.findall(r"[a-z']+", text.lower())
        counts = collections.Counter(words)
        kept = {word: n for word, n in counts.items() if n >= minimum}
        return sorted(kept.items(), key=lambda item: (-item[1], item[0]))


    def longest_line(text, width=80):
        best, best_len = "", -1
        for line in text.splitlines():
            size = len(line.expandtabs(4))
            if size > best_len and size <= width:
                best, best_len = line, size
        return best
''')
QUEUE_PY = textwrap.dedent('''\
    """A bounded queue."""
    import threading


    class BoundedQueue:
        def __init__(self, limit):
            self.limit = limit
            self.items = []
            self.lock = threading.Condition()

        def put(self, item, timeout=None):
            with self.lock:
                if not self.lock.wait_for(lambda: len(self.items) < self.limit, timeout):
                    raise TimeoutError("queue stayed full")
                self.items.append(item)
                self.lock.notify_all()

        def take(self, timeout=None):
            with self.lock:
                if not self.lock.wait_for(lambda: self.items, timeout):
                    raise TimeoutError("queue stayed empty")
                item = self.items.pop(0)
                self.lock.notify_all()
                return item
''')
INIT_PY = '__version__ = "1.0"\n'  # too small for a fragment: a blob with none
ALPHA = {"pkg/__init__.py": INIT_PY, "pkg/shapes.py": SHAPES_PY, "pkg/words.py": WORDS_PY}
BETA = {"lib/geometry.py": SHAPES_PY, "lib/queue.py": QUEUE_PY}  # shares shapes.py with ALPHA


def info(name: str, license: str = "MIT", ref: str | None = "v1.0") -> UpstreamInfo:
    return UpstreamInfo(name, f"https://example.invalid/{name}", ref, None, license,
                        url=f"https://example.invalid/{name}")


def add(store: Store, root: Path, name: str, **kwargs) -> UpstreamInfo:
    added, _ = index_source(store, open_source(root), info(name, **kwargs))
    return added


def scan(store: Store, tmp_path: Path, files: dict[str, str]) -> list[Match]:
    """Matches in a suspect tree holding ``files`` (its own paths: a renamed copy)."""
    root = tmp_path / "suspect"
    if root.exists():
        for old in sorted(root.rglob("*.py")):
            old.unlink()
    return list(scan_source(store, open_source(write_tree(root, files))).matches)


@pytest.fixture
def store(store_location: str):
    s = open_store(store_location, create=True)
    yield s
    s.close()


@pytest.fixture
def alpha(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "alpha", ALPHA)


@pytest.fixture
def beta(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "beta", BETA)


def test_added_upstream_is_listed_with_its_licence_ref_and_counts(store, alpha):
    added = add(store, alpha, "alpha", license="Apache-2.0", ref="v2.1")
    [listed] = store.upstreams()
    assert (listed.name, listed.license, listed.ref) == ("alpha", "Apache-2.0", "v2.1")
    assert listed.url == "https://example.invalid/alpha"
    assert listed.files == 3
    assert listed.lines == sum(text.count("\n") for text in ALPHA.values())
    assert listed.fragments == added.fragments > 0
    assert listed.indexed_at


def test_known_blobs_are_the_indexed_files(store, alpha):
    add(store, alpha, "alpha")
    ids = {blob_id(text.encode()) for text in ALPHA.values()}
    assert store.known_blobs(ids | {blob_id(b"print(1)\n")}) == ids


def test_renamed_copy_of_a_file_matches_its_upstream_path_and_lines(store, alpha, tmp_path):
    add(store, alpha, "alpha")
    matches = scan(store, tmp_path, {"src/mine/util.py": WORDS_PY})
    assert matches
    for m in matches:
        assert (m.path, m.upstream) == ("src/mine/util.py", "alpha")
        assert m.upstream_path == "pkg/words.py"
        assert (m.start_line, m.end_line) == (m.upstream_start_line, m.upstream_end_line)
    covered = {line for m in matches for line in range(m.start_line, m.end_line + 1)}
    assert {6, 10, 13, 19} <= covered  # inside both functions


def test_files_of_blobs_names_every_holder(store, alpha, beta):
    add(store, alpha, "alpha")
    add(store, beta, "beta")
    shapes = blob_id(SHAPES_PY.encode())
    where = store.files_of_blobs([shapes, blob_id(b"x = 1\n")])
    assert list(where) == [shapes]
    assert [(f.upstream, f.path) for f in where[shapes]] == [("alpha", "pkg/shapes.py"),
                                                            ("beta", "lib/geometry.py")]


def test_loaded_blob_keeps_its_fragments(store, alpha):
    add(store, alpha, "alpha")
    [parsed] = parse_source(open_source(alpha / "pkg" / "words.py")).files
    loaded = store.load_blob(parsed.blob_id)
    assert (loaded.fragments, loaded.stream, loaded.line_count) == \
        (parsed.fragments, parsed.stream, parsed.line_count)
    with pytest.raises(IndexError_, match="missing"):
        store.load_blob(blob_id(b"nothing\n"))


def test_token_ids_read_alone_are_those_of_the_whole_blob(store, alpha):
    """Ranking reads only a blob's token stream; it must be the tokens tiling then reads."""
    add(store, alpha, "alpha")
    parsed = parse_source(open_source(alpha)).files
    data = store.load_blob_data([p.blob_id for p in parsed] + [blob_id(b"nothing\n")])
    assert set(data) == {p.blob_id for p in parsed}
    ids = {b: decode_token_ids(b, d) for b, d in data.items()}
    for p in parsed:
        assert ids[p.blob_id].tolist() == token_ids(store.load_blob(p.blob_id).stream.texts).tolist()
        assert ids[p.blob_id].tolist() == token_ids(p.stream.texts).tolist()


def test_adding_the_same_upstream_again_replaces_it(store, alpha, tmp_path):
    add(store, alpha, "alpha")
    add(store, alpha, "alpha", license="BSD-3-Clause")
    [listed] = store.upstreams()
    assert listed.license == "BSD-3-Clause"
    matches = scan(store, tmp_path, {"copy.py": SHAPES_PY})
    assert matches and all(m.upstream == "alpha" and m.also_in == () for m in matches)
    assert len({(m.start_line, m.end_line) for m in matches}) == len(matches)


def test_fragment_count_covers_blobs_the_index_already_had(store, alpha, beta):
    roots = {"alpha": alpha, "beta": beta, "q": write_tree(beta.parent / "q", {"q.py": QUEUE_PY})}
    for name in ("alpha", "alpha", "beta", "q"):  # a re-add, then upstreams sharing blobs
        add(store, roots[name], name)
    expected = {name: sum(len(fingerprint(p, store.params).fragment_rows)
                          for p in parse_source(open_source(root)).files)
                for name, root in roots.items()}
    assert {u.name: u.fragments for u in store.upstreams()} == expected


def test_replacing_an_upstream_drops_the_blobs_it_no_longer_has(store, alpha, tmp_path):
    add(store, alpha, "alpha")
    (alpha / "pkg" / "words.py").unlink()
    add(store, alpha, "alpha")
    assert store.known_blobs([blob_id(WORDS_PY.encode())]) == set()
    assert scan(store, tmp_path, {"copy.py": WORDS_PY}) == []
    assert scan(store, tmp_path, {"copy.py": SHAPES_PY})


def test_code_two_upstreams_share_names_both(store, alpha, beta, tmp_path):
    add(store, alpha, "alpha")
    add(store, beta, "beta")
    assert [u.name for u in store.upstreams()] == ["alpha", "beta"]
    matches = scan(store, tmp_path, {"copy.py": SHAPES_PY})
    assert matches
    for m in matches:  # no dates here: the primary is the first by name
        assert (m.upstream, m.also_in) == ("alpha", ("beta",))
    [only_beta] = {m.upstream for m in scan(store, tmp_path, {"copy.py": QUEUE_PY})}
    assert only_beta == "beta"


def test_the_upstream_that_had_the_code_first_gets_the_credit(store, tmp_path):
    old, new = 1_600_000_000, 1_700_000_000
    git_repo(tmp_path / "late", [(ALPHA, "add shapes and words", new)])
    git_repo(tmp_path / "early", [(BETA, "add geometry and queue", old)])
    for name in ("late", "early"):
        index_source(store, open_source(tmp_path / name, ref="main"), info(name, ref=None))
    matches = scan(store, tmp_path, {"copy.py": SHAPES_PY})
    assert matches
    for m in matches:
        assert (m.upstream, m.also_in, m.upstream_date) == ("early", ("late",), old)


AUTHORED, COMMITTED = 1_483_228_800, 1_717_200_000  # a history committed again years later
EDITED_SHAPES = SHAPES_PY + "\n\nUNIT = 1.0\n"  # another blob: matched by regions, not whole


def dates(f) -> tuple:
    return (f.date, f.author_date, f.first_date, f.first_author_date)


def test_author_dates_are_kept_with_the_committer_dates(store, tmp_path):
    """kjanko/python-fingerprint-recognition issue 17: a rewritten upstream keeps its author
    dates; the index hands both to who-had-it-first, the whole file's and each region's."""
    git_repo(tmp_path / "up", [(ALPHA, "shapes and words", (AUTHORED, COMMITTED))])
    index_source(store, open_source(tmp_path / "up", ref="main"), info("up", ref=None))
    shapes = blob_id(SHAPES_PY.encode())
    [held] = store.files_of_blobs([shapes])[shapes]
    assert dates(held) == (COMMITTED, AUTHORED, COMMITTED, AUTHORED)
    _, files, _ = store.upstream_contents("up")  # what an export copies
    assert {dates(f) for f in files} == {dates(held)}
    for copy in (SHAPES_PY, EDITED_SHAPES):
        matches = scan(store, tmp_path, {"copy.py": copy})
        assert matches
        assert {(m.upstream_date, m.upstream_author_date) for m in matches} \
            == {(COMMITTED, AUTHORED)}


def _index_as_before_author_dates(store_location: str, root: Path, name: str,
                                  monkeypatch) -> None:
    """Index ``root`` as attrib did (schema 5) before author dates were kept."""
    redis = store_location.startswith("redis://")
    if redis:
        from attrib.engine.index import redis as backend

        # a file row and a blob holder as they were written then
        monkeypatch.setattr(backend, "_meta", lambda f: [f.date, f.commit, f.author, f.first_date])
        monkeypatch.setattr(backend, "_where", lambda name, path, meta, version: json.dumps(
            [name, path, *meta, version]))
    store = open_store(store_location, create=True)
    index_source(store, open_source(root, ref="main"), info(name, ref=None))
    store.close()
    monkeypatch.undo()
    if not redis:  # the files table as it was made then
        with sqlite3.connect(store_location) as conn:
            conn.execute("ALTER TABLE files DROP COLUMN author_date")
            conn.execute("ALTER TABLE files DROP COLUMN first_author_date")
        conn.close()


def test_an_index_written_before_author_dates_reads_them_as_unknown(store_location, tmp_path,
                                                                     monkeypatch):
    git_repo(tmp_path / "old", [(ALPHA, "shapes and words", (AUTHORED, COMMITTED))])
    git_repo(tmp_path / "new", [(BETA, "geometry and queue", (AUTHORED, COMMITTED))])
    _index_as_before_author_dates(store_location, tmp_path / "old", "old", monkeypatch)
    reader = open_store(store_location)  # read-only: nothing on disk changes
    shapes = blob_id(SHAPES_PY.encode())
    assert [dates(f) for f in reader.files_of_blobs([shapes])[shapes]] \
        == [(COMMITTED, None, COMMITTED, None)]
    reader.close()
    store = open_store(store_location, write=True)  # a writer of today adds to it
    index_source(store, open_source(tmp_path / "new", ref="main"), info("new", ref=None))
    got = {f.upstream: dates(f) for f in store.files_of_blobs([shapes])[shapes]}
    assert got == {"old": (COMMITTED, None, COMMITTED, None),
                   "new": (COMMITTED, AUTHORED, COMMITTED, AUTHORED)}
    # a row of either form is dropped with its upstream: the shared blob's holders follow
    store.remove_upstream("old")
    assert [f.upstream for f in store.files_of_blobs([shapes])[shapes]] == ["new"]
    store.remove_upstream("new")
    assert store.files_of_blobs([shapes]) == {} and store.known_blobs([shapes]) == set()
    store.close()


def test_removing_an_upstream_drops_it_and_its_orphan_blobs(store, alpha, beta, tmp_path):
    add(store, alpha, "alpha")
    add(store, beta, "beta")
    store.remove_upstream("beta")
    assert [u.name for u in store.upstreams()] == ["alpha"]
    queue, shapes = blob_id(QUEUE_PY.encode()), blob_id(SHAPES_PY.encode())
    assert store.known_blobs([queue, shapes]) == {shapes}
    assert scan(store, tmp_path, {"copy.py": QUEUE_PY}) == []
    matches = scan(store, tmp_path, {"copy.py": SHAPES_PY})
    assert matches and all((m.upstream, m.also_in) == ("alpha", ()) for m in matches)
    store.remove_upstream("alpha")
    assert store.upstreams() == [] and store.known_blobs([queue, shapes]) == set()
    assert scan(store, tmp_path, {"copy.py": SHAPES_PY}) == []
    assert leftovers(store) == {}


def test_a_band_key_held_by_many_fragments_keeps_all_of_them(store, tmp_path):
    """24 files hold the same function: its band keys outgrow a Redis bucket field (16 ids)
    and spill into sets; queries see every holder, and removals take them back out."""
    def copies(name: str, n: int) -> Path:
        files = {f"{name}/m{i}.py": f"# copy {i} of {name}\n" + SHAPES_PY for i in range(n)}
        return write_tree(tmp_path / name, files)

    first, second = copies("first", 12), copies("second", 12)
    [parsed, *_] = parse_source(open_source(first)).files
    record = fingerprint(parsed, store.params)
    row = [i for i, idx in enumerate(record.fragment_rows)
           if parsed.fragments[idx].name == "polygon_area"]
    keys = record.band_keys[row]

    def holders() -> set[str]:
        found = store.query(keys, min_bands=store.params.bands).get(0, {})
        return {blob for blob, _ in found}

    add(store, first, "first")
    assert len(holders()) == 12
    add(store, second, "second")
    assert len(holders()) == 24
    if type(store).__name__ == "RedisStore":  # 24 ids (96 bytes) inline would turn a bucket
        # into a hash table; spilled, every bucket keeps Redis's compact encoding
        buckets = list(store.client.scan_iter(match=store.keys.lsh + b"*"))
        assert buckets and {store.client.object("encoding", b) for b in buckets} == {b"listpack"}
        assert list(store.client.scan_iter(match=store.keys.spill + b"*"))
    store.remove_upstream("first")
    assert holders() == {f.blob_id for f in open_source(second).files}
    add(store, first, "first")  # added again, beside what is now a spilled set
    assert len(holders()) == 24
    store.remove_upstream("second")
    store.remove_upstream("first")
    assert holders() == set() and leftovers(store) == {}


def test_tied_candidates_are_the_same_whichever_store_holds_them(tmp_path, redis_server):
    """30 upstream files tie for a suspect function, and a file gets 24 candidates: the
    same 24 (the lowest blob ids) from SQLite and from Redis, whatever order each store
    returns its fragments in."""
    from conftest import fresh_redis_location
    from attrib.engine.candidates import candidates
    from attrib.engine.verify import MatchOptions

    files = {f"m{i}.py": f"# copy {i}\n" + SHAPES_PY for i in range(30)}
    root = write_tree(tmp_path / "many", files)
    suspect = parse_source(open_source(write_tree(tmp_path / "suspect",
                                                  {"copy.py": SHAPES_PY}))).files
    everyone = sorted(f.blob_id for f in open_source(root).files)
    got = []
    for location in (str(tmp_path / "index.sqlite"), fresh_redis_location(redis_server)):
        store = open_store(location, create=True)
        try:
            add(store, root, "many")
            got.append(candidates(store, suspect, store.params, MatchOptions())[0])
        finally:
            store.close()
    assert got[0] == got[1] == everyone[:MatchOptions().max_candidates]


def leftovers(store: Store) -> dict[str, int]:
    """What an empty index still holds besides its parameters: nothing, if removal cleans up."""
    if type(store).__name__ == "SqliteStore":
        tables = ("upstreams", "files", "blobs", "fragments", "lsh")
        counts = {t: store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    else:
        keys = store.client.keys(store.keys.prefix + b"*")
        counters = (store.keys.meta, store.keys.gen, store.keys.next_fid)
        counts = {k.decode(): 1 for k in keys if k not in counters}
    return {k: n for k, n in counts.items() if n}


def test_removing_an_unknown_upstream_is_an_error(store):
    with pytest.raises(IndexError_, match="no upstream named 'ghost'"):
        store.remove_upstream("ghost")


def test_index_built_with_other_parameters_is_refused(store, alpha, store_location):
    add(store, alpha, "alpha")
    other = dataclasses.replace(store.params, k=store.params.k + 1)
    with pytest.raises(IndexError_, match=r"other fingerprint parameters: k=") as err:
        type(store).open(store_location, params=other)
    assert "\n" not in str(err.value)


def test_missing_index_is_an_error_without_create(store_location):
    with pytest.raises(IndexError_, match="no index here"):
        open_store(store_location)
    open_store(store_location, create=True).close()
    open_store(store_location).close()


def test_interrupted_add_leaves_the_index_as_it_was(store, alpha, beta, tmp_path, monkeypatch):
    add(store, alpha, "alpha")
    before = (store.upstreams(), scan(store, tmp_path, {"copy.py": SHAPES_PY}))

    def interrupted(records):  # the second blob never arrives: Ctrl-C mid-write
        yield records[0]
        raise KeyboardInterrupt

    for name, root in (("alpha", alpha), ("beta", beta)):  # a replacement, and a new upstream
        files = list(open_source(root).files)
        records = [fingerprint(p, store.params) for p in parse_source(open_source(root)).files]
        indexed = [IndexedFile(name, f.path, f.blob_id, None, None, None) for f in files]
        with pytest.raises(KeyboardInterrupt):
            store.add_upstream(info(name, license="GPL-3.0"), indexed, interrupted(records))
    assert (store.upstreams(), scan(store, tmp_path, {"copy.py": SHAPES_PY})) == before
    assert store.known_blobs([blob_id(QUEUE_PY.encode())]) == set()


@pytest.fixture
def redis_store(redis_server):
    from conftest import fresh_redis_location

    s = open_store(fresh_redis_location(redis_server), create=True)
    yield s
    s.close()


def test_interrupted_redis_transaction_applies_nothing(redis_store, alpha, beta, tmp_path,
                                                        monkeypatch):
    """Interrupted after band entries were queued in the MULTI: Redis never sees EXEC."""
    store = redis_store
    add(store, alpha, "alpha")
    gen = store.client.get(store.keys.gen)
    real_queue, calls = store._queue_bands, []

    def queue_then_interrupt(pipe, changes):
        calls.append(changes)
        real_queue(pipe, changes)
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_queue_bands", queue_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        add(store, beta, "beta")
    monkeypatch.undo()
    assert store.client.get(store.keys.gen) == gen
    assert [u.name for u in store.upstreams()] == ["alpha"]
    assert scan(store, tmp_path, {"copy.py": QUEUE_PY}) == []
    add(store, beta, "beta")  # the connection is still usable
    assert [u.name for u in store.upstreams()] == ["alpha", "beta"]


def _add_in_process(location: str, root: str, name: str, start) -> None:
    start.wait(timeout=60)
    store = open_store(location, create=True)
    try:
        index_source(store, open_source(root), info(name))
    finally:
        store.close()


def test_two_processes_adding_at_once_both_succeed(store_location, tmp_path):
    trees = {f"up{i}": write_tree(tmp_path / f"up{i}", {f"m{i}/{k}": v for k, v in tree.items()})
             for i, tree in enumerate((ALPHA, BETA, {"q.py": QUEUE_PY, "w.py": WORDS_PY}))}
    open_store(store_location, create=True).close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(len(trees))
    procs = [ctx.Process(target=_add_in_process, args=(store_location, str(root), name, start))
             for name, root in trees.items()]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    store = open_store(store_location)
    try:
        assert [u.name for u in store.upstreams()] == sorted(trees)
        holders = store.files_of_blobs([blob_id(QUEUE_PY.encode())])[blob_id(QUEUE_PY.encode())]
        assert sorted(f.upstream for f in holders) == ["up1", "up2"]
    finally:
        store.close()
    if not store_location.startswith("redis://"):
        with sqlite3.connect(store_location) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_corrupt_sqlite_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "index.sqlite"
    path.write_bytes(b"not a database, just some junk bytes " * 100)
    with pytest.raises(IndexError_, match="index.sqlite") as err:
        open_store(str(path))
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_unreachable_redis_is_a_one_line_error():
    pytest.importorskip("redis")
    from conftest import _free_port

    location = f"redis://127.0.0.1:{_free_port()}/0"
    with pytest.raises(IndexError_) as err:
        open_store(location)
    assert str(err.value).startswith(f"{location}: cannot connect (")
    assert "\n" not in str(err.value)


def test_missing_redis_client_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    with pytest.raises(AttribError, match=r"pip install 'attrib\[redis\]'"):
        open_store("redis://127.0.0.1:6379/0")


def test_redis_basenames_keep_indexes_apart(redis_server, alpha):
    from conftest import fresh_redis_location

    location = fresh_redis_location(redis_server)
    first = open_store(location, create=True)
    second = open_store(f"{location}?basename=team", create=True)
    try:
        add(first, alpha, "alpha")
        assert second.upstreams() == []
        assert second.known_blobs([blob_id(SHAPES_PY.encode())]) == set()
        assert [u.name for u in first.upstreams()] == ["alpha"]
    finally:
        first.close()
        second.close()


def test_a_new_redis_index_takes_its_bucket_bits_from_the_location(redis_server, alpha,
                                                                   tmp_path):
    """?bucket_bits=N sets how a new index buckets its band keys (a bigger index wants more);
    it is kept in the index, and asking another of an existing index is one line."""
    from conftest import fresh_redis_location

    location = fresh_redis_location(redis_server)
    store = open_store(f"{location}?bucket_bits=20", create=True)
    try:
        add(store, alpha, "alpha")
        buckets = {int(k.rsplit(b":", 1)[1]) for k in store.client.scan_iter(
            match=store.keys.lsh + b"*")}
        assert buckets and max(buckets) >= 1 << 18 and max(buckets) < 1 << 20
        assert scan(store, tmp_path, {"copy.py": SHAPES_PY})
    finally:
        store.close()
    again = open_store(location)  # read with the bits it was made with
    try:
        assert again.bucket_bits == 20 and scan(again, tmp_path, {"copy.py": SHAPES_PY})
    finally:
        again.close()
    for asked, message in (("18", "was created with bucket_bits=20; bucket_bits=18 applies "
                                  "only to a new index"),
                           ("40", "bucket_bits='40' is not a whole number from 12 to 24")):
        with pytest.raises(IndexError_) as err:
            open_store(f"{location}?bucket_bits={asked}")
        assert message in str(err.value) and "\n" not in str(err.value)


def test_redis_password_is_not_shown(redis_server):
    with pytest.raises(IndexError_) as err:
        open_store(f"redis://user:s3cret@127.0.0.1:{redis_server.port}/0")
    assert "s3cret" not in str(err.value) and "***" in str(err.value)


def test_a_write_that_lands_mid_removal_is_not_lost(redis_store, alpha, beta, tmp_path,
                                                     monkeypatch):
    """WATCH: beta is added (reusing alpha's shapes blob) while alpha's removal reads."""
    store = redis_store
    add(store, alpha, "alpha")
    other = open_store(store.location, create=True)
    real_removals = store._band_removals

    def removals_after_a_concurrent_add(orphans):
        if "beta" not in [u.name for u in other.upstreams()]:
            add(other, beta, "beta")
        return real_removals(orphans)

    monkeypatch.setattr(store, "_band_removals", removals_after_a_concurrent_add)
    try:
        store.remove_upstream("alpha")
    finally:
        other.close()
    assert [u.name for u in store.upstreams()] == ["beta"]
    assert store.known_blobs([blob_id(SHAPES_PY.encode()), blob_id(WORDS_PY.encode())]) == \
        {blob_id(SHAPES_PY.encode())}
    matches = scan(store, tmp_path, {"copy.py": SHAPES_PY})
    assert matches and all(m.upstream == "beta" for m in matches)


def test_a_blob_removed_while_indexing_is_parsed_after_all(store, beta, tmp_path, store_location):
    """Between ``known_blobs`` and ``add_upstream`` another writer drops a blob the add reuses."""
    add(store, beta, "beta")
    other = open_store(store_location, write=True)
    real_known = store.known_blobs

    def known_then_removed(ids):
        known = real_known(ids)
        if other.upstreams():
            other.remove_upstream("beta")
        return known

    store.known_blobs = known_then_removed
    try:
        add(store, write_tree(tmp_path / "gamma", {"q.py": QUEUE_PY, "w.py": WORDS_PY}), "gamma")
    finally:
        del store.known_blobs
        other.close()
    assert [u.name for u in store.upstreams()] == ["gamma"]
    matches = scan(store, tmp_path, {"copy.py": QUEUE_PY})
    assert matches and all(m.upstream == "gamma" for m in matches)


def test_a_scan_sees_the_index_before_a_concurrent_add_not_half_of_it(store, alpha, beta,
                                                                      tmp_path, store_location):
    """A reader's first read pins its view: an upstream added meanwhile is not seen at all."""
    add(store, alpha, "alpha")
    reader = open_store(store_location)
    try:
        reader.files_of_blobs([blob_id(SHAPES_PY.encode())])  # the scan's first read
        add(store, beta, "beta")  # lands mid-scan; beta also holds shapes.py
        assert [u.name for u in reader.upstreams()] == ["alpha"]
        assert scan(reader, tmp_path, {"copy.py": QUEUE_PY}) == []
        holders = reader.files_of_blobs([blob_id(SHAPES_PY.encode())])
        assert [f.upstream for f in holders[blob_id(SHAPES_PY.encode())]] == ["alpha"]
    finally:
        reader.close()
    after = open_store(store_location)
    try:
        assert [u.name for u in after.upstreams()] == ["alpha", "beta"]
        assert {m.upstream for m in scan(after, tmp_path, {"copy.py": QUEUE_PY})} == {"beta"}
    finally:
        after.close()


def test_an_index_of_the_previous_schema_is_refused_with_what_to_do(store_location, alpha):
    store = open_store(store_location, create=True)
    add(store, alpha, "alpha")
    store.close()
    if store_location.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(store_location)
        client.hset("attrib:meta", "schema", "3")
        client.close()
    else:
        with sqlite3.connect(store_location) as conn:
            conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
        conn.close()
    with pytest.raises(IndexError_) as err:
        open_store(store_location)
    message = str(err.value)
    assert "schema 3 was written by an older attrib" in message and "rebuild it" in message
    assert "\n" not in message


def test_exported_fragments_carry_the_minhash_values_their_tokens_give(store, alpha):
    """The index keeps no MinHash values; what an export hands on is recomputed, identical."""
    add(store, alpha, "alpha")
    _, _, records = store.upstream_contents("alpha")
    parsed = {p.blob_id: p for p in parse_source(open_source(alpha)).files}
    for record in records:
        fresh = fingerprint(parsed[record.blob_id], store.params)
        assert record.fragment_rows == fresh.fragment_rows
        assert (record.minhashes == fresh.minhashes).all()
        assert (record.band_keys == fresh.band_keys).all()
        assert ((record.band_keys >= -2 ** 31) & (record.band_keys < 2 ** 31)).all()
    assert sum(len(r.fragment_rows) for r in records) > 0
