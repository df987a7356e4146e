# SPDX-License-Identifier: Apache-2.0
"""Disguise real Python code the way copiers do, and keep the ground truth.

Given one upstream source file, produce a disguised copy at one of four levels:

``rename``
    every identifier the file binds gets a new plausible name (builtins,
    imported names and attributes of external objects are left alone); the
    layout is re-emitted by ``ast.unparse`` (comments go), docstrings are
    stripped, top-level definitions and the methods of each class are shuffled.
``edit10`` / ``edit25``
    ``rename`` plus about 10 % / 25 % of the statements inside functions edited:
    inserted logging calls or new assignments, changed constants,
    ``x += y`` -> ``x = x + y``, ``a < b`` -> ``b > a``, deleted statements.
``rewrite``
    ``rename`` plus what real copiers do: small helpers inlined into their
    callers, runs of statements extracted into new helpers, independent
    adjacent statements swapped, steps dropped, operators and constants
    changed, and the file split into 2-3 files.

For every function or method in the output the ground truth records its line
span there, the upstream file, its upstream qualname and upstream line span.
Positives are functions with at least ``MIN_POSITIVE_LINES`` lines of code
upstream (blank, comment and docstring lines not counted); the truth also keeps
the plain span length (``upstream_lines``) for scorers that count that way.

Run ``python benchmarks/disguise.py FILE --level rewrite --diff`` to see one.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import copy
import difflib
import importlib
import json
import keyword
import random
import re
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Callable, Iterator

LEVELS = ("rename", "edit10", "edit25", "rewrite", "methods", "split")
EDIT_RATES = {"rename": 0.0, "edit10": 0.10, "edit25": 0.25, "rewrite": 0.15, "methods": 0.0,
              "split": 0.0}
MIN_POSITIVE_LINES = 6

FUNC_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
SIMPLE_TYPES = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return,
                ast.Raise, ast.Assert, ast.Pass, ast.Delete)
ORIGIN_ATTR = "_bench_origin"
SETUP_ATTR = "_bench_setup"

# --------------------------------------------------------------------------
# vocabulary for plausible new names

SYNONYMS: dict[str, tuple[str, ...]] = {
    "get": ("fetch", "obtain", "grab", "lookup"), "set": ("assign", "put", "store"),
    "data": ("payload", "content", "blob"), "name": ("label", "title", "ident"),
    "names": ("labels", "titles", "idents"), "value": ("amount", "datum", "val"),
    "values": ("amounts", "vals", "entries"), "val": ("value", "datum"),
    "result": ("outcome", "answer", "ret"), "results": ("outcomes", "answers"),
    "path": ("location", "route", "fspath"), "paths": ("locations", "routes"),
    "file": ("document", "stream", "fobj"), "files": ("documents", "streams"),
    "line": ("row", "record"), "lines": ("rows", "records"), "text": ("body", "chars"),
    "string": ("chars", "txt"), "str": ("txt", "chars"), "buf": ("chunk", "storage"),
    "buffer": ("chunk", "storage"), "size": ("length", "extent"), "length": ("size", "extent"),
    "len": ("size", "count"), "count": ("total", "tally"), "index": ("position", "slot"),
    "idx": ("pos", "slot"), "key": ("field", "tag"), "keys": ("fields", "tags"),
    "item": ("element", "entry"), "items": ("elements", "entries"), "list": ("seq", "array"),
    "dict": ("table", "mapping"), "map": ("table", "lookup"), "args": ("params", "argv"),
    "arg": ("param", "argument"), "kwargs": ("options", "kwopts"), "kw": ("opts", "kwd"),
    "parse": ("decode", "analyze", "scan"), "read": ("load", "consume"),
    "write": ("emit", "dump"), "make": ("build", "produce"), "create": ("build", "construct"),
    "build": ("assemble", "construct"), "init": ("setup", "prepare"), "config": ("settings", "options"),
    "error": ("failure", "problem"), "err": ("failure", "fault"), "errors": ("failures", "problems"),
    "msg": ("note", "text"), "message": ("note", "notice"), "obj": ("instance", "thing"),
    "object": ("instance", "entity"), "node": ("vertex", "elem"), "nodes": ("vertices", "elems"),
    "start": ("begin", "first"), "end": ("finish", "stop"), "stop": ("halt", "finish"),
    "find": ("locate", "search"), "search": ("scan", "locate"), "check": ("verify", "validate"),
    "handle": ("process", "manage"), "handler": ("processor", "manager"), "run": ("execute", "perform"),
    "call": ("invoke", "dispatch"), "add": ("insert", "push"), "remove": ("drop", "discard"),
    "delete": ("erase", "drop"), "new": ("fresh", "next"), "old": ("prev", "former"),
    "tmp": ("scratch", "aux"), "temp": ("scratch", "aux"), "func": ("callback", "routine"),
    "fn": ("callback", "routine"), "type": ("kind", "category"), "mode": ("style", "flavor"),
    "format": ("layout", "pattern"), "fmt": ("layout", "spec"), "encode": ("serialize", "pack"),
    "decode": ("deserialize", "unpack"), "info": ("details", "meta"), "source": ("origin", "input"),
    "src": ("origin", "inp"), "dest": ("sink", "target"), "dst": ("sink", "goal"),
    "target": ("goal", "dest"), "out": ("sink", "output"), "output": ("sink", "out"),
    "input": ("feed", "source"), "pos": ("offset", "place"), "offset": ("shift", "delta"),
    "num": ("count", "qty"), "number": ("count", "qty"), "char": ("symbol", "glyph"),
    "ch": ("symbol", "glyph"), "token": ("lexeme", "piece"), "tok": ("lexeme", "piece"),
    "tokens": ("lexemes", "pieces"), "state": ("status", "condition"), "flag": ("option", "switch"),
    "flags": ("options", "switches"), "parts": ("pieces", "segments"), "part": ("piece", "segment"),
    "header": ("heading", "preamble"), "headers": ("headings", "preambles"),
    "body": ("content", "payload"), "module": ("unit", "component"), "mod": ("unit", "component"),
    "env": ("context", "environ"), "default": ("fallback", "standard"), "level": ("depth", "tier"),
    "base": ("root", "core"), "prefix": ("head", "lead"), "suffix": ("tail", "ending"),
    "match": ("hit", "found"), "pattern": ("regex", "template"), "pat": ("regex", "templ"),
    "parser": ("reader", "analyzer"), "reader": ("loader", "scanner"), "writer": ("emitter", "sink"),
    "manager": ("coordinator", "supervisor"), "request": ("query", "ask"), "response": ("reply", "answer"),
    "client": ("consumer", "peer"), "server": ("host", "service"), "conn": ("link", "channel"),
    "connection": ("link", "channel"), "sock": ("endpoint", "channel"), "socket": ("endpoint", "channel"),
    "context": ("scope", "env"), "ctx": ("scope", "env"), "event": ("signal", "occurrence"),
    "callback": ("hook", "listener"), "wrapper": ("shim", "adapter"), "factory": ("maker", "producer"),
    "iter": ("cursor", "walker"), "cache": ("memo", "store"), "queue": ("backlog", "fifo"),
    "stack": ("pile", "lifo"), "lock": ("mutex", "guard"), "thread": ("worker", "strand"),
    "proc": ("task", "job"), "process": ("handle", "treat"), "timer": ("clock", "stopwatch"),
    "time": ("moment", "instant"), "timeout": ("deadline", "limit"), "entry": ("record", "row"),
    "record": ("entry", "row"), "options": ("settings", "choices"), "option": ("setting", "choice"),
    "attr": ("prop", "field"), "attrs": ("props", "fields"), "method": ("routine", "op"),
    "class": ("kind", "sort"), "cls": ("kind", "klass"),
    "chunk": ("block", "slab"), "block": ("chunk", "slab"),
    "width": ("span", "breadth"), "height": ("tallness", "rise"), "row": ("line", "record"),
    "col": ("column", "field"), "column": ("col", "field"), "table": ("grid", "sheet"),
    "user": ("account", "member"), "host": ("server", "machine"), "port": ("portnum", "channel"),
    "url": ("link", "address"), "uri": ("address", "link"), "addr": ("address", "location"),
    "address": ("location", "addr"), "date": ("day", "calendar"), "delta": ("diff", "step"),
    "total": ("sum", "overall"), "sum": ("total", "accum"), "min": ("lowest", "floor"),
    "max": ("highest", "ceiling"), "first": ("initial", "head"), "last": ("final", "tail"),
    "next": ("following", "upcoming"), "prev": ("previous", "former"), "parent": ("owner", "container"),
    "child": ("kid", "member"), "children": ("kids", "members"), "root": ("top", "base"),
    "tree": ("hierarchy", "forest"), "graph": ("network", "web"), "edge": ("link", "arc"),
    "depth": ("level", "nesting"),
    "update": ("refresh", "modify"), "apply": ("perform", "enact"), "load": ("read", "fetch"),
    "save": ("persist", "store"), "open": ("acquire", "attach"), "close": ("release", "detach"),
    "send": ("transmit", "post"), "recv": ("receive", "take"), "receive": ("accept", "take"),
    "exc": ("fault", "failure"), "exception": ("fault", "failure"), "warning": ("caution", "alert"),
    "warn": ("caution", "alert"), "debug": ("trace", "diag"), "log": ("journal", "trace"),
    "logger": ("journal", "tracer"), "filename": ("fname", "filepath"), "dirname": ("folder", "dirpath"),
    "dir": ("folder", "directory"), "directory": ("folder", "dirpath"), "encoding": ("charset", "codec"),
    "quote": ("escape", "wrap"), "unquote": ("unescape", "unwrap"), "split": ("divide", "cut"),
    "join": ("combine", "merge"), "strip": ("trim", "clean"), "replace": ("substitute", "swap"),
    "convert": ("transform", "translate"), "copy": ("clone", "duplicate"),
    "compile": ("prepare", "translate"),
    "compare": ("contrast", "weigh"), "sort": ("order", "arrange"), "filter": ("sieve", "select"),
    "test": ("probe", "trial"), "valid": ("ok", "sound"),
}
WORDS = ("core", "main", "extra", "inner", "outer", "local", "aux", "primary", "current",
         "spare", "basic", "plain", "simple", "custom", "extended", "raw", "clean", "pending",
         "active", "cached", "shared", "working", "final", "initial", "partial", "total",
         "worker", "helper", "slot", "token", "chunk", "piece", "unit", "record", "bucket")
PREFIXES = ("my", "cur", "the", "new", "tmp", "local", "raw", "base", "this", "our", "main")
SUFFIXES = ("val", "obj", "item", "info", "ref", "data", "value", "entry", "spec", "impl")
SHORT_NAMES = ("n", "m", "k", "p", "q", "r", "t", "u", "v", "w", "z", "ii", "jj", "kk",
               "cur", "idx", "tmp", "val", "elem", "obj", "pos", "num", "acc", "it")
NEW_VARS = ("checked", "retries", "n_items", "seen", "marker", "status_ok", "attempt",
            "cache_hit", "counter", "is_ready", "pending", "visited", "limit_val", "flag_set")
RESERVED = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(
    getattr(keyword, "softkwlist", ())) | {"self", "cls"}
DUNDER = re.compile(r"__\w+__\Z")

_BUILTIN_TYPES = (str, bytes, bytearray, list, dict, set, frozenset, tuple, int, float,
                  complex, object, type, BaseException, memoryview, range, slice)
# stdlib modules whose classes' attribute names count as "external API": an
# attribute of that name on anything but self/cls/a class of the file is left alone
_API_MODULES = ("io", "socket", "threading", "logging", "collections", "pathlib", "subprocess",
                "re", "datetime", "email.message", "argparse", "queue", "selectors", "tempfile",
                "zipfile", "tarfile", "json", "codecs", "types", "asyncio", "unittest", "enum",
                "functools", "contextlib", "string", "struct", "array", "weakref", "http.client",
                "urllib.request", "xml.etree.ElementTree", "decimal", "fractions", "ast",
                "inspect", "os", "configparser", "csv", "shlex", "optparse", "textwrap", "ssl")


@lru_cache(maxsize=1)
def external_api_classes() -> dict[str, frozenset[str]]:
    """Public attribute names of common builtin and stdlib classes, by class name."""
    found: dict[str, set[str]] = {t.__name__: set(dir(t)) for t in _BUILTIN_TYPES}
    for module_name in _API_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and not value.__name__.startswith("_"):
                found.setdefault(value.__name__, set()).update(dir(value))
    return {name: frozenset(a for a in attrs if not a.startswith("_")) for name, attrs in found.items()}


def external_api_attrs(own_classes: set[str]) -> set[str]:
    """API attribute names, leaving out classes the file defines itself (the stdlib is
    both the corpus and the API: ``textwrap.py`` must not shield ``TextWrapper.wrap``)."""
    names: set[str] = set()
    for class_name, attrs in external_api_classes().items():
        if class_name not in own_classes:
            names |= attrs
    return names


# --------------------------------------------------------------------------
# records

@dataclass(frozen=True)
class Origin:
    """Where an output function comes from in the upstream file."""

    qualname: str
    start_line: int
    end_line: int
    code_lines: int  # lines of the span that hold code: no blank, comment or docstring line
    kind: str = "function"  # function | extracted (statements lifted out of a function)

    @property
    def lines(self) -> int:
        return self.end_line - self.start_line + 1


@dataclass
class FunctionTruth:
    """Ground truth for one function or method of a disguised file."""

    path: str
    qualname: str
    start_line: int
    end_line: int
    upstream_path: str
    upstream_qualname: str
    upstream_start_line: int
    upstream_end_line: int
    upstream_lines: int
    upstream_code_lines: int
    origin: str
    positive: bool


@dataclass
class DisguisedFile:
    """One output file; ``suffix`` is appended to the stem when a file is split."""

    suffix: str
    source: str
    functions: list[FunctionTruth] = field(default_factory=list)

    def with_path(self, path: str) -> DisguisedFile:
        for truth in self.functions:
            truth.path = path
        return self


# --------------------------------------------------------------------------
# generic AST helpers

def walk_functions(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    """All functions in pre-order with their qualnames (``A.f``, ``f.<locals>.g``)."""
    found: list[tuple[str, ast.AST]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, FUNC_TYPES):
                found.append((prefix + child.name, child))
                visit(child, prefix + child.name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def docstring_lines(node: ast.AST) -> set[int]:
    """Lines of the docstrings of ``node`` and of the definitions nested in it."""
    lines: set[int] = set()
    for sub in ast.walk(node):
        body = getattr(sub, "body", None) if isinstance(sub, (ast.Module, *DEF_TYPES)) else None
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            lines.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    return lines


def code_line_count(node: ast.AST, source_lines: list[str]) -> int:
    skip = docstring_lines(node)
    end = node.end_lineno or node.lineno
    return sum(1 for number in range(node.lineno, end + 1)
               if number not in skip and number <= len(source_lines)
               and source_lines[number - 1].strip()
               and not source_lines[number - 1].lstrip().startswith("#"))


def tag_origins(tree: ast.Module, source: str) -> None:
    """Remember each function's upstream qualname and span on the node itself."""
    source_lines = source.splitlines()
    for qualname, node in walk_functions(tree):
        end = node.end_lineno or node.lineno
        setattr(node, ORIGIN_ATTR, Origin(qualname, node.lineno, end,
                                          code_line_count(node, source_lines)))


