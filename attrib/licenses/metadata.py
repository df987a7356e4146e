# SPDX-License-Identifier: Apache-2.0
"""Licences declared in packaging metadata: pyproject.toml, setup.cfg, package.json, Cargo.toml."""
from __future__ import annotations

import configparser
import json
import re
import sys
from collections.abc import Mapping
from typing import Any

from .common import Detection, decode
from .expressions import _join, _normalise
from .references import _alias_pattern, _index, _reduce
from .texts import _first_line, detect_license_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# ---------------------------------------------------------------- packaging metadata

_OR = re.compile(r"\s*(?:/|,|\bor\b(?! (?:at your option |any )*(?:later|newer)))\s*", re.IGNORECASE)


def _from_name(value: str) -> tuple[str | None, float]:
    """A free-text licence name or expression as SPDX, with a confidence."""
    if len(value.split()) > 12:  # a whole licence text in a metadata field
        found = detect_license_text(value)
        return found.spdx, found.confidence
    spdx, _ = _normalise(value)
    if spdx:
        return spdx, 1.0
    parts, operator = [value], "OR"
    if _alias(value) is None:  # "MIT/Apache-2.0", "BSD or GPLv2+", "MIT and ISC"
        parts = _OR.split(value)
        if len(parts) == 1:
            parts, operator = re.split(r"\s+and\s+", value, flags=re.IGNORECASE), "AND"
    ids = [_alias(p) for p in parts if p.strip()]
    if not ids or None in ids:
        return None, 0.0
    return _join([i for i in ids if i], operator), 0.9


def _alias(name: str) -> str | None:
    spdx, _ = _normalise(name)
    if spdx:
        return spdx
    m = _alias_pattern().fullmatch(_reduce(name))
    if not m:
        return None
    spdx = _index()["aliases"][m["name"]]
    if any(e["id"] == spdx and e.get("versioned") for e in _index()["license"]):
        spdx += "-or-later" if (m["later"] or "").startswith(" or") else "-only"
    return spdx


def _line_of(text: str, pattern: str) -> int:
    return _first_line(text, re.compile(pattern, re.MULTILINE))


def _named_file(value: str, files: Mapping[str, bytes], path: str, line: int) -> Detection:
    data = files.get(value.strip().lstrip("./"))
    found = detect_license_text(decode(data)) if data is not None else None
    return Detection(found.spdx if found else None, path, line, "metadata",
                     found.confidence if found else 0.0)


def _value(value: object, files: Mapping[str, bytes], path: str, line: int) -> Detection | None:
    """A ``license`` value: a string, {text=...}, {file=...} or npm's {type=...}."""
    if isinstance(value, dict):
        if isinstance(value.get("file"), str):
            return _named_file(value["file"], files, path, line)
        value = value.get("text", value.get("type"))
    if not isinstance(value, str) or not value.strip():
        return None
    see = re.match(r"\s*(?:see licen[cs]e in|file:)\s*(\S+)", value, re.IGNORECASE)
    if see:
        return _named_file(see.group(1), files, path, line)
    spdx, confidence = _from_name(value)
    return Detection(spdx, path, line, "metadata", confidence)


def _classifiers(values: object, text: str, path: str) -> list[Detection]:
    table = _index()["classifiers"]
    found = []
    for c in values if isinstance(values, list) else []:
        name = " ".join(str(c).split())
        if name in table:
            found.append(Detection(table[name], path, _line_of(text, re.escape(name)), "metadata", 0.8))
    return found


_Found2 = tuple[list[Detection], list[Detection]]  # (declared licence fields, classifiers)


def _table(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _pyproject(text: str, files: Mapping[str, bytes]) -> _Found2:
    doc = tomllib.loads(text)
    project = _table(doc, "project")
    poetry = _table(_table(doc, "tool"), "poetry")
    line = _line_of(text, r"^\s*license\s*=")
    found = [_value(project.get("license"), files, "pyproject.toml", line),
             _value(poetry.get("license"), files, "pyproject.toml", line)]
    return [d for d in found if d], _classifiers(project.get("classifiers"), text, "pyproject.toml")


def _setup_cfg(text: str, files: Mapping[str, bytes]) -> _Found2:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    if not parser.has_section("metadata"):
        return [], []
    meta = parser["metadata"]
    found = _value(meta.get("license"), files, "setup.cfg", _line_of(text, r"^\s*license\s*[=:]"))
    classifiers = [c for c in meta.get("classifiers", "").splitlines() if c.strip()]
    return [found] if found else [], _classifiers(classifiers, text, "setup.cfg")


def _package_json(text: str, files: Mapping[str, bytes]) -> _Found2:
    doc = json.loads(text)
    if not isinstance(doc, dict):
        return [], []
    line = _line_of(text, r'"licen[cs]es?"\s*:')
    value = doc.get("license")
    if value is None and isinstance(doc.get("licenses"), list):  # the old npm form
        names = [v.get("type") for v in doc["licenses"] if isinstance(v, dict)]
        value = " OR ".join(n for n in names if isinstance(n, str))
    if isinstance(value, str) and value.strip().upper() == "UNLICENSED":  # npm: all rights reserved
        return [Detection(None, "package.json", line, "metadata", 0.0)], []
    found = _value(value, files, "package.json", line)
    return [found] if found else [], []


def _cargo(text: str, files: Mapping[str, bytes]) -> _Found2:
    package = tomllib.loads(text).get("package")
    if not isinstance(package, dict):
        return [], []
    if isinstance(package.get("license-file"), str) and "license" not in package:
        return [_named_file(package["license-file"], files, "Cargo.toml",
                            _line_of(text, r"^\s*license-file\s*="))], []
    found = _value(package.get("license"), files, "Cargo.toml", _line_of(text, r"^\s*license\s*="))
    return [found] if found else [], []


_METADATA = {"pyproject.toml": _pyproject, "setup.cfg": _setup_cfg,
             "package.json": _package_json, "Cargo.toml": _cargo}
_PARSE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, RecursionError, configparser.Error)


def detect_metadata(files: Mapping[str, bytes]) -> list[Detection]:
    """Licences declared in pyproject.toml, setup.cfg, package.json and Cargo.toml at the root.

    ``files`` maps root-relative paths to contents; a ``{file = ...}`` value
    is looked up in it.  A file that does not parse is skipped.  Licence
    fields come before trove classifiers.
    """
    declared, classified = _metadata(files)
    return declared + classified


def _metadata(files: Mapping[str, bytes]) -> _Found2:
    declared: list[Detection] = []
    classified: list[Detection] = []
    for name, parse in _METADATA.items():
        data = files.get(name)
        if data is None:
            continue
        try:  # tomllib.TOMLDecodeError and json.JSONDecodeError are ValueErrors
            fields, classifiers = parse(decode(data), files)
        except _PARSE_ERRORS:
            continue
        declared += fields
        classified += classifiers
    return declared, classified
