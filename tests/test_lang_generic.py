# SPDX-License-Identifier: Apache-2.0
"""Languages without a grammar: pygments tokens still see through renaming and layout."""
from __future__ import annotations

import pytest

from attrib.lang import generic, language_of

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
    ("A.java", "java"), ("a.go", "go"), ("a.rs", "rust"), ("a.py", "python"), ("a.txt", None),
])
def test_language_table(path, language):
    assert language_of(path) == language


def test_long_files_get_window_fragments():
    src = "\n".join(f"function f{i}(a) {{ return a + {i}; }}" for i in range(100))
    stream, frags = generic.parse(src, "javascript")
    windows = [f for f in frags if f.kind == "window"]
    assert frags[0].kind == "module"
    assert len(windows) >= 4
    assert all(f.end_line - f.start_line < generic.WINDOW for f in windows)
