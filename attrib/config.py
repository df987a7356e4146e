# SPDX-License-Identifier: Apache-2.0
"""A project's own attrib configuration: ``.attrib.yaml`` at the repository root.

``.attrib.yaml`` (or ``.attrib.yml``) wins; else a ``[tool.attrib]`` table in
``pyproject.toml`` with the same keys; else the defaults.  Every key is optional::

    upstreams:                       # projects this one builds on, declared
      - name: MiniCPM-V
        location: https://github.com/OpenBMB/MiniCPM-V   # git URL or path
        ref: main
        license: Apache-2.0                                # SPDX expression
        artifacts: {weights: LicenseRef-MiniCPM-Model-License}
    credit:
      files: [README.md, docs/CREDITS.md]   # globs where credit is looked for
      severity: error                       # the credit policy: warning (default) | error
    thresholds: {min_similarity: 0.6, min_lines: 5}
    exclude: ["third_party/**", "*.min.js"]  # globs of paths not scanned
    rules: [compliance/extra-rules.yaml]    # more rule files, relative to this file
    resolutions:                            # reasoned exceptions to a rule
      - rule: apache-2.0/headers
        path: src/vision/resampler.py       # a path or a glob
        lines: 10-40                        # a line or a range; omitted: the whole file
        reason: credited-elsewhere          # one of RESOLUTION_REASONS
        comment: the header moved to NOTICE, see PR 12
        expires: 2027-06-30                 # last day it applies; omitted: never expires

The same in ``pyproject.toml``::

    [tool.attrib]
    exclude = ["third_party/**"]
    credit = {severity = "error"}

    [[tool.attrib.resolutions]]
    rule = "apache-2.0/headers"
    path = "src/vision/resampler.py"
    lines = "10-40"
    reason = "credited-elsewhere"
    expires = 2027-06-30

A mistake is one ``ConfigError`` naming the file and line (for TOML, the line is
found by searching the text for the key: close, not exact).  The loaders' contract,
which the fuzz targets hold them to: a ``Config`` or a ``ConfigError``, nothing else.

*Where config comes from.*  Only from the project the user runs attrib in: the
first directory from the current one up to the git root (the directory holding
``.git``) that has one of the files above, as pre-commit and REUSE find theirs;
or the file given with ``--config``.  A tree being scanned, compared or audited
is data and never configures its own scan (issue 12).  Files the config names
(``rules:``) and the config file itself must resolve inside the project root: a
symlink or ``../`` out of it is refused (issue 11).
"""
from __future__ import annotations

import datetime
import difflib
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .yamlschema import (
    Date,
    Dict,
    Enum,
    Float,
    Int,
    List,
    Mapping,
    Pattern,
    Spdx,
    Str,
    parse_yaml,
    read_text,
    validate,
)

if TYPE_CHECKING:
    from .rules import RuleSet

CONFIG_FILES = (".attrib.yaml", ".attrib.yml")
RESOLUTION_REASONS = ("false-positive", "credited-elsewhere", "permission-granted",
                      "not-distributed", "license-exception", "upstream-is-ours")
ARTIFACT_KINDS = ("code", "weights")  # rules.ARTIFACTS less "any"
CREDIT_FILES = ("README*", "NOTICE*", "CREDITS*", "AUTHORS*", "THIRD_PARTY*", "THIRD-PARTY*",
                "ACKNOWLEDGMENTS*", "ACKNOWLEDGEMENTS*")


@dataclass(frozen=True)
class DeclaredUpstream:
    name: str
    location: str | None = None  # git URL or path
    ref: str | None = None
    license: str | None = None  # SPDX expression
    url: str | None = None
    artifacts: dict[str, str] = field(default_factory=dict, hash=False)  # artifact -> SPDX
    origin: str = field(default="", compare=False)  # ".attrib.yaml:3", for messages


@dataclass(frozen=True)
class Resolution:
    """A reasoned exception: ``rule`` does not apply at ``path`` (``lines``: all of it if None)."""

    rule: str
    path: str  # a path relative to the root, or a glob
    lines: tuple[int, int] | None
    reason: str  # one of RESOLUTION_REASONS
    comment: str
    expires: datetime.date | None  # the last day it applies
    origin: str  # ".attrib.yaml:23"

    def covers(self, rule_id: str, path: str, start: int, end: int, today: datetime.date) -> bool:
        return (self.rule == rule_id and (self.expires is None or today <= self.expires)
                and _path_matches(self.path, path)
                and (self.lines is None or self.lines[0] <= start <= end <= self.lines[1]))


