# SPDX-License-Identifier: Apache-2.0
"""A small validating loader for rule and config files that keeps every value's line.

    data, lines = load(Path("rules/mit.yaml"), SCHEMA, "rules/mit.yaml")

``SCHEMA`` is built from the types below (``Mapping``, ``List``, ``Dict``, ``Str``,
``Int``, ``Float``, ``Bool``, ``Enum``, ``Date``, ``Spdx``, ``Pattern``).  ``data`` is
plain Python after validation (``Date`` gives a ``datetime.date``, ``Spdx`` the
normalised expression); ``lines`` maps a key path such as ``("rules", 2, "severity")``
to its 1-based line.  Every mistake is one ``ConfigError`` reading ``FILE:LINE:
message``: broken YAML, duplicate, unknown and missing keys, wrong types, bad values.
``validate(data, lines, schema, name)`` checks data parsed elsewhere (pyproject.toml).

The files are untrusted (a scanned tree's rules, a fuzzer's bytes): only plain
YAML is read (the core schema's tags, no ``!!python/...``, no ``!!set``), aliases
may not multiply the data past ``_MAX_NODES`` values ("billion laughs"), nesting
stops at ``_MAX_DEPTH``, numbers must be finite, and a value that PyYAML cannot
build (``!!int ''``, ``!!timestamp x``) is an error at its line, never a crash.
"""
from __future__ import annotations

import datetime
import math
import os
import re
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import yaml

from .errors import ConfigError

KeyPath = tuple[str | int, ...]
_MAX_NODES = 100_000  # aliases can multiply a small file ("billion laughs"); rule files are small
_MAX_DEPTH = 64  # nesting; the schemas need 5 levels, and the composer recurses per level
_MAX_BYTES = 4 << 20  # a config or rule file; a pyproject.toml is rarely past 100 KB
# the tags a value may carry: YAML 1.1's core types, which SafeConstructor builds as data
_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null",
                                            "timestamp", "map", "seq")}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml, when PyYAML has it


class _Ctx:
    def __init__(self, name: str, lines: dict[KeyPath, int]) -> None:
        self.name, self.lines = name, lines

    def fail(self, path: KeyPath, message: str) -> NoReturn:
        while path not in self.lines and path:
            path = path[:-1]
        raise ConfigError(f"{self.name}:{self.lines.get(path, 1)}: {message}")


class Str:
    """A non-empty string; subclasses convert or refuse the value (``ValueError``)."""

    kind = "a string"
    types: tuple[type, ...] = (str,)

    def check(self, value: Any, ctx: _Ctx, path: KeyPath, label: str) -> Any:
        if not isinstance(value, self.types) or (isinstance(value, bool)
                                                 and bool not in self.types):
            ctx.fail(path, f"{label} must be {self.kind}, not {_kind(value)}")
        try:
            return self.convert(value)
        except ValueError as exc:
            ctx.fail(path, f"bad value {_show(value)} for {label} ({exc})")

    def convert(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty")
        return value


class Bool(Str):
    kind, types = "true or false", (bool,)


class Int(Str):
    kind = "an integer"
    types: tuple[type, ...] = (int,)

    def __init__(self, min: float | None = None, max: float | None = None) -> None:
        self.min, self.max = min, max

    def convert(self, value: Any) -> Any:
        lo, hi = self.min, self.max
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("expected a finite number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected {lo} to {hi}" if lo is not None and hi is not None
                             else f"expected at least {lo}" if lo is not None
                             else f"expected at most {hi}")
        return value


class Float(Int):
    kind = "a number"
    types: tuple[type, ...] = (int, float)

    def convert(self, value: Any) -> Any:
        return float(super().convert(value))


class Enum(Str):
    def __init__(self, *values: str) -> None:
        self.values = values

    def convert(self, value: Any) -> Any:
        if value not in self.values:
            raise ValueError(f"expected one of: {', '.join(self.values)}")
        return value


class Date(Str):
    kind, types = "a date (YYYY-MM-DD)", (str, datetime.date)

    def convert(self, value: Any) -> Any:
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        try:
            if re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)):
                return datetime.date.fromisoformat(value)
        except ValueError:
            pass
        raise ValueError("expected a date YYYY-MM-DD")