def child_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists nested directly in a compound statement."""
    blocks = [getattr(stmt, name) for name in ("body", "orelse", "finalbody")
              if isinstance(getattr(stmt, name, None), list)]
    blocks += [handler.body for handler in getattr(stmt, "handlers", [])]
    blocks += [case.body for case in getattr(stmt, "cases", [])]
    return blocks


def block_sites(block: list[ast.stmt]) -> Iterator[tuple[list[ast.stmt], ast.stmt]]:
    """(block, statement) pairs in a function body, not entering nested definitions."""
    for stmt in list(block):
        if isinstance(stmt, DEF_TYPES):
            continue
        yield block, stmt
        for sub in child_blocks(stmt):
            yield from block_sites(sub)


def function_sites(tree: ast.Module) -> list[tuple[list[ast.stmt], ast.stmt, ast.AST]]:
    """Every statement inside a function, with its block and its function."""
    return [(block, stmt, func) for _, func in walk_functions(tree)
            for block, stmt in block_sites(func.body)]


def own_exprs(stmt: ast.stmt) -> Iterator[ast.AST]:
    """Expression nodes of a statement, not those of its nested statements."""
    for name, value in ast.iter_fields(stmt):
        if name in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, ast.AST):
                yield from ast.walk(item)


def all_identifiers(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        for attr in ("id", "attr", "arg", "name", "asname", "rest"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                names.update(value.split("."))
        names.update(getattr(node, "names", []) if isinstance(node, (ast.Global, ast.Nonlocal)) else [])
    return names


def parse_stmt(text: str) -> ast.stmt:
    return ast.parse(text).body[0]


def strip_docstrings(tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, *DEF_TYPES)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body.pop(0)
            if not body and not isinstance(node, ast.Module):
                body.append(ast.Pass())


# --------------------------------------------------------------------------
# plausible new names

def split_identifier(core: str) -> list[str]:
    if "_" in core or core.islower() or core.isupper():
        return [part for part in core.split("_") if part]
    return re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", core) or [core]


def identifier_style(core: str) -> str:
    letters = [c for c in core if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        return "upper"
    if core[:1].isupper():
        return "camel"
    if "_" not in core and any(c.isupper() for c in core):
        return "mixed"
    return "snake"


def join_identifier(parts: list[str], style: str) -> str:
    if style == "upper":
        return "_".join(p.upper() for p in parts)
    if style == "camel":
        return "".join(p[:1].upper() + p[1:] for p in parts)
    if style == "mixed":
        return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    return "_".join(parts)


class NamePool:
    """Hands out fresh, plausible identifiers that clash with nothing in the file."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.taken = set(taken) | RESERVED

    def claim(self, name: str) -> str:
        base, attempt = name, 0
        while name in self.taken or keyword.iskeyword(name) or not name.isidentifier():
            attempt += 1
            word = self.rng.choice(WORDS)
            name = f"{base}_{word}" if attempt < 4 else f"{base}{attempt}"
        self.taken.add(name)
        return name

    def rename(self, old: str) -> str:
        lead = old[:len(old) - len(old.lstrip("_"))]
        core = old.lstrip("_")
        trail = core[len(core.rstrip("_")):]
        core = core.rstrip("_")
        if not core:
            return self.claim(old + "x")
        style = identifier_style(core)
        parts = self._new_parts([p.lower() for p in split_identifier(core)])
        return self.claim(lead + join_identifier(parts, style) + trail)

    def _new_parts(self, parts: list[str]) -> list[str]:
        out = [self._swap_part(part) for part in parts]
        if out != parts:
            return out
        if len(parts) == 1 and len(parts[0]) <= 2:
            return [self.rng.choice(SHORT_NAMES)]
        if self.rng.random() < 0.5:
            return [self.rng.choice(PREFIXES)] + out
        return out + [self.rng.choice(SUFFIXES)]

    def _swap_part(self, part: str) -> str:
        options = SYNONYMS.get(part)
        if options and self.rng.random() < 0.85:
            return self.rng.choice(options)
        return part

    def fresh(self, words: tuple[str, ...] = NEW_VARS) -> str:
        return self.claim(self.rng.choice(words))

    def helper_name(self) -> str:
        verb = self.rng.choice(("compute", "prepare", "collect", "apply", "update", "build", "do"))
        return self.claim(f"_{verb}_{self.rng.choice(WORDS)}")


