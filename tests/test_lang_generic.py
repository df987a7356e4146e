# SPDX-License-Identifier: Apache-2.0
"""Languages without a grammar: pygments tokens still see through renaming and layout."""
from __future__ import annotations

import pytest

from attrib.engine.lang import generic, language_of

C_A = """
int sum_positive(const int *values, int count) {
    int total = 0;   /* running sum */
    for (int i = 0; i < count; i++) {
        if (values[i] > 0) total += values[i];
    }
    return total;
}
"""
C_B = """
// renamed and reformatted
int add_up(const int *xs, int n)
{
    int acc = 0;
    for (int k = 0; k < n; k++)
    {
        if (xs[k] > 0) acc += xs[k];
    }
    return acc;
}
"""


def test_renaming_and_layout_do_not_change_c_tokens():
    assert generic.parse(C_A, "c")[0].texts == generic.parse(C_B, "c")[0].texts


@pytest.mark.parametrize("path,language", [
    ("a.js", "javascript"), ("a.ts", "typescript"), ("a.c", "c"), ("a.cpp", "cpp"),
    ("mmap.ipp", "cpp"), ("vector.inl", "cpp"), ("list.tpp", "cpp"), ("a.hxx", "cpp"),
    ("A.java", "java"), ("a.go", "go"), ("a.rs", "rust"), ("a.py", "python"), ("a.txt", None),
])
def test_language_table(path, language):
    assert language_of(path) == language


def test_long_files_without_functions_get_window_fragments():
    src = "\n".join(f"total = total + values[{i}] * weight;" for i in range(100))
    stream, frags = generic.parse(src, "javascript")
    windows = [f for f in frags if f.kind == "window"]
    assert frags[0].kind == "module"
    assert len(windows) >= 4
    assert all(f.end_line - f.start_line < generic.WINDOW for f in windows)


JS_HANDLERS = """\
const api = require("./api");
function restartVideo(handler, token) {
  if (token) { handler.emit(":tell", "restarting"); }
  return handler;
}
class Player extends Base {
  constructor(queue) { super(queue); this.queue = queue; }
  next(step) {
    for (let i = 0; i < step; i++) { this.queue.shift(); }
  }
}
module.exports.handler = (event, context) => {
  context.succeed(event);
};
"""


def test_brace_languages_get_function_fragments():
    """A copied function is compared as a function, not inside a window with its neighbours."""
    frags = generic.parse(JS_HANDLERS, "javascript")[1]
    named = {(f.kind, f.name, f.start_line, f.end_line) for f in frags}
    assert ("function", "restartVideo", 2, 5) in named
    assert ("class", "Player", 6, 11) in named
    assert ("function", "Player.next", 8, 10) in named
    assert ("function", "handler", 12, 14) in named
    assert not any(f.kind == "window" for f in frags)
    assert [(f.tok_start, -f.tok_end) for f in frags] == sorted((f.tok_start, -f.tok_end) for f in frags)


@pytest.mark.parametrize("language,src,name,lines", [
    ("go", "package main\n\nfunc (s *Server) Handle(w Writer, r *Request) error {\n"
           "\tif r == nil { return nil }\n\treturn nil\n}\n", "Handle", (3, 6)),
    ("rust", "impl Foo {\n    pub fn new(x: u32) -> Result<Self, Error> {\n"
             "        if x > 0 { Ok(Foo {}) } else { Err(e) }\n    }\n}\n", "Foo.new", (2, 4)),
    ("c", "static int parse(const char *s, size_t n)\n{\n    while (n--) { s++; }\n"
          "    return 0;\n}\n", "parse", (1, 5)),
    ("java", "public class A {\n  public int get(int a) throws IOException {\n"
             "    if (a > 1) { return 1; }\n    return 0;\n  }\n}\n", "A.get", (2, 5)),
])
def test_function_headers_of_each_brace_language(language, src, name, lines):
    frags = generic.parse(src, language)[1]
    spans = {f.name: (f.start_line, f.end_line) for f in frags if f.kind == "function"}
    assert spans.get(name) == lines


def test_control_blocks_and_unbalanced_braces_are_not_functions():
    src = "if (ready(x)) {\n  go(x);\n}\nwhile (more()) { step(); }\n}}{ ( ) {\n"
    frags = generic.parse(src, "javascript")[1]
    assert not any(f.kind == "function" for f in frags)


