# SPDX-License-Identifier: Apache-2.0
"""Function and class fragments of brace languages, found in their pygments tokens.

JavaScript/TypeScript, C/C++, Java, Go and Rust have no grammar here, but
their functions have one shape: a header that ends in ``)`` (or ``=>``), at
most a few tokens of return type or qualifiers, then a ``{`` block.  Finding
those blocks gives the brace languages the same unit a reviewer compares
(a function beside its origin) instead of 40-line windows that mix a copied
function with its neighbours (a real copy of two handlers in a JavaScript
skill was missed for that reason).

This works on the token stream alone, so it is linear, never raises on odd
input (unbalanced braces just end the search), and needs no grammar package.
"""
from __future__ import annotations

from ...model import Fragment, TokenStream

# tokens after ``)`` that may stand before a function body: qualifiers, return types
_MAX_TAIL = 16
# words that open a block like a call in every brace language: never a function's name
_CONTROL = frozenset({"if", "for", "while", "switch", "catch", "return", "sizeof", "foreach",
                      "elif", "else", "do", "try", "typeof", "new"})
# words that are keywords in some languages only (Rust's `match (a, b) {`, Java's
# `synchronized (lock) {`, JavaScript's `with (o) {`) and ordinary method names in the others
# (gorp's Java `boolean match(String s) {`): a keyword where the language has it, a name
# elsewhere, and a name everywhere when a return type or modifier stands before it
_SOME_CONTROL: dict[str, frozenset[str]] = {
    "rust": frozenset({"match", "loop", "await", "yield"}),
    "java": frozenset({"synchronized", "yield", "case"}),
    "javascript": frozenset({"with", "await", "yield", "case"}),
    "typescript": frozenset({"with", "await", "yield", "case"}),
    "c": frozenset({"case"}),
    "cpp": frozenset({"case", "co_await", "co_yield", "co_return"}),
    "go": frozenset({"case", "select"}),
}
_ANY_CONTROL = frozenset().union(*_SOME_CONTROL.values())
# tokens before a keyword-like name that still make it a statement, not a declaration
_NOT_A_TYPE = _CONTROL | _ANY_CONTROL | frozenset({"let", "const", "var", "val", "auto", "await",
                                                   "throw", "in", "of", "and", "or", "not"})
_CLASS_WORDS = frozenset({"class", "struct", "interface", "impl", "trait", "enum", "union",
                          "namespace", "object", "module"})
_STOP = frozenset({";", "{", "}"})
_DECL = frozenset({"function", "func", "fn", "def", "sub", "fun"})
# a function that holds several functions and is this long is a container (an IIFE, a
# module pattern, a test suite): its inner functions are the units, like a class's methods
_CONTAINER_LINES = 120


def fragments(stream: TokenStream, language: str = "") -> list[Fragment]:
    """Function and class fragments, sorted the way units() expects (start, then outer first)."""
    raw = stream.raw
    control = _SOME_CONTROL.get(language, _ANY_CONTROL)
    found: list[tuple[int, int, str, str]] = []  # (tok_start, tok_end, kind, name)
    stack: list[int] = []
    # a brace is a token of its own; the ``}`` closing a template literal's ``${...}`` is a
    # piece of the string (its text is "S"), which would close the function around it
    for i, tok in enumerate(stream.texts):
        if tok == "{":
            stack.append(i)
        elif tok == "}" and stack:
            opened = stack.pop()
            head = _header(raw, stream.lines, opened, control)
            if head is not None:
                start, kind, name = head
                found.append((start, i + 1, kind, name))
    found.sort(key=lambda f: (f[0], -f[1]))
    return _named(stream, _containers(stream, found))


def _header(raw: tuple[str, ...], lines: tuple[int, ...], brace: int,
            control: frozenset[str] = _ANY_CONTROL) -> tuple[int, str, str] | None:
    """(first token, kind, name) of the declaration whose body opens at ``brace``, else None."""
    start = _statement_start(raw, lines, brace)
    words = raw[start:brace]
    for j, word in enumerate(words):
        if word in _CLASS_WORDS and j + 1 < len(words) and _is_name(words[j + 1]):
            return start, "class", words[j + 1]
    if brace > 0 and raw[brace - 1] == "=>":
        return start, "function", _arrow_name(raw, start, brace - 1)
    close = _last_paren(raw, start, brace)
    if close is None:
        return None
    close = _before_initialisers(raw, start, close)
    opened = _matching_open(raw, close, start)
    if opened is None or opened == start:
        return None
    before = _last_part(raw[opened - 1])
    if opened >= 2 and raw[opened - 2] in _DECL and _is_name(before):
        return start, "function", before  # `fn new(`, `func Handle(`: a name, even `new`
    if before == "function" or (before == "func" and opened + 1 < close):
        # `function (...) {`, or Go's `func (recv T) Name(...)` handled by the next paren
        return start, "function", _assigned_name(raw, start, opened) or "<anonymous>"
    if before in _CONTROL or not _is_name(before):
        return None
    if before in control and not _typed(raw, opened - 2, start):
        return None
    return start, "function", before