# --------------------------------------------------------------------------
# renaming

@dataclass
class Symbols:
    """What the file binds (renameable) and what it must leave alone."""

    names: set[str] = field(default_factory=set)
    attrs: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    callables: set[str] = field(default_factory=set)
    imported: set[str] = field(default_factory=set)
    instances: set[str] = field(default_factory=set)  # names assigned an instance of a file class
    external_attrs: set[str] = field(default_factory=set)
    method_ids: set[int] = field(default_factory=set)


def imported_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def _collect_class(node: ast.ClassDef, sym: Symbols) -> None:
    sym.names.add(node.name)
    sym.classes.add(node.name)
    sym.callables.add(node.name)
    for stmt in node.body:
        if isinstance(stmt, FUNC_TYPES):
            sym.attrs.add(stmt.name)
            sym.method_ids.add(id(stmt))
        targets = stmt.targets if isinstance(stmt, ast.Assign) else \
            [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        for target in targets:
            sym.attrs.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))


def _collect_node(node: ast.AST, sym: Symbols) -> None:
    if isinstance(node, ast.ClassDef):
        _collect_class(node, sym)
    elif isinstance(node, FUNC_TYPES) and id(node) not in sym.method_ids:
        sym.names.add(node.name)
        sym.callables.add(node.name)
    elif isinstance(node, ast.arg):
        sym.names.add(node.arg)
    elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        sym.names.add(node.id)
    elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
        sym.names.add(node.name)
    elif isinstance(node, ast.MatchMapping) and node.rest:
        sym.names.add(node.rest)
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if isinstance(node.ctx, ast.Store) and node.value.id in ("self", "cls"):
            sym.attrs.add(node.attr)
        elif node.value.id in sym.imported:
            sym.external_attrs.add(node.attr)