class Spdx(Str):
    """An SPDX licence expression (``expression=False``: one licence id), normalised."""

    def __init__(self, expression: bool = True) -> None:
        self.expression = expression

    def convert(self, value: Any) -> Any:
        return normalise_spdx(value, self.expression)


class Pattern(Str):
    """A glob relative to the repository root (fnmatch: ``*`` also crosses ``/``)."""

    def convert(self, value: Any) -> Any:
        value = super().convert(value).strip()
        if value.startswith("/") or "\\" in value or "\0" in value:
            raise ValueError("expected a glob relative to the repository root, with '/'")
        return value


class List:
    kind = "a list"

    def __init__(self, item: Str | Mapping | Dict) -> None:
        self.item = item

    def check(self, value: Any, ctx: _Ctx, path: KeyPath, label: str) -> list:
        if not isinstance(value, list):
            ctx.fail(path, f"{label} must be a list, not {_kind(value)}")
        return [self.item.check(v, ctx, path + (i,), f"item #{i + 1} of {label}")
                for i, v in enumerate(value)]


class Dict:
    """A mapping whose keys are data (``artifacts: {weights: ...}``)."""

    kind = "a mapping"

    def __init__(self, keys: Str, values: Str) -> None:
        self.keys, self.values = keys, values

    def check(self, value: Any, ctx: _Ctx, path: KeyPath, label: str) -> dict:
        if not isinstance(value, dict):
            ctx.fail(path, f"{label} must be a mapping, not {_kind(value)}")
        return {self.keys.check(k, ctx, path + (k,), f"key {k!r} of {label}"):
                self.values.check(v, ctx, path + (k,), f"{k!r} in {label}")
                for k, v in value.items()}


class Mapping:
    """Known keys, each required or optional; ``name_key`` names an item in messages."""

    kind = "a mapping"

    def __init__(self, required: dict[str, Any] | None = None,
                 optional: dict[str, Any] | None = None, noun: str = "",
                 name_key: str = "") -> None:
        self.required, self.optional = required or {}, optional or {}
        self.fields = {**self.required, **self.optional}
        self.noun, self.name_key = noun, name_key

    def check(self, value: Any, ctx: _Ctx, path: KeyPath, label: str) -> dict:
        if not isinstance(value, dict):
            ctx.fail(path, f"{label or 'the file'} must be a mapping, not {_kind(value)}")
        where = self._where(value, path, label)
        for key in value:
            if key not in self.fields:
                ctx.fail(path + (key,), f"unknown key {key!r}{where} "
                                        f"(expected one of: {', '.join(self.fields)})")
        out = {k: self.fields[k].check(v, ctx, path + (k,), f"{k!r}{where}")
               for k, v in value.items() if v is not None or k in self.required}
        for key in self.required:
            if key not in value:
                ctx.fail(path, f"missing required key {key!r}{where}")
        return out

    def _where(self, value: dict, path: KeyPath, label: str) -> str:
        name = value.get(self.name_key) if self.name_key else None
        if isinstance(name, str):
            return f" in {self.noun} {name!r}"
        if self.noun and path and isinstance(path[-1], int):
            return f" in {self.noun} #{path[-1] + 1}"
        return f" in {label}" if label else ""


def load(source: str | Path, schema: Mapping,
         name: str | None = None) -> tuple[Any, dict[KeyPath, int]]:
    """Parse and validate YAML: a ``Path`` is read, a ``str`` is the text itself."""
    name = name or (str(source) if isinstance(source, Path) else "<string>")
    text = read_text(source, name) if isinstance(source, Path) else source
    data, lines = parse_yaml(text, name)
    try:
        return validate(data, lines, schema, name), lines
    except RecursionError:  # parse_yaml bounds the depth; this is the last line of defence
        raise ConfigError(f"{name}:1: nested too deeply") from None


def validate(data: Any, lines: dict[KeyPath, int], schema: Mapping, name: str) -> Any:
    return schema.check(data, _Ctx(name, lines), (), "")


