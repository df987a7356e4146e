# SPDX-License-Identifier: Apache-2.0
"""Leftovers: references an audited repository cannot satisfy itself, that point at an upstream.

A copier renames what they see and forgets what they do not: an ``auto_map``
naming a module or class the repository does not ship (but an indexed
upstream does), an ``architectures`` entry for a class defined nowhere in it,
a ``model_type`` that the code it copied declares under the upstream's name.
These need none of the upstream's own artifacts: the index holds the
upstream's module names, class names and ``model_type`` declarations.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .engine.index.base import Store, decode_blob
from .model import Report, Source

CONFIG_NAMES = ("config.json", "tokenizer_config.json", "preprocessor_config.json",
                "special_tokens_map.json", "tokenizer.json")
_CLASS = re.compile(rb"^[ \t]*class[ \t]+([A-Za-z_]\w*)", re.M)
_MAX_CONFIG = 1_000_000
_TOKENISH = re.compile(r"^(<[^<>\s]{1,40}>|\[[A-Z_]{2,20}\])$")  # <image>, <|im_end|>, [SEP]
_DECLARED = re.compile(r"""['"]?model_type['"]?\s*[=:]\s*['"]([\w\-]+)['"]""")
_MAX_UPSTREAMS = 8


@dataclass(frozen=True)
class Leftover:
    """One unsatisfiable reference and the upstream it names."""

    path: str
    key: str
    value: str
    upstream: str
    detail: str


@dataclass
class _Facts:
    """What an upstream's indexed code provides: modules, classes, declared model types."""

    modules: set[str]
    classes: set[str]
    model_types: dict[str, str]  # model_type -> upstream path declaring it
    strings: dict[str, str]  # string literal -> upstream path using it (special tokens)


def find_leftovers(source: Source, store: Store, report: Report) -> list[Leftover]:
    """Leftovers in ``source``'s model configs, checked against the matched upstreams."""
    configs = _configs(source)
    if not configs:
        return []
    modules = {PurePosixPath(f.path).stem for f in source.files if f.path.endswith(".py")}
    classes = {m.decode() for f in source.files if f.path.endswith(".py")
               for m in _CLASS.findall(f.data)}
    names = _upstream_order(report, store)
    facts = {name: _facts(store, name) for name in names[:_MAX_UPSTREAMS]}
    out: list[Leftover] = []
    code = b"\n".join(f.data for f in source.files if f.path.endswith(".py"))
    for path, doc in configs:
        out += _auto_map(path, doc, modules, classes, facts)
        out += _architectures(path, doc, classes, facts)
        out += _model_type(path, doc, facts)
        out += _special_tokens(path, doc, code, facts)
    out += _renamed_classes(configs, report)
    return sorted(set(out), key=lambda x: (x.path, x.key, x.value))


def _special_tokens(path: str, doc: dict, code: bytes, facts: dict[str, _Facts]) -> list[Leftover]:
    """Special tokens this repository's own code never uses, that an upstream's code does."""
    out = []
    for token in sorted(_tokens_of(doc)):
        if token.encode() in code:
            continue
        owner = next((n for n, f in facts.items() if token in f.strings), None)
        if owner:
            out.append(Leftover(path, "special token", token, owner,
                                f"never used by this repository's code; {owner} uses it "
                                f"({facts[owner].strings[token]})"))
    return out


def _tokens_of(doc: dict) -> set[str]:
    found: set[str] = set()
    for key in ("additional_special_tokens", "bos_token", "eos_token", "unk_token", "pad_token",
                "im_start", "im_end", "slice_start", "slice_end", "image_start", "image_end"):
        value = doc.get(key)
        for v in (value if isinstance(value, list) else [value]):
            content = v.get("content") if isinstance(v, dict) else v
            if isinstance(content, str) and _TOKENISH.match(content):
                found.add(content)
    for entry in doc.get("added_tokens") or []:  # tokenizer.json
        if isinstance(entry, dict) and entry.get("special") and isinstance(entry.get("content"), str) \
                and _TOKENISH.match(entry["content"]):
            found.add(entry["content"])
    decoder = doc.get("added_tokens_decoder")  # tokenizer_config.json
    if isinstance(decoder, dict):
        for entry in decoder.values():
            if isinstance(entry, dict) and entry.get("special") and \
                    isinstance(entry.get("content"), str) and _TOKENISH.match(entry["content"]):
                found.add(entry["content"])
    return found


def _renamed_classes(configs: list[tuple[str, dict]], report: Report) -> list[Leftover]:
    """Config class names that the matches' rename maps show renamed from an upstream's."""
    renamed = {new: (old, m.upstream, m.upstream_path) for m in report.matches
               for old, new in m.renames}
    out = []
    for path, doc in configs:
        names = [c for c in doc.get("architectures") or [] if isinstance(c, str)]
        auto_map = doc.get("auto_map")
        if isinstance(auto_map, dict):
            names += [v.rsplit(".", 1)[-1] for v in auto_map.values() if isinstance(v, str)]
        for name in sorted(set(names)):
            if name in renamed:
                old, upstream, upath = renamed[name]
                out.append(Leftover(path, "class", name, upstream,
                                    f"renamed from {upstream}'s {old} ({upath})"))
    return out


def _configs(source: Source) -> list[tuple[str, dict]]:
    out = []
    for f in source.files:
        if PurePosixPath(f.path).name in CONFIG_NAMES and f.path.count("/") <= 3 \
                and len(f.data) <= _MAX_CONFIG:
            try:
                doc = json.loads(f.data)
            except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting: issue 11
                continue  # the artifact comparison reports malformed configs
            if isinstance(doc, dict):
                out.append((f.path, doc))
    return out


def _upstream_order(report: Report, store: Store) -> list[str]:
    """Matched upstreams first (most lines copied), then the others."""
    lines: dict[str, int] = {}
    for m in report.matches:
        lines[m.upstream] = lines.get(m.upstream, 0) + m.end_line - m.start_line + 1
    rest = sorted(u.name for u in store.upstreams() if u.name not in lines)
    return sorted(lines, key=lambda n: (-lines[n], n)) + rest


def _facts(store: Store, name: str) -> _Facts:
    contents = getattr(store, "upstream_contents", None)
    facts = _Facts(set(), set(), {}, {})
    if contents is None:
        return facts
    _, files, blobs = contents(name)
    paths = {f.blob_id: f.path for f in files}
    facts.modules = {PurePosixPath(f.path).stem for f in files if f.path.endswith(".py")}
    for record in blobs:
        parsed = decode_blob(record.blob_id, record.data)
        facts.classes.update(fr.name.rsplit(".", 1)[-1] for fr in parsed.fragments
                             if fr.kind == "class")
        raw = parsed.stream.raw
        for text in raw:
            if text[:1] in "'\"" and _TOKENISH.match(text.strip("'\"")):
                facts.strings.setdefault(text.strip("'\""), paths.get(record.blob_id, ""))
        for i in range(len(raw) - 2):
            if raw[i].strip("'\"") == "model_type" and raw[i + 1] in ("=", ":") \
                    and raw[i + 2][:1] in "'\"":
                facts.model_types.setdefault(raw[i + 2].strip("'\""), paths.get(record.blob_id, ""))
    return facts


def _auto_map(path: str, doc: dict, modules: set[str], classes: set[str],
              facts: dict[str, _Facts]) -> list[Leftover]:
    auto_map = doc.get("auto_map")
    if not isinstance(auto_map, dict):
        return []
    out = []
    for key, value in sorted(auto_map.items()):
        for ref in (value if isinstance(value, list) else [value]):
            if not isinstance(ref, str) or "." not in ref:
                continue
            module, cls = ref.split("--")[-1].rsplit(".", 1)
            module = module.rsplit(".", 1)[-1]
            if module not in modules:
                owner = next((n for n, f in facts.items() if module in f.modules), None)
                if owner:
                    out.append(Leftover(path, f"auto_map.{key}", ref, owner,
                                        f"module {module}.py is not in this repository; "
                                        f"{owner} ships it"))
            elif cls not in classes:
                out += _class_elsewhere(path, f"auto_map.{key}", ref, cls, facts)
    return out


def _class_elsewhere(path: str, key: str, value: str, cls: str,
                     facts: dict[str, _Facts]) -> list[Leftover]:
    """A class this repository never defines, when an upstream does."""
    owner = next((n for n, f in facts.items() if cls in f.classes), None)
    if owner is None:
        return []
    return [Leftover(path, key, value, owner,
                     f"class {cls} is defined nowhere in this repository; {owner} defines it")]


def _architectures(path: str, doc: dict, classes: set[str],
                   facts: dict[str, _Facts]) -> list[Leftover]:
    out = []
    for cls in doc.get("architectures") or []:
        if isinstance(cls, str) and cls not in classes:
            out += _class_elsewhere(path, "architectures", cls, cls, facts)
    return out


def _model_type(path: str, doc: dict, facts: dict[str, _Facts]) -> list[Leftover]:
    value = doc.get("model_type")
    if not isinstance(value, str):
        return []
    for name, f in facts.items():
        if value in f.model_types:
            return [Leftover(path, "model_type", value, name,
                             f"{name} declares model_type {value!r} "
                             f"({f.model_types[value]})")]
    return []


def renamed_model_types(report: Report, source: Source, store: Store) -> list[Leftover]:
    """A copied file that declares another model_type than the upstream file it derives from."""
    ours: dict[str, set[str]] = {}
    for f in source.files:
        if f.path.endswith(".py"):
            ours[f.path] = set(_DECLARED.findall(f.data.decode("utf-8", "replace")))
    out = []
    pairs = {(m.path, m.upstream, m.upstream_path) for m in report.matches}
    theirs_cache: dict[str, _Facts] = {}
    for path, upstream, upath in sorted(pairs):
        if not ours.get(path):
            continue
        if upstream not in theirs_cache:
            theirs_cache[upstream] = _facts(store, upstream)
        declared = {t for t, p in theirs_cache[upstream].model_types.items() if p == upath}
        theirs = sorted(declared - ours[path])
        for value in sorted(ours[path] - declared):
            if theirs:
                out.append(Leftover(path, "model_type", value, upstream,
                                    f"renamed from {upstream}'s "
                                    f"{', '.join(repr(d) for d in theirs)} "
                                    f"({upath}, which this file derives from)"))
    return out