def instance_names(tree: ast.Module, classes: set[str]) -> set[str]:
    """Variables ever bound to ``SomeClassOfTheFile(...)``: their attributes are the file's."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Name) and node.value.func.id in classes:
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def collect_symbols(tree: ast.Module) -> Symbols:
    sym = Symbols(imported=imported_names(tree))
    nodes = list(ast.walk(tree))  # BFS: a class is seen before its methods
    for node in nodes:
        _collect_node(node, sym)
    sym.instances = instance_names(tree, sym.classes)
    excluded = RESERVED | sym.imported | {"_", "__class__"}
    sym.names = {n for n in sym.names if n not in excluded and not DUNDER.match(n)}
    sym.attrs = {a for a in sym.attrs if not DUNDER.match(a) and a not in ("self", "cls")}
    sym.callables &= sym.names
    sym.external_attrs |= external_api_attrs(sym.classes)
    return sym


class Renamer(ast.NodeTransformer):
    """Applies one consistent old -> new mapping to what the file binds."""

    def __init__(self, sym: Symbols, mapping: dict[str, str]) -> None:
        self.sym = sym
        self.mapping = mapping

    def _name(self, name: str) -> str:
        return self.mapping.get(name, name) if name in self.sym.names else name

    def _attr_renamed(self, node: ast.Attribute) -> bool:
        if node.attr not in self.sym.attrs:
            return False
        value = node.value
        if isinstance(value, ast.Name):
            if value.id in self.sym.imported and value.id not in self.sym.names:
                return False
            if value.id in ("self", "cls") or value.id in self.sym.classes \
                    or value.id in self.sym.instances:
                return True
        return node.attr not in self.sym.external_attrs

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        self.generic_visit(node)
        node.arg = self._name(node.arg)
        return node

    def _visit_def(self, node: ast.AST) -> ast.AST:
        is_method = id(node) in self.sym.method_ids
        renameable = node.name in (self.sym.attrs if is_method else self.sym.names)
        self.generic_visit(node)
        if renameable:
            node.name = self.mapping[node.name]
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_def

    def visit_Attribute(self, node: ast.Attribute) -> ast.Attribute:
        renamed = self._attr_renamed(node)
        self.generic_visit(node)
        if renamed:
            node.attr = self.mapping[node.attr]
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        func = node.func
        local = (isinstance(func, ast.Name) and func.id in self.sym.callables) or \
            (isinstance(func, ast.Attribute) and self._attr_renamed(func))
        self.generic_visit(node)
        for kw in node.keywords:
            if local and kw.arg in self.sym.names:
                kw.arg = self.mapping[kw.arg]
        return node

    def _visit_scope_decl(self, node: ast.AST) -> ast.AST:
        node.names = [self._name(n) for n in node.names]
        return node

    visit_Global = visit_Nonlocal = _visit_scope_decl

    def _visit_named(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        if node.name:
            node.name = self._name(node.name)
        return node

    visit_ExceptHandler = visit_MatchAs = visit_MatchStar = _visit_named

    def visit_MatchMapping(self, node: ast.MatchMapping) -> ast.MatchMapping:
        self.generic_visit(node)
        if node.rest:
            node.rest = self._name(node.rest)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.Assign:
        targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
        pool = self.sym.names if "__all__" in targets else self.sym.attrs if "__slots__" in targets else None
        self.generic_visit(node)
        for const in ast.walk(node.value) if pool is not None else ():
            if isinstance(const, ast.Constant) and const.value in pool:
                const.value = self.mapping[const.value]
        return node


def rename_identifiers(tree: ast.Module, pool: NamePool) -> dict[str, str]:
    sym = collect_symbols(tree)
    mapping = {old: pool.rename(old) for old in sorted(sym.names | sym.attrs)}
    Renamer(sym, mapping).visit(tree)
    return mapping


# --------------------------------------------------------------------------
# reordering definitions

def shuffle_definitions(body: list[ast.stmt], rng: random.Random) -> None:
    """Permute the definitions of a body among the slots they occupy; recurse into classes."""
    slots = [i for i, stmt in enumerate(body) if isinstance(stmt, DEF_TYPES)]
    defs = [body[i] for i in slots]
    rng.shuffle(defs)
    for slot, stmt in zip(slots, defs):
        body[slot] = stmt
    for stmt in defs:
        if isinstance(stmt, ast.ClassDef):
            shuffle_definitions(stmt.body, rng)


# --------------------------------------------------------------------------
# statement edits

@dataclass
class EditContext:
    rng: random.Random
    pool: NamePool
    logger: str = ""
    ops: tuple[str, ...] = ()
    applied: dict[str, int] = field(default_factory=dict)


def loaded_names(node: ast.AST) -> list[str]:
    seen: dict[str, None] = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            seen.setdefault(sub.id)
    return list(seen)


def stmt_loaded_names(stmt: ast.stmt) -> list[str]:
    names = [e.id for e in own_exprs(stmt) if isinstance(e, ast.Name) and isinstance(e.ctx, ast.Load)]
    return list(dict.fromkeys(names))


def index_in(block: list[ast.stmt], stmt: ast.stmt) -> int | None:
    return next((i for i, s in enumerate(block) if s is stmt), None)


def _insert_near(block: list[ast.stmt], stmt: ast.stmt, new: ast.stmt, rng: random.Random) -> bool:
    index = index_in(block, stmt)
    if index is None:
        return False
    ends_flow = isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break))
    block.insert(index if ends_flow or rng.random() < 0.3 else index + 1, new)
    return True


def op_insert_log(ctx: EditContext, block: list[ast.stmt], stmt: ast.stmt, func: ast.AST) -> bool:
    if not ctx.logger:
        ctx.logger = ctx.pool.claim(ctx.rng.choice(("_log", "logger", "_logger", "log")))
    names = stmt_loaded_names(stmt)
    level = ctx.rng.choice(("debug", "debug", "info"))
    if names:
        var = ctx.rng.choice(names)
        call = f"{ctx.logger}.{level}('{func.name}: {var}=%r', {var})"
    else:
        call = f"{ctx.logger}.{level}('{func.name}: step reached')"
    return _insert_near(block, stmt, parse_stmt(call), ctx.rng)


def op_insert_assign(ctx: EditContext, block: list[ast.stmt], stmt: ast.stmt, func: ast.AST) -> bool:
    new = ctx.pool.fresh()
    names = stmt_loaded_names(stmt)
    var = ctx.rng.choice(names) if names else None
    templates = [f"{new} = 0", f"{new} = None", f"{new} = []", f"{new} = False"]
    if var:
        templates += [f"{new} = {var}", f"{new} = {var} is not None", f"{new} = bool({var})"]
    return _insert_near(block, stmt, parse_stmt(ctx.rng.choice(templates)), ctx.rng)


def _changed_constant(value: object, rng: random.Random) -> object:
    if type(value) is int:
        return value + rng.choice((1, 2, -1)) if value not in (0, 1) else value + rng.choice((1, 2))
    if type(value) is float:
        return value * 2 if value else 0.5
    if isinstance(value, str) and value.strip():
        return value.capitalize() if value.capitalize() != value else value + "."
    return None


def _fstring_parts(stmt: ast.stmt) -> set[int]:
    return {id(n) for e in own_exprs(stmt) if isinstance(e, ast.JoinedStr) for n in ast.walk(e)}


def op_change_constant(ctx: EditContext, block: list[ast.stmt], stmt: ast.stmt, func: ast.AST) -> bool:
    inside_fstrings = _fstring_parts(stmt)
    consts = [n for n in own_exprs(stmt) if isinstance(n, ast.Constant)
              and id(n) not in inside_fstrings and _changed_constant(n.value, ctx.rng) is not None]
    if not consts:
        return False
    const = ctx.rng.choice(consts)
    const.value = _changed_constant(const.value, ctx.rng)
    return True


def _load_copy(target: ast.expr) -> ast.expr:
    node = copy.deepcopy(target)
    for sub in ast.walk(node):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return node


def op_augassign(ctx: EditContext, block: list[ast.stmt], stmt: ast.stmt, func: ast.AST) -> bool:
    index = index_in(block, stmt)
    if not isinstance(stmt, ast.AugAssign) or index is None:
        return False
    value = ast.BinOp(left=_load_copy(stmt.target), op=stmt.op, right=stmt.value)
    block[index] = ast.Assign(targets=[stmt.target], value=value, type_comment=None,
                              lineno=stmt.lineno, end_lineno=stmt.end_lineno)
    return True


MIRRORED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE,
            ast.Eq: ast.Eq, ast.NotEq: ast.NotEq, ast.Is: ast.Is, ast.IsNot: ast.IsNot}


def op_swap_compare(ctx: EditContext, block: list[ast.stmt], stmt: ast.stmt, func: ast.AST) -> bool:
    compares = [n for n in own_exprs(stmt) if isinstance(n, ast.Compare)
                and len(n.ops) == 1 and type(n.ops[0]) in MIRRORED]
    if not compares:
        return False
    node = ctx.rng.choice(compares)
    node.left, node.comparators = node.comparators[0], [node.left]
    node.ops = [MIRRORED[type(node.ops[0])]()]
    return True


CHANGED_OPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
               ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
               ast.And: ast.Or, ast.Or: ast.And, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def op_change_operator(ctx: EditContext, block: list[ast.stmt], stmt: ast.stmt, func: ast.AST) -> bool:
    sites = []
    for node in own_exprs(stmt):
        if isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in CHANGED_OPS:
            sites.append((node, "op"))
        elif isinstance(node, ast.Compare) and type(node.ops[0]) in CHANGED_OPS:
            sites.append((node, "ops"))
    if not sites:
        return False
    node, attr = ctx.rng.choice(sites)
    if attr == "op":
        node.op = CHANGED_OPS[type(node.op)]()
    else:
        node.ops = [CHANGED_OPS[type(node.ops[0])]()] + node.ops[1:]
    return True


def op_delete(ctx: EditContext, block: list[ast.stmt], stmt: ast.stmt, func: ast.AST) -> bool:
    if len(block) < 2 or not isinstance(stmt, SIMPLE_TYPES) or index_in(block, stmt) is None:
        return False
    block[:] = [s for s in block if s is not stmt]
    return True


EditOp = Callable[[EditContext, list, ast.stmt, ast.AST], bool]
EDIT_OPS: dict[str, EditOp] = {
    "insert_log": op_insert_log, "insert_assign": op_insert_assign,
    "change_constant": op_change_constant, "augassign": op_augassign,
    "swap_compare": op_swap_compare, "change_operator": op_change_operator, "delete": op_delete,
}
EDIT_LEVEL_OPS = ("insert_log", "insert_assign", "change_constant", "augassign",
                  "swap_compare", "delete")
REWRITE_OPS = ("delete", "delete", "change_operator", "change_constant", "augassign",
               "swap_compare", "insert_assign")


def apply_edits(tree: ast.Module, rate: float, ctx: EditContext) -> int:
    """Edit about ``rate`` of the statements inside functions; return how many were edited."""
    sites = function_sites(tree)
    wanted = round(rate * len(sites))
    edited = 0
    for block, stmt, func in ctx.rng.sample(sites, min(wanted, len(sites))):
        for name in ctx.rng.sample(ctx.ops, len(ctx.ops)):
            if EDIT_OPS[name](ctx, block, stmt, func):
                ctx.applied[name] = ctx.applied.get(name, 0) + 1
                edited += 1
                break
    if ctx.logger:
        add_logger_setup(tree, ctx.logger)
    return edited


def add_logger_setup(tree: ast.Module, logger: str) -> None:
    index = 0
    while index < len(tree.body) and isinstance(tree.body[index], ast.ImportFrom) \
            and tree.body[index].module == "__future__":
        index += 1
    setup = [parse_stmt("import logging"), parse_stmt(f"{logger} = logging.getLogger(__name__)")]
    for stmt in setup:
        setattr(stmt, SETUP_ATTR, True)
    tree.body[index:index] = setup


# --------------------------------------------------------------------------
# rewrite: inline helpers, extract helpers, swap independent statements

def _single_return(func: ast.AST) -> ast.expr | None:
    if len(func.body) == 1 and isinstance(func.body[0], ast.Return) and func.body[0].value is not None:
        return func.body[0].value
    return None


def _plain_params(func: ast.AST) -> list[str] | None:
    args = func.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or args.defaults:
        return None
    return [a.arg for a in args.args]


class _Substitute(ast.NodeTransformer):
    def __init__(self, values: dict[str, ast.expr]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if isinstance(node.ctx, ast.Load) and node.id in self.values:
            return copy.deepcopy(self.values[node.id])
        return node


class _InlineCalls(ast.NodeTransformer):
    """Replaces ``helper(a, b)`` (or ``self.helper(a, b)``) by the helper's return expression."""

    def __init__(self, name: str, params: list[str], expr: ast.expr, method: bool) -> None:
        self.name, self.params, self.expr, self.method = name, params, expr, method
        self.count = 0

    def _is_call(self, node: ast.Call) -> bool:
        func = node.func
        if self.method:
            return isinstance(func, ast.Attribute) and func.attr == self.name \
                and isinstance(func.value, ast.Name)
        return isinstance(func, ast.Name) and func.id == self.name

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if not self._is_call(node):
            return node
        args = ([node.func.value] if self.method else []) + node.args
        self.count += 1
        return _Substitute(dict(zip(self.params, args))).visit(copy.deepcopy(self.expr))


