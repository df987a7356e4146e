# SPDX-License-Identifier: Apache-2.0
"""Python through tree-sitter: fragments (module, class, function) and normalised tokens.

Normalisation abstracts only what a copier can rename: identifiers that the
file itself binds (definitions, parameters, assignment targets, attributes
assigned on objects, relative-import and alias names) become ``$``.  Names it
cannot rename without breaking the code stay verbatim as evidence: builtins,
imported library names, attributes and keyword arguments of external APIs
(``F.interpolate(x, mode="bicubic")``).  Literals become ``S``/``N`` except
identifier-like strings (dictionary keys, mode names) and very short ones
(``'>l'`` against ``'>f'`` is what tells two struct readers apart).  Comments,
docstrings, imports, type annotations, redundant parentheses and trailing
commas are dropped, so reformatting changes nothing.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ...model import Fragment, TokenStream

VERSION = 4  # 4: no ``self.`` receivers, no ``self`` parameter

# kinds of emitted identifier tokens
_NAME, _ATTR, _KWARG = 1, 2, 3
_KEEP_NAMES = frozenset({"self", "cls"})
_DROP = frozenset({"comment", "import_statement", "import_from_statement",
                   "future_import_statement", "line_continuation", "type"})
_STRINGS = frozenset({"string", "concatenated_string"})
_NUMBERS = frozenset({"integer", "float"})
_GROUPING = frozenset({"parenthesized_expression", "tuple", "tuple_pattern"})
_BINDING_CONTAINERS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "tuple",
                                 "list", "parenthesized_expression", "list_splat_pattern",
                                 "expression_list", "as_pattern_target", "typed_parameter",
                                 "list_splat", "dictionary_splat_pattern", "pattern"})
_PARAM_NODES = frozenset({"parameters", "lambda_parameters"})
_FIELD_BINDERS = frozenset({"assignment", "augmented_assignment", "for_statement",
                            "for_in_clause", "named_expression", "default_parameter",
                            "typed_default_parameter", "function_definition",
                            "class_definition", "as_pattern"})
# the node kinds whose children's context depends on the child (see _Walker._context)
_CONTEXT_BY_FIELD = frozenset({"attribute", "keyword_argument"}) | _FIELD_BINDERS
_BINDING_ALL = _PARAM_NODES | {"global_statement", "nonlocal_statement"}
_DEFS = frozenset({"function_definition", "class_definition"})
# the ``:`` of these is a type annotation's, dropped with the annotation itself
_ANNOTATED = frozenset({"typed_parameter", "typed_default_parameter"})
_CLOSERS = frozenset({")", "]", "}"})
_DUNDER = re.compile(r"__\w+__\Z")
_SHORT = 6  # strings this short (format codes, separators) are kept: they tell twins apart
_KEYLIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,30}\Z")


@lru_cache(maxsize=1)
def _parser():
    import tree_sitter
    import tree_sitter_python

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def parse(text: str, language: str = "python") -> tuple[TokenStream, list[Fragment]]:
    data = text.encode("utf-8")
    tree = _parser().parse(data)
    _check_size(tree)
    walker = _Walker(data)
    walker.walk(tree.root_node)
    return walker.finish()


MAX_NODES = 500_000  # syntax nodes: ~1.5 per token in real code, 2 x MAX_TOKENS (lang/__init__)


def _check_size(tree) -> None:
    """Refuse a tree too large to walk before walking it (the walk is what costs memory)."""
    from . import ParseFailure

    nodes = tree.root_node.descendant_count
    if nodes > MAX_NODES:
        raise ParseFailure(f"too many tokens ({nodes} syntax nodes > {MAX_NODES})")


class _Walker:
    """One pre-order pass: raw tokens with their kind, the bound names, the fragments."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ascii = data.isascii()  # then a byte column is a character column
        self.kinds: list[int] = []  # 0 keyword/operator, _NAME, _ATTR, _KWARG, 4 literal
        self.texts: list[str] = []
        self.raw: list[str] = []
        self.lines: list[int] = []
        self.places: list[tuple[int, int, int]] = []  # (start col, end line, end col) per token
        self.bound: set[str] = set()
        self.bound_attrs: set[str] = set()
        self.fragments: list[Fragment] = []
        self.callee_of: dict[int, str] = {}  # kwarg token index -> called function name
        self.pending_callee = ""

    def emit(self, kind: int, text: str, raw: str, line: int,
             place: tuple[int, int, int] | None = None) -> None:
        """One token; a made-up one (block markers) has no width: ``(0, line, 0)``."""
        self.kinds.append(kind)
        self.texts.append(text)
        self.raw.append(raw)
        self.lines.append(line)
        self.places.append(place or (0, line, 0))

    def _col(self, byte: int, byte_col: int) -> int:
        # tree-sitter counts columns in bytes; evidence marks characters of the decoded line
        if byte_col == 0 or self.ascii:
            return byte_col
        return len(self.data[byte - byte_col:byte].decode("utf-8", "replace"))

    def text_of(self, node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def walk(self, root) -> None:
        # stack items: (node, binding, tag, prefix), or (None, payload, line, None) to close
        # a block or a fragment; the hot loop of indexing, so lookups are hoisted
        stack: list = [(root, False, 0, "")]
        pop, leaf, push, close = stack.pop, self._leaf, self._push_children, self._exit
        drop, strings = _DROP, _STRINGS
        while stack:
            item = pop()
            node = item[0]
            if node is None:
                close(item)
                continue
            t = node.type
            if t in drop:
                if t != "comment" and t != "line_continuation":
                    self._imports(node)
                continue
            if not node.child_count or t in strings:
                leaf(node, t, item[1], item[2])
                continue
            if t == "expression_statement" and node.named_child_count == 1 \
                    and node.named_children[0].type in strings:
                continue  # docstring or bare string
            push(stack, node, t, item[1], item[3])

    def _push_children(self, stack: list, node, t: str, binding: bool, prefix: str) -> None:
        if t == "decorated_definition":
            inner = node.child_by_field_name("definition")
            if inner is not None:
                self._enter(stack, inner, node, prefix)
                return
        elif t in _DEFS:
            self._enter(stack, node, node, prefix)
            return
        children = node.children
        if t == "keyword_argument":
            self.pending_callee = self._callee(node)
        elif t == "block":
            self.emit(0, "{", "{", node.start_point[0] + 1)
            stack.append((None, "}", node.end_point[0] + 1, None))
        n = len(children)
        skip = self._receiver(node, t, children)
        # most node kinds give every child the same context: only these ask per child
        per_child = t in _CONTEXT_BY_FIELD or t == "except_clause"
        same = (True if t in _BINDING_ALL else binding if t in _BINDING_CONTAINERS
                else False, 0)
        grouping = t in _GROUPING
        annotated = t in _ANNOTATED
        items: list = []
        for i, child in enumerate(children):
            ct = child.type
            if i in skip or grouping and (ct == "(" or ct == ")") or annotated and ct == ":":
                continue
            if ct == "," and i + 1 < n and children[i + 1].type in _CLOSERS:
                continue  # trailing comma
            if per_child:
                items.append((child, *self._context(node, t, i, child, binding), prefix))
            else:
                items.append((child, same[0], 0, prefix))
        stack.extend(reversed(items))

    def _receiver(self, node, t: str, children) -> range:
        """Children to drop: the ``self.`` of ``self.x``, a first parameter ``self``.

        A copier who turns methods into functions writes ``transform(x)`` for
        ``self.transform(x)`` and drops the ``self`` parameter; without the
        receiver both read ``$ ( $ )``, so tiles bridge the change.
        """
        if t == "attribute" and len(children) >= 2 and children[0].type == "identifier" \
                and self.text_of(children[0]) in _KEEP_NAMES and children[1].type == ".":
            return range(2)
        if t == "parameters" and len(children) >= 3 and children[1].type == "identifier" \
                and self.text_of(children[1]) in _KEEP_NAMES:
            return range(1, 3 if children[2].type == "," else 2)
        return range(0)

    def _context(self, node, t: str, i: int, child, binding: bool) -> tuple[bool, int]:
        """(binding, tag) for a child: does it bind names, and what kind of identifier is it."""
        if t == "attribute":
            return binding, (_ATTR if node.field_name_for_child(i) == "attribute" else 0)
        if t == "keyword_argument":
            return False, (_KWARG if node.field_name_for_child(i) == "name" else 0)
        if t in _FIELD_BINDERS:
            return node.field_name_for_child(i) in ("left", "name", "alias"), 0
        if t in _BINDING_ALL:
            return True, 0
        if t == "except_clause" and child.type == "identifier":
            return True, 0
        if t in _BINDING_CONTAINERS:
            return binding, 0
        return False, 0

    def _callee(self, keyword_argument) -> str:
        """The name of the function a keyword argument is passed to (last dotted part)."""
        call = keyword_argument.parent.parent if keyword_argument.parent else None
        func = call.child_by_field_name("function") if call is not None else None
        if func is not None and func.type == "attribute":
            func = func.child_by_field_name("attribute")
        return self.text_of(func) if func is not None and func.type == "identifier" else ""

    def _enter(self, stack: list, definition, outer, prefix: str) -> None:
        """Start a class or function fragment (decorators included) and walk it."""
        name_node = definition.child_by_field_name("name")
        name = self.text_of(name_node) if name_node is not None else "?"
        kind = "class" if definition.type == "class_definition" else "function"
        stack.append((None, (kind, prefix + name, outer.start_point[0] + 1,
                             outer.end_point[0] + 1, len(self.texts)), 0, None))
        items: list = []
        if outer is not definition:
            items += [(c, False, 0, prefix) for c in outer.children if c.type == "decorator"]
        inner = prefix + name + "."
        t = definition.type
        items += [(c, *self._context(definition, t, i, c, False), inner)
                  for i, c in enumerate(definition.children) if c.type != "->"]
        stack.extend(reversed(items))

    def _exit(self, item) -> None:
        _, payload, line, _ = item
        if payload == "}":
            self.emit(0, "}", "}", line)
            return
        kind, name, start_line, end_line, start = payload
        self.fragments.append(Fragment(kind, name, start_line, end_line, start, len(self.texts)))

    def _leaf(self, node, t: str, binding: bool, tag: int) -> None:
        """The token of a leaf (or of a whole string), placed on the node's columns."""
        start, end = node.start_point, node.end_point
        line = start[0] + 1
        if self.ascii:
            place = (start[1], end[0] + 1, end[1])
        else:
            place = (self._col(node.start_byte, start[1]), end[0] + 1,
                     self._col(node.end_byte, end[1]))
        if t == "identifier":
            text = self.text_of(node)
            if tag == _KWARG:
                self.callee_of[len(self.texts)] = self.pending_callee
            if binding and text not in _KEEP_NAMES and not _DUNDER.match(text):
                (self.bound_attrs if tag == _ATTR else self.bound).add(text)
            self.emit(tag or _NAME, text, text, line, place)
        elif t in _STRINGS:
            raw = self.text_of(node)
            body = raw.lstrip("rRbBuUfF")[1:-1].strip("'\"") if len(raw) >= 2 else raw
            key = not raw[:1] in "fF" and (_KEYLIKE.match(body) is not None
                                             or (len(body) <= _SHORT and "\n" not in body))
            self.emit(4, f"'{body}'" if key else "S", raw, line, place)
        elif t in _NUMBERS:
            self.emit(4, "N", self.text_of(node), line, place)
        else:
            text = t if not node.is_named else self.text_of(node)
            self.emit(0, text, text, line, place)

    def _imports(self, node) -> None:
        """Names a relative import binds: the project's own, so a copier can rename them.

        Absolute imports (``import torch.nn as nn``, ``from numpy import pi``)
        name libraries; they stay verbatim wherever they are used.
        """
        if not any(c.type == "relative_import" for c in node.children):
            return
        for child in node.children[2:]:
            if child.type == "aliased_import":
                alias = child.child_by_field_name("alias")
                if alias is not None:
                    self.bound.add(self.text_of(alias))
            elif child.type == "dotted_name":
                self.bound.add(self.text_of(child).split(".")[-1])

    def finish(self) -> tuple[TokenStream, list[Fragment]]:
        bound, attrs = self.bound, self.bound_attrs | self.bound
        texts = self.texts
        renameable = [False] * len(texts)
        for i, kind in enumerate(self.kinds):
            if kind == _NAME:
                hit = texts[i] in bound
            elif kind == _ATTR:
                hit = texts[i] in attrs
            elif kind == _KWARG:
                callee = self.callee_of.get(i, "")
                hit = texts[i] in bound and (callee in bound or callee in attrs)
            else:
                continue
            if hit:
                texts[i] = "$"
                renameable[i] = True
        n = len(texts)
        module = Fragment("module", "<module>", self.lines[0] if n else 1,
                          self.lines[-1] if n else 1, 0, n)
        fragments = [module] + sorted(self.fragments, key=lambda f: (f.tok_start, -f.tok_end))
        cols, end_lines, end_cols = zip(*self.places) if self.places else ((), (), ())
        stream = TokenStream(tuple(texts), tuple(self.raw), tuple(self.lines), tuple(renameable),
                             tuple(cols), tuple(end_lines), tuple(end_cols))
        return stream, fragments
