# SPDX-License-Identifier: Apache-2.0
"""Matching: disguised copies are found with evidence; unrelated code and boilerplate are not."""
from __future__ import annotations

import textwrap

from attrib.engine.index.sqlite import SqliteStore
from attrib.engine.indexing import index_source
from attrib.model import UpstreamInfo
from attrib.scan import compare_sources, scan_source
from attrib.engine.sources import open_source

from helpers import COPY_PY, UNRELATED_PY, UPSTREAM_PY, git_repo, write_tree


def compare(tmp_path, suspect: dict, upstream: dict):
    s = write_tree(tmp_path / "suspect", suspect)
    u = write_tree(tmp_path / "upstream", upstream)
    return compare_sources(open_source(s), open_source(u), "up")


def by_name(report):
    return {n: m for m in report.matches for n in m.names}


def test_renamed_reformatted_reordered_copy_is_found_function_by_function(tmp_path):
    report = compare(tmp_path, {"pool.py": COPY_PY}, {"grid.py": UPSTREAM_PY})
    found = by_name(report)
    assert {"Pooler.__init__", "Pooler.aggregate", "Pooler.grow", "make_table",
            "mesh_points"} <= set(found)
    m = found["make_table"]
    assert (m.upstream, m.upstream_path) == ("up", "grid.py")
    upstream_lines = UPSTREAM_PY.splitlines()
    assert upstream_lines[m.upstream_start_line - 1].startswith("def sincos_table")
    assert COPY_PY.splitlines()[m.start_line - 1].startswith("def make_table")
    renames = dict(m.renames)
    assert renames["embed_dim"] == "dim" and renames["omega"] == "freq"
    assert dict(found["Pooler.aggregate"].renames)["ensure_cache"] == "grow"
    assert m.evidence and m.evidence[0].upstream_start_line >= m.upstream_start_line


def test_clone_types(tmp_path):
    exact = compare(tmp_path / "a", {"g.py": UPSTREAM_PY}, {"g.py": UPSTREAM_PY})
    assert {m.clone_type for m in exact.matches} == {"exact"}
    renamed_only = UPSTREAM_PY.replace("sincos_table", "table_of").replace("omega", "w")
    renamed = compare(tmp_path / "b", {"g.py": renamed_only}, {"g.py": UPSTREAM_PY})
    assert "renamed" in {m.clone_type for m in renamed.matches}
    assert ("sincos_table", "table_of") in {r for m in renamed.matches for r in m.renames}
    edited = compare(tmp_path / "c", {"p.py": COPY_PY}, {"g.py": UPSTREAM_PY})
    assert "edited" in {m.clone_type for m in edited.matches}


def test_unrelated_code_does_not_match(tmp_path):
    report = compare(tmp_path, {"inv.py": UNRELATED_PY}, {"grid.py": UPSTREAM_PY})
    assert report.matches == ()


BOILERPLATE_A = textwrap.dedent('''\
    import argparse
    from .core import run, Config, Runner, load, save

    MIRRORS = [
        "https://a.example.org/data/v1/archive.tar.gz",
        "https://b.example.org/data/v1/archive.tar.gz",
        "https://c.example.org/data/v1/archive.tar.gz",
        "https://d.example.org/data/v1/archive.tar.gz",
        "https://e.example.org/data/v1/archive.tar.gz",
    ]


    class Options:
        def __init__(self, path, verbose=False):
            self.path = path
            self.verbose = verbose


    def parse_args(argv=None):
        parser = argparse.ArgumentParser(description="Fetch the data set.")
        parser.add_argument("--output", type=str, default="out", help="where to write")
        parser.add_argument("--verbose", action="store_true", help="say more")
        parser.add_argument("--retries", type=int, default=3, help="how often to retry")
        return parser.parse_args(argv)


    def main():
        args = parse_args()
        print(args.output)


    if __name__ == "__main__":
        main()
''')
BOILERPLATE_B = textwrap.dedent('''\
    import argparse
    from .engine import start, Settings, Worker, read, write

    LABELS = [
        "cat: a small domesticated carnivorous mammal",
        "dog: a domesticated descendant of the wolf",
        "owl: a solitary and nocturnal bird of prey",
        "eel: an elongated ray-finned fish species",
        "elk: one of the largest species of deer",
    ]


    class Settings:
        def __init__(self, root, debug=False):
            self.root = root
            self.debug = debug


    def cli(argv=None):
        p = argparse.ArgumentParser(description="Train the classifier.")
        p.add_argument("--epochs", type=int, default=10, help="passes over the data")
        p.add_argument("--debug", action="store_true", help="print internals")
        p.add_argument("--rate", type=float, default=0.1, help="learning rate")
        return p.parse_args(argv)


    def run():
        options = cli()
        print(options.epochs)


    if __name__ == "__main__":
        run()
''')