def _references(tree: ast.Module, name: str, method: bool) -> list[ast.AST]:
    if method:
        return [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == name]
    return [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]


def _inlinable_calls(tree: ast.Module, func: ast.AST, method: bool) -> bool:
    params = _plain_params(func)
    if params is None or _single_return(func) is None or func.decorator_list:
        return False
    refs = _references(tree, func.name, method)
    calls = {id(n.func): n for n in ast.walk(tree) if isinstance(n, ast.Call)}
    arity = len(params) - (1 if method else 0)
    for ref in refs:
        call = calls.get(id(ref))
        if call is None or call.keywords or len(call.args) != arity or \
                any(isinstance(a, ast.Starred) for a in call.args) or \
                (method and not isinstance(ref.value, ast.Name)):
            return False
    inside = {id(n) for n in ast.walk(func)}
    recursive = any(id(r) in inside for r in refs)
    return bool(refs) and not recursive and len(refs) <= 6


def _helper_candidates(tree: ast.Module) -> list[tuple[list[ast.stmt], ast.AST, bool]]:
    found = [(tree.body, s, False) for s in tree.body
             if isinstance(s, ast.FunctionDef) and _inlinable_calls(tree, s, False)]
    for cls in (s for s in tree.body if isinstance(s, ast.ClassDef)):
        found += [(cls.body, s, True) for s in cls.body
                  if isinstance(s, ast.FunctionDef) and s.args.args
                  and _inlinable_calls(tree, s, True)]
    return found