def read_text(path: Path, name: str) -> str:
    """A regular file of at most ``_MAX_BYTES``, as text.

    Not a FIFO (it would block) nor a device (/dev/zero never ends).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError(f"{name}: not a regular file")
            if info.st_size > _MAX_BYTES:
                raise ConfigError(f"{name}: {info.st_size} bytes, more than a config or rule "
                                  f"file may have ({_MAX_BYTES})")
            data = os.read(fd, _MAX_BYTES + 1)
        finally:
            os.close(fd)
        return data.decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def parse_yaml(text: str, name: str) -> tuple[Any, dict[KeyPath, int]]:
    """Plain data and the line of every key path; duplicate keys are an error."""
    lines: dict[KeyPath, int] = {(): 1}
    try:
        _check_depth(text, name)
        node = yaml.compose(text, Loader=_LOADER)
        data = {} if node is None else _plain(node, (), lines, _Walk(name))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(f"{exc.problem or ''} {exc.context or ''}".split()) or "malformed"
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{name}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:  # a ReaderError (a control character) has only a position
        line = text.count("\n", 0, getattr(exc, "position", 0)) + 1
        raise ConfigError(f"{name}:{line}: invalid YAML: {' '.join(str(exc).split())}") from None
    return data, lines


def _check_depth(text: str, name: str) -> None:
    """Refuse deep nesting from the event stream (iterative) before the composer recurses."""
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > _MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise ConfigError(f"{name}:{line}: nested more than {_MAX_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


class _Walk:
    def __init__(self, name: str) -> None:
        self.name, self.nodes = name, 0
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, message: str) -> NoReturn:
        raise ConfigError(f"{self.name}:{node.start_mark.line + 1}: {message}")


def _plain(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], walk: _Walk,
           above: frozenset[int] = frozenset()) -> Any:
    walk.nodes += 1
    if walk.nodes > _MAX_NODES or id(node) in above:
        walk.fail(node, "too many values (recursive or repeated aliases?)")
    if node.tag not in _TAGS:
        walk.fail(node, f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')[:80]} is not "
                        "allowed (plain YAML values only)")
    lines.setdefault(path, node.start_mark.line + 1)
    above = above | {id(node)}
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                walk.fail(knode, "a key must be a plain value, not a list or mapping")
            key = _scalar(knode, walk)
            if key in out:
                walk.fail(knode, f"duplicate key {key!r} (first at line {lines[path + (key,)]})")
            lines[path + (key,)] = knode.start_mark.line + 1
            out[key] = _plain(vnode, path + (key,), lines, walk, above)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(n, path + (i,), lines, walk, above) for i, n in enumerate(node.value)]
    return _scalar(node, walk)


def _scalar(node: yaml.Node, walk: _Walk) -> Any:
    if not isinstance(node, yaml.ScalarNode) or node.tag not in _TAGS:
        walk.fail(node, "expected a plain value" if node.tag in _TAGS else
                  f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')[:80]} is not allowed "
                  "(plain YAML values only)")
    try:
        value = walk.constructor.construct_object(node)
    # PyYAML's constructors fail in many ways on a value that does not fit its tag:
    # ValueError (2027-13-45, an int past 4,300 digits), IndexError (!!int ''),
    # AttributeError (!!timestamp x), KeyError (!!bool x)
    except (ValueError, IndexError, AttributeError, KeyError, TypeError, OverflowError):
        if node.tag != _resolver().resolve(yaml.ScalarNode, node.value, (True, False)):
            walk.fail(node, f"{_show(node.value)} is not a valid "
                            f"{node.tag.replace('tag:yaml.org,2002:', '!!')}")
        return node.value  # implicit: e.g. 2027-13-45 looks like a date; the schema says why
    if isinstance(value, float) and not math.isfinite(value):
        walk.fail(node, f"{_show(node.value)} is not a finite number")
    return value


@lru_cache(maxsize=1)
def _resolver() -> Any:
    return yaml.resolver.Resolver()


def _show(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut short: a message stays one readable line."""
    huge = isinstance(value, int) and abs(value) >= 10 ** 60  # repr() of 4,300+ digits raises
    text = "<a huge number>" if huge else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