def _typed(raw: tuple[str, ...], i: int, start: int) -> bool:
    """Whether a return type or modifier stands at ``i`` (``boolean``, ``public``, ``T>``)."""
    if i < start:
        return False
    tok = raw[i]
    return (_is_name(tok) and tok not in _NOT_A_TYPE) or tok in (">", "]", "*", "&")


def _statement_start(raw: tuple[str, ...], lines: tuple[int, ...], brace: int) -> int:
    """The first token after the previous ``;``, ``{`` or ``}`` (bounded look-back)."""
    i = brace - 1
    floor = max(0, brace - 64)
    while i >= floor and raw[i] not in _STOP:
        i -= 1
    return _declaration_line(raw, lines, i + 1, brace)


def _declaration_line(raw: tuple[str, ...], lines: tuple[int, ...], start: int, brace: int) -> int:
    """From the line of the last declaring keyword on: Go's `package main` is not the header."""
    for i in range(brace - 1, start - 1, -1):
        if raw[i] in _DECL or raw[i] in _CLASS_WORDS:
            while i > start and lines[i - 1] == lines[i]:
                i -= 1
            return i
    return start


def _last_paren(raw: tuple[str, ...], start: int, brace: int) -> int | None:
    """The ``)`` that ends the parameter list: the last one within _MAX_TAIL of the brace."""
    for i in range(brace - 1, max(start, brace - _MAX_TAIL) - 1, -1):
        if raw[i] == ")":
            return i
        if raw[i] in ("=", "=>"):
            return None
    return None


def _matching_open(raw: tuple[str, ...], close: int, start: int) -> int | None:
    depth = 0
    for i in range(close, start - 1, -1):
        if raw[i] == ")":
            depth += 1
        elif raw[i] == "(":
            depth -= 1
            if depth == 0:
                # Go: `func (r *T) Name(args) {` -- the receiver paren is not the header
                return i
    return None


def _arrow_name(raw: tuple[str, ...], start: int, arrow: int) -> str:
    return _assigned_name(raw, start, arrow) or "<arrow>"


def _assigned_name(raw: tuple[str, ...], start: int, end: int) -> str | None:
    """``name`` of ``name = ...``, ``name: ...`` or ``const name = ...`` before ``end``."""
    for i in range(start, end):
        if raw[i] in ("=", ":") and i > start and _is_name(raw[i - 1]):
            return raw[i - 1]
    return None


def _is_name(tok: str) -> bool:
    return bool(tok) and (tok[0].isalpha() or tok[0] in "_$") and all(
        c.isalnum() or c in "_$" for c in tok)


def _last_part(tok: str) -> str:
    """``Read`` of C++'s ``ParseOptions::Read``, which pygments may give as one token (an
    out-of-class method); other tokens as they are."""
    if "::" in tok:
        parts = tok.split("::")
        if all(_is_name(p) for p in parts if p) and _is_name(parts[-1]):
            return parts[-1]
    return tok


def _before_initialisers(raw: tuple[str, ...], start: int, close: int) -> int:
    """The ``)`` of a C++ constructor's parameters when a member initialiser list follows it
    (``X::X(int n) : a_(n), b_(0) {``): the last paren is then the last initialiser's."""
    depth = 0
    for i in range(close, start, -1):
        tok = raw[i]
        if tok == ")":
            depth += 1
        elif tok == "(":
            depth -= 1
        elif tok == ":" and depth == 0 and raw[i - 1] == ")":
            return i - 1
    return close


def _containers(stream: TokenStream, found: list[tuple[int, int, str, str]]
                ) -> list[tuple[int, int, str, str]]:
    """Long functions holding several functions count as classes (their inner ones are units),
    when those functions are most of them: a factory whose own statements are a third or more
    of it is one function (docusaurus-search-local's plugin factory, 168 lines of which its
    callbacks hold half: a helper lifted from its body matched none of its callbacks)."""
    out = []
    for n, (start, end, kind, name) in enumerate(found):
        if kind == "function":
            inner = [(s, e) for s, e, k, _ in found[n + 1:] if s < end and e <= end
                     and k == "function"]
            lines = stream.lines[end - 1] - stream.lines[start]
            if len(inner) >= 2 and lines >= _CONTAINER_LINES and \
                    _outermost_tokens(inner) >= _CONTAINER_SHARE * (end - start):
                kind = "class"
        out.append((start, end, kind, name))
    return out


_CONTAINER_SHARE = 2 / 3  # of a container's tokens, in the functions it holds


def _outermost_tokens(spans: list[tuple[int, int]]) -> int:
    """Tokens inside the spans, each counted once (spans come sorted by start, outer first)."""
    total, reach = 0, -1
    for s, e in spans:
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total


def _named(stream: TokenStream, found: list[tuple[int, int, str, str]]) -> list[Fragment]:
    """Fragments with qualified names (``Outer.inner``), by a stack of enclosing spans."""
    out: list[Fragment] = []
    stack: list[tuple[int, str]] = []  # (tok_end, qualified name)
    for start, end, kind, name in found:
        while stack and stack[-1][0] < end:
            stack.pop()
        qual = f"{stack[-1][1]}.{name}" if stack else name
        out.append(Fragment(kind, qual, stream.lines[start], stream.lines[end - 1], start, end))
        stack.append((end, qual))
    return out