def inline_helpers(tree: ast.Module, rng: random.Random, limit: int = 3) -> int:
    candidates = _helper_candidates(tree)
    chosen = rng.sample(candidates, min(limit, len(candidates)))
    for body, func, method in chosen:
        inliner = _InlineCalls(func.name, _plain_params(func), _single_return(func), method)
        body.remove(func)
        inliner.visit(tree)
        if len(body) == 0:
            body.append(ast.Pass())
    return len(chosen)


_NO_EXTRACT = (ast.Return, ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal,
               ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
               ast.AsyncFor, ast.AsyncWith)


def _loose_jumps(node: ast.AST, in_loop: bool = False) -> bool:
    """True when a break/continue would leave the extracted statements."""
    if isinstance(node, (ast.Break, ast.Continue)):
        return not in_loop
    inner = in_loop or isinstance(node, (ast.For, ast.While))
    return any(_loose_jumps(child, inner) for child in ast.iter_child_nodes(node))


def _extractable(stmt: ast.stmt) -> bool:
    if any(isinstance(n, _NO_EXTRACT) for n in ast.walk(stmt)):
        return False
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("super", "locals")
           for n in ast.walk(stmt)):
        return False
    return not _loose_jumps(stmt)


def stored_names(nodes: list[ast.AST]) -> set[str]:
    """Names bound by these nodes in their own scope (comprehensions and lambdas excluded)."""
    found: set[str] = set()
    scopes = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda, *DEF_TYPES)
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs)) and node.name:
            found.add(node.name)
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, scopes))
    return found


def _extraction_io(func: ast.AST, run: list[ast.stmt]) -> tuple[list[str], list[str]]:
    params = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
    local = params | stored_names([s for s in func.body])
    reads = {n for s in run for n in loaded_names(s)}
    reads |= {node.target.id for stmt in run for node in ast.walk(stmt)
              if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)}
    run_ids = {id(stmt) for stmt in run}
    rest = [stmt for stmt in func.body if id(stmt) not in run_ids]
    used_elsewhere = {n for s in rest for n in loaded_names(s)}
    inputs = sorted(reads & local)
    outputs = sorted(stored_names(run) & used_elsewhere)
    return inputs, outputs


def _pick_run(func: ast.AST, rng: random.Random) -> tuple[int, int] | None:
    body = func.body
    for _ in range(8):
        size = rng.randint(2, 4)
        if len(body) < size + 2:
            return None
        start = rng.randint(0, len(body) - size - 1)
        if all(_extractable(s) for s in body[start:start + size]):
            return start, start + size
    return None


def _extraction_origin(func: ast.AST, run: list[ast.stmt]) -> Origin:
    host = getattr(func, ORIGIN_ATTR)
    starts = [s.lineno for s in run if hasattr(s, "lineno")]
    ends = [s.end_lineno for s in run if getattr(s, "end_lineno", None)]
    if not starts or not ends:
        return Origin(host.qualname, host.start_line, host.end_line, 0, "extracted")
    return Origin(host.qualname, min(starts), max(ends), 0, "extracted")