@lru_cache(maxsize=2048)
def normalise_spdx(text: str, expression: bool = True) -> str:
    """``text`` as a normalised SPDX expression (``mit or gpl-2.0+`` -> ``MIT OR
    GPL-2.0-or-later``); ``ValueError`` saying why it is not one.  ``LicenseRef-*``
    ids are accepted, as are the SPDX values ``NONE`` and ``NOASSERTION`` alone.

    Expressions found valid before are read from a small file in the user's cache, so
    a pre-commit hook loading the shipped rules need not build license-expression's SPDX
    tables (about 0.1 s of every commit); an invalid one is checked afresh every time."""
    key = f"{int(expression)}:{' '.join(text.split())}"
    known = _known_spdx()
    found = known.get(key)
    if isinstance(found, str):
        return found
    value = _normalise_spdx(text, expression)
    if len(known) < _SPDX_CACHE_ENTRIES:
        if not _spdx_unsaved:
            import atexit

            atexit.register(_save_spdx, known)  # once, whatever the process learns
        _spdx_unsaved.add(key)
        known[key] = value
    return value


_spdx_unsaved: set[str] = set()


_SPDX_CACHE_ENTRIES = 4096


def _spdx_cache_path() -> Path | None:
    """The cache file, named by what its answers depend on (attrib's and license-expression's
    installed files), or None where they cannot be told."""
    import importlib.util

    from . import __version__
    from .cachedir import cache_root

    try:
        spec = importlib.util.find_spec("license_expression")
        data = os.stat(spec.origin) if spec and spec.origin else None
    except (ImportError, OSError, ValueError):
        return None
    if data is None:
        return None
    return cache_root() / f"spdx-{__version__}-{data.st_size}-{int(data.st_mtime)}.json"


@lru_cache(maxsize=1)
def _known_spdx() -> dict[str, str]:
    import json

    path = _spdx_cache_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _save_spdx(known: dict[str, str]) -> None:
    """Write the cache whole (a temporary file renamed over it); a cache that cannot be
    written is no error."""
    import json
    import tempfile

    path = _spdx_cache_path()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".spdx-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(known, out, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def _normalise_spdx(text: str, expression: bool) -> str:
    from license_expression import ExpressionError

    text = " ".join(text.split())
    if text.upper() in ("NONE", "NOASSERTION"):
        return text.upper()
    from .licenses.expressions import alternatives_problem, size_problem

    if problem := size_problem(text):  # bounded before parsing: untrusted input (issue 11)
        raise ValueError(f"licence expression too large: {problem}")
    licensing = spdx_licensing()
    try:
        parsed = licensing.parse(text, strict=True)
    except ExpressionError as exc:
        raise ValueError(f"not an SPDX licence expression: {exc}") from None
    if parsed is None:
        raise ValueError("empty licence expression")
    if problem := alternatives_problem(parsed):
        raise ValueError(f"licence expression too large: {problem}")
    unknown = [s.key for s in licensing.license_symbols(parsed, decompose=True)
               if s.key not in licensing.known_symbols and not _LICENSE_REF.fullmatch(s.key)]
    if unknown:
        raise ValueError(f"unknown SPDX licence id {', '.join(unknown)}: see "
                         "https://spdx.org/licenses/, or name a custom one LicenseRef-NAME")
    if not expression and isinstance(parsed, (licensing.AND, licensing.OR)):
        raise ValueError("expected one licence id, not an expression")
    return re.sub(r"(?i)\b(documentref|licenseref)-",
                  lambda m: "DocumentRef-" if m.group(1).lower()[0] == "d" else "LicenseRef-",
                  str(parsed))


def spdx_licensing() -> Any:
    """license-expression's SPDX licensing, built once per process (about 0.1 s) and shared
    with :mod:`attrib.licenses.expressions`."""
    from .licenses.expressions import _licensing

    return _licensing()


_LICENSE_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+",
                          re.IGNORECASE)
_KINDS = ((bool, "true/false"), (int, "an integer"), (float, "a number"), (str, "a string"),
          (dict, "a mapping"), (list, "a list"), (datetime.datetime, "a date and time"),
          (datetime.date, "a date"))


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return next((word for t, word in _KINDS if isinstance(value, t)), type(value).__name__)