@dataclass(frozen=True)
class Config:
    path: str | None  # where it was read from; None: the defaults
    upstreams: tuple[DeclaredUpstream, ...] = ()
    credit_files: tuple[str, ...] = CREDIT_FILES  # globs, relative to the root
    credit_severity: str = "warning"  # the credit policy: "warning" | "error"
    rules: tuple[str, ...] = ()  # extra rule files, relative to the config file
    min_similarity: float | None = None
    min_lines: int | None = None  # matches shorter than this are ignored by the rules engine
    exclude: tuple[str, ...] = ()  # globs of paths not scanned
    license: str | None = None  # the project's own licence, if it states it
    resolutions: tuple[Resolution, ...] = ()
    # the project root the files it names must stay in; None: a Config built in code
    root: str | None = field(default=None, compare=False)

    def resolution_for(self, rule_id: str, path: str, start: int, end: int,
                       today: datetime.date) -> Resolution | None:
        """The first unexpired resolution of ``rule_id`` covering ``path`` lines start-end."""
        return next((r for r in self.resolutions if r.covers(rule_id, path, start, end, today)),
                    None)

    def rule_files(self) -> tuple[Path, ...]:
        """The extra rule files, as paths (relative to the config file's directory).

        ConfigError when one resolves outside the project root (``../``, a symlink).
        """
        base = Path(self.path).parent if self.path else Path(".")
        if self.root is None:
            return tuple(base / r for r in self.rules)
        return tuple(inside(base / r, Path(self.root), f"{self.path}: rule file {r!r}")
                     for r in self.rules)

    def check_rules(self, rules: RuleSet) -> None:
        """ConfigError at the first resolution naming a rule ``rules`` does not have."""
        ids = [r.id for r in rules.rules]
        for res in self.resolutions:
            if res.rule not in ids:
                near = difflib.get_close_matches(res.rule, ids, n=1)
                raise ConfigError(f"{res.origin}: unknown rule {res.rule!r} in resolution"
                                  + (f"; did you mean {near[0]!r}?" if near else
                                     " (attrib rules list shows the ids)"))


def git_root(start: str | Path) -> Path | None:
    """The nearest directory from ``start`` up that holds ``.git`` (a directory or a file)."""
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return None


def find_config(start: str | Path = ".") -> Config:
    """The config of the project the user runs in: from ``start`` up to the git root.

    Outside any git repository only ``start`` itself is looked at: a parent
    directory (``/tmp``, a download folder) is nobody's project.
    """
    here = Path(os.path.abspath(start))
    if not here.is_dir():
        here = here.parent
    top = git_root(here)
    folders = [here] if top is None else \
        [here, *list(here.parents)[:len(here.relative_to(top).parts)]]
    for folder in folders:
        found = _config_in(folder, top or here)
        if found is not None:
            return found
    return Config(None, root=str(top or here))


def load_config(root: str | Path) -> Config:
    """The configuration in the directory ``root``; ``Config(None)`` if it has none.

    Its files must stay in the project: ``root``'s git root, else ``root``.
    """
    root = Path(root)
    top = git_root(root) or Path(os.path.abspath(root))
    return _config_in(root, top) or Config(None, root=str(top))


def config_from_file(path: str | Path) -> Config:
    """``--config FILE``: the user's choice of file; the files it names stay in its project."""
    file = Path(path)
    top = git_root(file.parent) or Path(os.path.abspath(file.parent))
    found = load_config_file(file, top)
    if found is None:
        raise ConfigError(f"{path}: has no [tool.attrib] table")
    return found


def _config_in(folder: Path, top: Path) -> Config | None:
    for name in (*CONFIG_FILES, "pyproject.toml"):
        candidate = folder / name
        if os.path.lexists(candidate):
            inside(candidate, top, f"{candidate}: config file")
            found = load_config_file(candidate, top)
            if found is not None:
                return found
    return None


def inside(path: Path, root: Path, what: str) -> Path:
    """``path`` resolved (symlinks and ``..``), or ConfigError if that leaves ``root``."""
    real = Path(os.path.realpath(path))
    top = Path(os.path.realpath(root))
    if real != top and top not in real.parents:
        raise ConfigError(f"{what} resolves outside the project ({_short(str(real))}, not "
                          f"under {_short(str(top))}): refused")
    return real


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def load_config_file(path: str | Path, root: str | Path | None = None) -> Config | None:
    """One config file: YAML, or a ``pyproject.toml`` (None when it has no ``[tool.attrib]``).

    ``root``: the project root the files it names must stay in (default: its directory).
    """
    name = str(path)
    text = read_text(Path(path), name)
    if root is None:
        folder = os.path.dirname(os.path.abspath(name))
        root = git_root(folder) or folder
    top = str(root)
    config = parse_config(text, name, top)
    return None if config.path is None else config


def parse_config(text: str, name: str, root: str | None = None) -> Config:
    """The config in ``text`` (``name`` ending ``.toml``: a pyproject.toml).

    ``Config(None)`` for a pyproject.toml without ``[tool.attrib]``.  Returns a
    Config or raises ConfigError, for any text whatever.
    """
    try:
        if name.endswith(".toml"):
            return _from_toml(text, name, root)
        data, lines = parse_yaml(text, name)
        return _config(validate(data, lines, _SCHEMA, name), lines, name, root)
    except RecursionError:
        raise ConfigError(f"{name}:1: nested too deeply") from None