def extract_helper(tree: ast.Module, slot: int, func: ast.AST, rng: random.Random,
                   pool: NamePool) -> bool:
    """Lift a run of statements of ``func`` into a new module-level helper."""
    span = _pick_run(func, rng)
    if span is None:
        return False
    run = func.body[span[0]:span[1]]
    inputs, outputs = _extraction_io(func, run)
    name = pool.helper_name()
    helper = parse_stmt(f"def {name}({', '.join(inputs)}):\n    pass")
    helper.body = run + ([parse_stmt(f"return {', '.join(outputs)}")] if outputs else [])
    setattr(helper, ORIGIN_ATTR, _extraction_origin(func, run))
    call = f"{name}({', '.join(inputs)})"
    func.body[span[0]:span[1]] = [parse_stmt(f"{', '.join(outputs)} = {call}" if outputs else call)]
    tree.body.insert(slot + 1, helper)
    return True


def _extraction_hosts(tree: ast.Module) -> list[tuple[int, ast.AST]]:
    hosts = []
    for slot, stmt in enumerate(tree.body):
        members = stmt.body if isinstance(stmt, ast.ClassDef) else [stmt]
        hosts += [(slot, f) for f in members if isinstance(f, FUNC_TYPES) and len(f.body) >= 4
                  and hasattr(f, ORIGIN_ATTR)]
    return hosts


def extract_helpers(tree: ast.Module, rng: random.Random, pool: NamePool, limit: int = 3) -> int:
    hosts = _extraction_hosts(tree)
    done = 0
    for _, func in rng.sample(hosts, len(hosts)):
        if done >= limit:
            break
        slot = next(i for i, s in enumerate(tree.body) if s is func or
                    (isinstance(s, ast.ClassDef) and any(m is func for m in s.body)))
        done += extract_helper(tree, slot, func, rng, pool)
    return done


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _effects(stmt: ast.stmt) -> tuple[set[str], set[str]]:
    reads, writes = set(), set()
    for node in own_exprs(stmt):
        path = _dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if path is None:
            continue
        if isinstance(node.ctx, ast.Load):
            reads.add(path)
        else:
            writes.add(path)
    for node in own_exprs(stmt):
        if isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
            writes.add(_dotted(node.value) or "?")
    if isinstance(stmt, ast.AugAssign):
        reads |= writes
    return reads, writes


def _conflict(a: set[str], b: set[str]) -> bool:
    return any(x == y or x.startswith(y + ".") or y.startswith(x + ".") for x in a for y in b)


def independent(first: ast.stmt, second: ast.stmt) -> bool:
    swappable = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)
    if not (isinstance(first, swappable) and isinstance(second, swappable)):
        return False
    reads1, writes1 = _effects(first)
    reads2, writes2 = _effects(second)
    return not (_conflict(writes1, reads2 | writes2) or _conflict(writes2, reads1))


def swap_independent(tree: ast.Module, rng: random.Random, prob: float = 0.4) -> int:
    swapped = 0
    blocks = {id(block): block for block, _, _ in function_sites(tree)}
    for block in blocks.values():
        index = 0
        while index < len(block) - 1:
            if independent(block[index], block[index + 1]) and rng.random() < prob:
                block[index], block[index + 1] = block[index + 1], block[index]
                swapped += 1
                index += 1
            index += 1
    return swapped


# --------------------------------------------------------------------------
# splitting and rendering

SPLIT_SUFFIXES = ("_core", "_utils", "_helpers", "_impl", "_base", "_extra", "_support", "_ops")


def _cut_points(count: int, parts: int, rng: random.Random) -> list[int]:
    cuts = []
    for i in range(1, parts):
        cut = round(count * i / parts) + rng.choice((-1, 0, 1))
        cuts.append(min(max(cut, (cuts[-1] + 1) if cuts else 1), count - (parts - i)))
    return cuts


def split_module(tree: ast.Module, rng: random.Random) -> list[ast.Module]:
    """Distribute top-level definitions over 2-3 modules; the first keeps the other code."""
    defs = [s for s in tree.body if isinstance(s, DEF_TYPES)]
    if len(defs) < 2:
        return [tree]
    parts = min(rng.choice((2, 3)), len(defs))
    bounds = [0, *_cut_points(len(defs), parts, rng), len(defs)]
    chunks = [defs[bounds[i]:bounds[i + 1]] for i in range(parts)]
    header = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))
              or getattr(s, SETUP_ATTR, False)]
    later = {id(s) for chunk in chunks[1:] for s in chunk}
    modules = [ast.Module(body=[s for s in tree.body if id(s) not in later], type_ignores=[])]
    for chunk in chunks[1:]:
        modules.append(ast.Module(body=copy.deepcopy(header) + chunk, type_ignores=[]))
    return modules


def render(tree: ast.Module, upstream_path: str, suffix: str) -> DisguisedFile:
    """Unparse ``tree`` and locate each tagged function in the emitted text."""
    ast.fix_missing_locations(tree)
    text = ast.unparse(tree) + "\n"
    emitted = walk_functions(ast.parse(text))
    built = walk_functions(tree)
    if [n.name for _, n in emitted] != [n.name for _, n in built]:
        raise ValueError(f"{upstream_path}: function layout changed while unparsing")
    truths = []
    for (qualname, out_node), (_, node) in zip(emitted, built):
        origin: Origin | None = getattr(node, ORIGIN_ATTR, None)
        if origin is None:
            continue
        truths.append(FunctionTruth(
            path="", qualname=qualname, start_line=out_node.lineno,
            end_line=out_node.end_lineno or out_node.lineno, upstream_path=upstream_path,
            upstream_qualname=origin.qualname, upstream_start_line=origin.start_line,
            upstream_end_line=origin.end_line, upstream_lines=origin.lines,
            upstream_code_lines=origin.code_lines, origin=origin.kind,
            positive=origin.kind == "function" and origin.code_lines >= MIN_POSITIVE_LINES))
    return DisguisedFile(suffix=suffix, source=text, functions=truths)


# --------------------------------------------------------------------------
# methods turned into functions