def test_boilerplate_alone_makes_no_match(tmp_path):
    report = compare(tmp_path, {"b/__init__.py": BOILERPLATE_B, "b/x.py": BOILERPLATE_B},
                     {"a/__init__.py": BOILERPLATE_A, "a/y.py": BOILERPLATE_A})
    assert report.matches == ()


def test_file_summary_reports_the_derived_share(tmp_path):
    report = compare(tmp_path, {"pool.py": COPY_PY, "inv.py": UNRELATED_PY},
                     {"grid.py": UPSTREAM_PY})
    [summary] = report.files
    assert summary.path == "pool.py"
    assert summary.derived_lines / summary.lines > 0.7
    assert summary.upstreams[0][0] == "up"


def test_the_upstream_that_had_the_code_first_gets_the_credit(tmp_path):
    older = tmp_path / "older"
    newer = tmp_path / "newer"
    git_repo(older, [({"grid.py": UPSTREAM_PY}, "add grid", 1_500_000_000)])
    git_repo(newer, [({"README.md": "x\n"}, "init", 1_400_000_000),
                     ({"vendored_grid.py": UPSTREAM_PY}, "take grid", 1_650_000_000)])
    store = SqliteStore.open(str(tmp_path / "idx.sqlite"), create=True)
    for name, root in (("newer", newer), ("older", older)):
        index_source(store, open_source(root, ref="HEAD"), UpstreamInfo(name, str(root), "HEAD",
                                                                         None, "MIT"))
    suspect = write_tree(tmp_path / "s", {"pool.py": COPY_PY})
    report = scan_source(store, open_source(suspect))
    store.close()
    assert report.matches
    for m in report.matches:
        assert m.upstream == "older"
        assert m.also_in == ("newer",)
        assert m.upstream_date == 1_500_000_000


def test_undecodable_and_unparsable_files_are_skips_and_the_scan_goes_on(tmp_path):
    report = compare(tmp_path, {"pool.py": COPY_PY, "latin.py": "x = 'caf\xe9'\n".encode("latin-1"),
                                "broken.py": "def f(:\n"},
                     {"grid.py": UPSTREAM_PY})
    assert any(s.path == "latin.py" and "UTF-8" in s.reason for s in report.skipped)
    assert report.matches


JS_UPSTREAM = """
export function tokenize(source, options) {
  const tokens = [];
  let position = 0;
  while (position < source.length) {
    const ch = source[position];
    if (/\\s/.test(ch)) { position += 1; continue; }
    if (/[0-9]/.test(ch)) {
      let end = position;
      while (end < source.length && /[0-9.]/.test(source[end])) end += 1;
      tokens.push({ kind: "number", text: source.slice(position, end), at: position });
      position = end;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let end = position;
      while (end < source.length && /[A-Za-z0-9_]/.test(source[end])) end += 1;
      const word = source.slice(position, end);
      tokens.push({ kind: options.keywords.has(word) ? "keyword" : "name", text: word, at: position });
      position = end;
      continue;
    }
    tokens.push({ kind: "punct", text: ch, at: position });
    position += 1;
  }
  return tokens;
}
"""


def test_javascript_copy_inside_a_longer_file_is_found_by_window(tmp_path):
    renamed = (JS_UPSTREAM.replace("tokenize", "lexAll").replace("position", "pos")
               .replace("tokens", "out").replace("source", "src").replace("word", "ident"))
    filler = "\n".join(f"export const constant{i} = {{ id: {i}, label: 'item {i}' }};"
                       for i in range(120))
    report = compare(tmp_path, {"bundle.js": filler + "\n" + renamed + "\n" + filler},
                     {"lexer.js": JS_UPSTREAM})
    assert report.matches
    m = report.matches[0]
    assert m.upstream_path == "lexer.js"
    start = (filler + "\n").count("\n") + 1
    assert m.start_line <= start + 5 and m.end_line >= start + 20


JS_SKILL = """\
const player = require("./player");

function restartVideo(handler, token) {
  const position = handler.attributes.offset || 0;
  handler.response.audioPlayerPlay("REPLACE_ALL", handler.attributes.url, token, null, position);
  handler.attributes.playing = true;
  handler.emit(":responseReady");
}

function waitForVideo(handler, attempts) {
  let waited = 0;
  while (!handler.attributes.ready && waited < attempts) {
    waited += 1;
    player.sleep(250 * waited);
  }
  handler.response.speak("Still converting, one moment");
  handler.emit(":responseReady");
}
"""

JS_OWN = """\
function shuffleQueue(queue, seed) {
  const order = queue.map((item, i) => ({ item, key: Math.sin(seed + i) }));
  order.sort((a, b) => a.key - b.key);
  return order.map((entry) => entry.item);
}
"""


