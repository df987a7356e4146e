# SPDX-License-Identifier: Apache-2.0
"""Python normalisation: what a copier can change must not change the tokens."""
from __future__ import annotations

import textwrap

import pytest

from attrib.engine.lang.python import parse


def tokens(src: str) -> tuple[str, ...]:
    return parse(textwrap.dedent(src))[0].texts


def test_consistent_renaming_gives_the_same_tokens():
    a = tokens("""
        def scale(values, factor):
            total = 0
            for v in values:
                total += v * factor
            return total
    """)
    b = tokens("""
        def multiply_all(xs, k):
            acc = 0
            for item in xs:
                acc += item * k
            return acc
    """)
    assert a == b


def test_layout_comments_docstrings_and_annotations_are_dropped():
    a = tokens("""
        def f(a: int, b: str = "x") -> list:
            '''Docstring.'''
            # a comment
            return [a,
                    b,]
    """)
    b = tokens("""
        def f(a, b='x'):
            return [a, b]
    """)
    assert a == b


def test_redundant_parentheses_do_not_matter():
    assert tokens("x = (a + b)\ny = (1, 2)\n") == tokens("x = a + b\ny = 1, 2\n")


def test_external_api_names_stay_as_evidence():
    texts = tokens("""
        import torch.nn.functional as F
        def up(x, size):
            return F.interpolate(x, size=size, mode="bicubic", align_corners=False)
    """)
    assert "interpolate" in texts
    assert "align_corners" in texts
    assert "'bicubic'" in texts
    # the keyword of the external call stays; our own parameter passed to it is renameable
    joined = " ".join(texts)
    assert "size = $" in joined
    assert "def $ ( $ , $ )" in joined


def test_builtins_and_dunders_are_kept():
    texts = tokens("""
        class A:
            def __init__(self, n):
                super().__init__()
                self.n = len(range(n))
                return f(self)
    """)
    assert {"__init__", "super", "len", "range", "self"} <= set(texts)


def test_a_method_turned_into_a_function_gives_the_same_tokens():
    # the copy flattens a method: ``self.`` receivers and the ``self`` parameter go
    method = tokens("""
        class Tower:
            def encode(self, pixels, scale):
                patches = self.patchify(pixels)
                self.cache = patches * scale
                return self.project(patches, scale=scale)
    """)
    function = tokens("""
        def encode(pixels, scale):
            patches = patchify(pixels)
            cache = patches * scale
            return project(patches, scale=scale)
    """)
    assert method[method.index("def"):-1] == function


def test_keyword_arguments_of_own_functions_are_renameable():
    texts = tokens("""
        def build(depth):
            return depth
        value = build(depth=3)
    """)
    assert "depth" not in texts


def test_literals_are_abstracted_but_keep_lines():
    stream = parse('x = "a long sentence here"\ny = 42\n')[0]
    assert stream.texts == ("$", "=", "S", "$", "=", "N")
    assert stream.lines == (1, 1, 1, 2, 2, 2)
    assert stream.raw[2] == '"a long sentence here"'


def test_fragments_cover_classes_methods_nested_and_decorated_functions():
    _, frags = parse(textwrap.dedent("""\
        class Outer:
            @staticmethod
            def helper(x):
                def inner(y):
                    return y
                return inner(x)

        @decorate
        def top():
            pass
    """))
    spans = {(f.kind, f.name): (f.start_line, f.end_line) for f in frags}
    assert spans[("class", "Outer")] == (1, 6)
    assert spans[("function", "Outer.helper")] == (2, 6)
    assert spans[("function", "Outer.helper.inner")] == (4, 5)
    assert spans[("function", "top")] == (8, 10)
    assert ("module", "<module>") in spans


def test_every_fragment_slice_lies_within_the_stream():
    stream, frags = parse("def f():\n    return 1\n\nclass C:\n    x = 1\n")
    for f in frags:
        assert 0 <= f.tok_start <= f.tok_end <= len(stream.texts)


@pytest.mark.parametrize("src", ["", "\n\n", "# only a comment\n", "def broken(:\n  pass\n"])
def test_degenerate_sources_parse_without_error(src):
    stream, frags = parse(src)
    assert frags[0].kind == "module"
    assert len(stream.texts) == len(stream.lines) == len(stream.raw)