def _from_toml(text: str, name: str, root: str | None) -> Config:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    if "attrib" not in text:
        return Config(None)  # the common case: a pyproject.toml that is not ours to read
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{name}:{m.group(1)}" if m else f"{name}:1"
        raise ConfigError(f"{where}: invalid TOML: {str(exc).split(' (at line')[0]}") from None
    except ValueError as exc:  # e.g. an integer past Python's 4,300-digit conversion limit
        raise ConfigError(f"{name}:1: invalid TOML: {_short(str(exc), 120)}") from None
    tool = doc.get("tool")
    if not isinstance(tool, dict) or "attrib" not in tool:
        return Config(None)
    lines = _toml_lines(text, tool["attrib"])
    data = validate(tool["attrib"], lines, _SCHEMA, name)
    return _config(data, lines, name, root)


def _toml_lines(text: str, data: Any) -> dict:
    """The line of each key path of ``[tool.attrib]``, found by searching the text."""
    rows = text.splitlines()

    def find(key: str, start: int) -> int | None:
        pattern = re.compile(rf'(^|[\s{{,.\[])["\']?{re.escape(str(key))}["\']?\s*(=|\]|\.)')
        return next((i + 1 for i in range(max(start, 0), len(rows)) if pattern.search(rows[i])),
                    None)

    lines = {(): find("attrib", 0) or 1}

    def walk(value: Any, path: tuple, start: int) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value) \
            if isinstance(value, list) else ()
        for key, item in items:
            if isinstance(key, int):
                first = next(iter(item), None) if isinstance(item, dict) else None
                line = (find(first, start) if first is not None else None) or lines[path]
                start = line  # the next item starts below this one
            else:
                line = find(key, start) or lines[path]
            lines[path + (key,)] = line
            walk(item, path + (key,), line - 1)
    walk(data, (), lines[()] - 1)
    return lines


def _config(data: dict, lines: dict, name: str, root: str | None) -> Config:
    credit, limits = data.get("credit", {}), data.get("thresholds", {})
    upstreams: list[DeclaredUpstream] = []
    for i, u in enumerate(data.get("upstreams", [])):
        if any(u["name"] == seen.name for seen in upstreams):
            raise ConfigError(f"{name}:{lines[('upstreams', i)]}: upstream {u['name']!r} "
                              "declared twice")
        upstreams.append(DeclaredUpstream(u["name"], u.get("location"), u.get("ref"),
                                          u.get("license"), u.get("url"),
                                          dict(u.get("artifacts", {})),
                                          f"{name}:{lines[('upstreams', i)]}"))
    resolutions = tuple(Resolution(r["rule"], r["path"], r.get("lines"), r["reason"],
                                   r.get("comment", ""), r.get("expires"),
                                   f"{name}:{lines[('resolutions', i)]}")
                        for i, r in enumerate(data.get("resolutions", [])))
    for i, rule_file in enumerate(data.get("rules", [])):
        where = f"{name}:{lines[('rules', i)]}"
        path = Path(name).parent / rule_file
        if root is not None:
            inside(path, Path(root), f"{where}: rule file {rule_file!r}")
        if not path.is_file():
            raise ConfigError(f"{where}: rule file {rule_file!r} not found "
                              f"(paths are relative to {name})")
    return Config(name, tuple(upstreams), tuple(credit.get("files", CREDIT_FILES)),
                  credit.get("severity", "warning"), tuple(data.get("rules", ())),
                  limits.get("min_similarity"), limits.get("min_lines"),
                  tuple(data.get("exclude", ())),
                  data.get("license"), resolutions, root)


def _path_matches(pattern: str, path: str) -> bool:
    pattern, path = pattern.removeprefix("./"), path.removeprefix("./")
    return path == pattern or fnmatch.fnmatchcase(path, pattern)


class _Lines(Str):
    """``12`` or ``10-40``: a line or an inclusive range, as (start, end)."""

    kind, types = "a line number or range (e.g. 10-40)", (str, int)

    def convert(self, value: Any) -> Any:
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(value))
        start, end = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (0, 0)
        if not 1 <= start <= end:
            raise ValueError("expected a line or a range START-END, e.g. 10-40, "
                             "with 1 <= START <= END")
        return (start, end)


_UPSTREAM = Mapping(required={"name": Str()},
                    optional={"location": Str(), "ref": Str(), "license": Spdx(), "url": Str(),
                              "artifacts": Dict(Enum(*ARTIFACT_KINDS), Spdx())},
                    noun="upstream", name_key="name")
_RESOLUTION = Mapping(required={"rule": Str(), "path": Pattern(),
                                "reason": Enum(*RESOLUTION_REASONS)},
                      optional={"lines": _Lines(), "comment": Str(), "expires": Date()},
                      noun="resolution")
_SCHEMA = Mapping(optional={
    "upstreams": List(_UPSTREAM),
    "credit": Mapping(optional={"files": List(Pattern()), "severity": Enum("warning", "error")}),
    "thresholds": Mapping(optional={"min_similarity": Float(0, 1), "min_lines": Int(min=1)}),
    "exclude": List(Pattern()),
    "rules": List(Str()),
    "license": Spdx(),
    "resolutions": List(_RESOLUTION),
})