def test_a_copied_javascript_function_is_found_as_a_function_beside_the_copiers_own(tmp_path):
    """Brace languages get function units: a 40-line window would mix the copy with its neighbours."""
    renamed = (JS_SKILL.replace("restartVideo", "replayClip").replace("waitForVideo", "holdOn")
               .replace("handler", "ctx").replace("waited", "tries").replace("position", "pos"))
    suspect = JS_OWN + "\n" + renamed.split("\n\n", 1)[1] + "\n" + JS_OWN.replace("shuffle", "mix")
    report = compare(tmp_path, {"skill.js": suspect}, {"index.js": JS_SKILL})
    found = by_name(report)
    assert {"replayClip", "holdOn"} <= set(found)
    assert not {"shuffleQueue", "mixQueue"} & set(found)
    assert dict(found["replayClip"].renames).get("restartVideo") == "replayClip"


GO_TEST_A = """\
func TestDistance(t *testing.T) {
	for _, testCase := range testCases {
		distance := Distance([]rune(testCase.source), []rune(testCase.target), testCase.options)
		if distance != testCase.distance {
			t.Log("Distance between", testCase.source, "and", testCase.target, "computed as", distance)
			t.Fail()
		}
	}
}
"""

GO_TEST_B = """\
func BenchmarkAll(b *testing.B) {
	for _, test := range tests {
		b.Run("case="+test.name, func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				tmp = levenshtein.ComputeDistance(test.a, test.b, test.weights)
			}
			b.ReportAllocs()
		})
	}
}
"""


def test_independent_go_test_loops_do_not_match(tmp_path):
    """Members only reached through a dot (t.Fail, b.Run) belong to an outside API and stay verbatim."""
    report = compare(tmp_path, {"a_test.go": "package a\n\n" + GO_TEST_A},
                     {"b_test.go": "package b\n\n" + GO_TEST_B})
    assert report.matches == ()


def test_verification_forked_over_workers_finds_what_one_process_finds(tmp_path, monkeypatch):
    import attrib.engine.verify as verify

    suspect = {"pool.py": COPY_PY, "other.py": UNRELATED_PY, "again/pool2.py": COPY_PY}
    upstream = {"grid.py": UPSTREAM_PY, "misc.py": UNRELATED_PY}
    s = write_tree(tmp_path / "suspect", suspect)
    u = write_tree(tmp_path / "upstream", upstream)

    def run(workers: str):
        monkeypatch.setenv("ATTRIB_WORKERS", workers)
        report = compare_sources(open_source(s), open_source(u), "up")
        return sorted((m.path, m.start_line, m.end_line, m.upstream_path,
                       m.upstream_start_line, round(m.similarity, 6), tuple(m.renames))
                      for m in report.matches)

    serial = run("1")
    forks = []
    real_pool = __import__("multiprocessing").get_context("fork").Pool

    def counting_pool(*args, **kwargs):
        forks.append(args)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(verify, "PARALLEL_TOKENS", 0)
    monkeypatch.setattr("multiprocessing.context.ForkContext.Pool",
                        lambda self, *a, **k: counting_pool(*a, **k))
    parallel = run("2")
    assert forks, "the verification never forked: the test compares nothing"
    assert serial and parallel == serial


RING_IPP = """\
template <typename T>
void ring<T>::push(const T& value) {
    if (count_ == capacity_) {
        head_ = (head_ + 1) % capacity_;
        --count_;
    }
    slots_[(head_ + count_) % capacity_] = value;
    ++count_;
}

template <typename T>
bool ring<T>::pop(T& out) {
    if (count_ == 0) {
        return false;
    }
    out = slots_[head_];
    head_ = (head_ + 1) % capacity_;
    --count_;
    return true;
}

template <typename T>
std::size_t ring<T>::drain(std::vector<T>& into, std::size_t limit) {
    std::size_t taken = 0;
    T item;
    while (taken < limit && pop(item)) {
        into.push_back(item);
        ++taken;
    }
    return taken;
}
"""

CIRCULAR_INL = """\
template <typename E>
void circular<E>::append(const E& e)
{
    if (size_ == cap_)
    {
        start_ = (start_ + 1) % cap_;
        --size_;
    }
    buf_[(start_ + size_) % cap_] = e;
    ++size_;
}

template <typename E>
bool circular<E>::take(E& result)
{
    if (size_ == 0)
        return false;
    result = buf_[start_];
    start_ = (start_ + 1) % cap_;
    --size_;
    return true;
}

template <typename E>
std::size_t circular<E>::flush(std::vector<E>& sink, std::size_t most)
{
    std::size_t n = 0;
    E e;
    while (n < most && take(e))
    {
        sink.push_back(e);
        ++n;
    }
    return n;
}
"""


def test_a_copy_kept_in_a_cpp_implementation_file_is_found(tmp_path):
    # template and inline definitions live in .ipp/.inl/.tpp files (mio, Boost): a copy
    # there, renamed and re-braced, is code like any .cpp
    report = compare(tmp_path, {"include/circular.inl": CIRCULAR_INL},
                     {"include/ring/detail/ring.ipp": RING_IPP})
    [match] = report.matches
    assert (match.path, match.upstream_path) == ("include/circular.inl", "include/ring/detail/ring.ipp")
    assert set(match.names) == {"append", "take", "flush"}