JAVA_MATCHER = """
public class PolyMatcher {
    public boolean match(String text) {
        for (int i = 0; i < patterns.length; ++i) {
            if (patterns[i].matcher(text).find()) return true;
        }
        return false;
    }

    synchronized (lock) {
        count++;
    }
}
"""
RUST_MATCH = """
fn classify(a: i32, b: i32) -> i32 {
    let kind = match (a, b) {
        (0, _) => 1,
        _ => 2,
    };
    kind
}
"""
JS_WITH = """
function area(shape) {
    with (Math) {
        return PI * shape.r * shape.r;
    }
}
"""


@pytest.mark.parametrize("text,language,names", [
    # `match` is a keyword in Rust only: a Java method of that name is a unit of its own
    (JAVA_MATCHER, "java", {"match"}),
    (RUST_MATCH, "rust", {"classify"}),
    (JS_WITH, "javascript", {"area"}),
])
def test_keyword_like_names_are_functions_only_outside_their_language(text, language, names):
    _, frags = generic.parse(text, language)
    assert {f.name.rpartition(".")[2] for f in frags if f.kind == "function"} == names


CPP_OUT_OF_CLASS = """
namespace grid {
int Options::Read(int argc, const char *const argv[]) {
  count_ = argc;
  for (int i = 1; i < argc; i++) { if (argv[i][0] == '-') Parse(argv[i]); }
  return count_;
}
Options::Options(const char *usage) : verbose_(true), usage_(usage), count_(0) {
  Register("help", &help_, "Print out usage message");
}
}
"""


def test_cpp_methods_defined_outside_their_class_are_functions_by_their_own_name():
    # pygments gives `Options::Read` as one token; a constructor's member initialisers
    # (`count_(0)`) are not its name
    _, frags = generic.parse(CPP_OUT_OF_CLASS, "cpp")
    assert [(f.name.rpartition(".")[2], f.start_line) for f in frags if f.kind == "function"] \
        == [("Read", 3), ("Options", 8)]


JS_TEMPLATE_LITERALS = """\
function outer(options) {
  const label = `item ${options.name} of ${options.count} {not a block}`;
  function inner(a, b) {
    return `${a}${b}`;
  }
  return { label, inner };
}
const after = (x) => {
  return x * 2;
};
"""


def test_a_template_literals_braces_do_not_end_the_function_around_it():
    # pygments lexes `${` and `}` as pieces of the string; the `}` must not close `outer`
    _, frags = generic.parse(JS_TEMPLATE_LITERALS, "javascript")
    spans = {f.name: (f.start_line, f.end_line) for f in frags if f.kind == "function"}
    assert spans == {"outer": (1, 7), "outer.inner": (3, 5), "after": (8, 10)}


def _js_function(name: str, body_lines: int) -> str:
    body = "".join(f"    total = total + values[{i}] * {i + 1};\n" for i in range(body_lines))
    return f"  function {name}(values) {{\n    let total = 0;\n{body}    return total;\n  }}\n"


def _statements(count: int) -> str:
    return "".join(f"  const setting{i} = options.get('key{i}') || {i};\n" for i in range(count))


def test_a_long_function_made_of_functions_is_a_container_of_units():
    # a module pattern: its inner functions are what gets copied, one by one
    src = "const api = (function () {\n" + _js_function("first", 60) + _js_function("second", 60) \
        + "  return { first, second };\n})();\n"
    _, frags = generic.parse(src, "javascript")
    kinds = {f.name: f.kind for f in frags}
    assert kinds["api"] == "class" and kinds["api.first"] == kinds["api.second"] == "function"


def test_a_long_function_with_statements_of_its_own_is_one_function():
    # a plugin factory: half of it is its own statements around two callbacks
    src = "module.exports = function (options) {\n" + _statements(70) + _js_function("a", 20) \
        + _statements(40) + _js_function("b", 20) + "  return { a, b };\n};\n"
    _, frags = generic.parse(src, "javascript")
    [outer] = [f for f in frags if f.start_line == 1 and f.kind != "module"]
    assert outer.kind == "function"