class _Unself(ast.NodeTransformer):
    """Inside a lifted method: ``self.config.x`` -> a constant, ``self.x`` -> ``x``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: dict[str, None] = {}

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        value = node.value
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) \
                and value.value.id == "self" and value.attr == "config" \
                and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Constant(self.rng.choice((2, 4, 8, 14, 16, 32))), node)
        if isinstance(value, ast.Name) and value.id == "self":
            self.names.setdefault(node.attr)
            return ast.copy_location(ast.Name(node.attr, node.ctx), node)
        self.generic_visit(node)
        return node


class _CallLifted(ast.NodeTransformer):
    """Elsewhere in the file: ``self.f(x)`` -> ``f(x)`` for each lifted ``f``."""

    def __init__(self, lifted: set[str]) -> None:
        self.lifted = lifted

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == "self" and func.attr in self.lifted:
            node.func = ast.copy_location(ast.Name(func.attr, ast.Load()), func)
        return node


def _liftable(method: ast.stmt) -> bool:
    if not isinstance(method, FUNC_TYPES) or method.decorator_list or DUNDER.match(method.name):
        return False
    args = method.args.args
    if not args or args[0].arg != "self":
        return False
    for node in ast.walk(method):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "super":
            return False
        if isinstance(node, ast.Name) and node.id == "self":
            # bare ``self`` (passed on, returned): not a flattening a copier does
            if not any(isinstance(p, ast.Attribute) and p.value is node
                       for p in ast.walk(method)):
                return False
    return True


def lift_method(method: ast.AST, lifted: set[str], rng: random.Random) -> None:
    """Drop ``self``: attributes read become parameters, config reads become constants."""
    method.args.args = method.args.args[1:]
    _CallLifted(lifted).visit(method)
    unself = _Unself(rng)
    unself.visit(method)
    taken = {a.arg for a in ast.walk(method.args) if isinstance(a, ast.arg)}
    extra = [n for n in unself.names if n not in lifted and n not in taken]
    method.args.args = [ast.arg(n) for n in extra] + method.args.args


def methods_to_functions(tree: ast.Module, rng: random.Random, rate: float = 0.7) -> int:
    """Turn most methods of each top-level class into module-level functions."""
    done = 0
    for slot in range(len(tree.body) - 1, -1, -1):
        cls = tree.body[slot]
        if not isinstance(cls, ast.ClassDef):
            continue
        methods = [m for m in cls.body if _liftable(m)]
        chosen = rng.sample(methods, round(len(methods) * rate))
        lifted = {m.name for m in chosen}
        for m in chosen:
            cls.body.remove(m)
        if not cls.body:
            cls.body.append(ast.Pass())
        _CallLifted(lifted).visit(cls)
        for m in chosen:
            lift_method(m, lifted, rng)
        tree.body[slot + 1:slot + 1] = chosen
        done += len(chosen)
    return done


# --------------------------------------------------------------------------
# split into small files

SMALL_CODE_LINES = 15  # upstream code lines of the largest function the split level keeps


def _small(node: ast.AST) -> bool:
    origin: Origin | None = getattr(node, ORIGIN_ATTR, None)
    return origin is not None and origin.code_lines <= SMALL_CODE_LINES


def split_small(tree: ast.Module, rng: random.Random) -> list[ast.Module]:
    """Deal the small functions and methods over files of 2-4 each; large ones are left out.

    A method's class comes along as a header (name, bases, class attributes) in
    every file that holds one of its methods, as when a copier spreads a class
    over mixins.  The first file keeps the module's other statements.
    """
    header = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))
              or getattr(s, SETUP_ATTR, False)]
    pieces: list[tuple[ast.ClassDef | None, ast.AST]] = []
    rest: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, FUNC_TYPES):
            if _small(stmt):
                pieces.append((None, stmt))
        elif isinstance(stmt, ast.ClassDef):
            methods = [m for m in stmt.body if isinstance(m, FUNC_TYPES)]
            pieces += [(stmt, m) for m in methods if _small(m)]
            if not methods:
                rest.append(stmt)
        elif stmt not in header:
            rest.append(stmt)
    modules: list[ast.Module] = []
    first = True
    while pieces or first:
        size = rng.randint(2, 4)
        run, pieces = pieces[:size], pieces[size:]
        body = copy.deepcopy(header) + (rest if first else [])
        first = False
        for owner, members in _by_owner(run):
            if owner is None:
                body += members
            else:
                attrs = [s for s in owner.body if not isinstance(s, DEF_TYPES)]
                body.append(ast.ClassDef(owner.name, owner.bases, owner.keywords,
                                         copy.deepcopy(attrs) + members,
                                         owner.decorator_list))
        modules.append(ast.Module(body=body, type_ignores=[]))
    return modules


def _by_owner(run: list[tuple[ast.ClassDef | None, ast.AST]]) -> list[tuple[ast.ClassDef | None,
                                                                             list[ast.AST]]]:
    out: list[tuple[ast.ClassDef | None, list[ast.AST]]] = []
    for owner, member in run:
        if out and out[-1][0] is owner and owner is not None:
            out[-1][1].append(member)
        else:
            out.append((owner, [member]))
    return out


# --------------------------------------------------------------------------
# entry points

def _rewrite(tree: ast.Module, rng: random.Random, pool: NamePool) -> None:
    inline_helpers(tree, rng)
    extract_helpers(tree, rng, pool, limit=rng.randint(1, 3))
    swap_independent(tree, rng)
    apply_edits(tree, EDIT_RATES["rewrite"], EditContext(rng, pool, ops=REWRITE_OPS))


def disguise_source(source: str, upstream_path: str, level: str, seed: int) -> list[DisguisedFile]:
    """Disguise one upstream file; one output for most levels, 1-3 for ``rewrite``, more for
    ``split``."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    rng = random.Random(f"{seed}:{level}:{upstream_path}")
    tree = ast.parse(source)
    tag_origins(tree, source)
    strip_docstrings(tree)
    pool = NamePool(rng, all_identifiers(tree))
    rename_identifiers(tree, pool)
    if level == "rewrite":
        _rewrite(tree, rng, pool)
    elif level == "methods":
        methods_to_functions(tree, rng)
    elif EDIT_RATES[level]:
        apply_edits(tree, EDIT_RATES[level], EditContext(rng, pool, ops=EDIT_LEVEL_OPS))
    shuffle_definitions(tree.body, rng)
    if level == "split":
        modules = split_small(tree, rng)
        suffixes = [f"_part{i}" if i else "" for i in range(len(modules))]
    else:
        modules = split_module(tree, rng) if level == "rewrite" else [tree]
        suffixes = [""] + rng.sample(SPLIT_SUFFIXES, len(modules) - 1)
    return [render(module, upstream_path, suffix) for module, suffix in zip(modules, suffixes)]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Disguise a Python file and print the result.")
    parser.add_argument("file")
    parser.add_argument("--level", choices=LEVELS, default="rename")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--diff", action="store_true", help="print a unified diff against the input")
    parser.add_argument("--truth", action="store_true", help="print the ground truth as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    with open(args.file, encoding="utf-8") as handle:
        source = handle.read()
    for part in disguise_source(source, args.file, args.level, args.seed):
        name = f"disguised{part.suffix}.py"
        part.with_path(name)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                source.splitlines(True), part.source.splitlines(True), args.file, name))
        else:
            print(f"# ---- {name}\n{part.source}")
        if args.truth:
            print(json.dumps([asdict(t) for t in part.functions], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
