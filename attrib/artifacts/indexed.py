# SPDX-License-Identifier: Apache-2.0
"""Model artifacts in the index: what ``index add`` records, and comparisons against it.

``attrib index add`` of a model repository stores the fingerprint of its model
(:mod:`.fingerprint`: config, tokenizer hashes, weight map, LFS pointers, sampled tensor
values) beside the code, one record per upstream, through the store's ``put_artifacts``.
``attrib model compare SUSPECT --index`` and ``attrib audit`` then compare a suspect with the
indexed upstreams' models with none of their files at hand. A record is compressed JSON,
checked field by field when read back (an index file is shared, so it is data, never code).
"""
from __future__ import annotations

import json
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ..errors import IndexError_, UsageError
from .files import MAX_DEPTH, MAX_DIRS, _kind, locate
from .fingerprint import compare_with_fingerprint, fingerprint, is_valid
from .jsonbounds import JsonBoundError, loads_bounded
from .model import ArtifactReport, Problem

MAX_INFLATED = 64 << 20  # one record's JSON: a fingerprint of 100k parameter names is ~8 MB


def encode_record(fp: dict) -> bytes:
    return zlib.compress(json.dumps(fp, sort_keys=True, separators=(",", ":")).encode(), 6)


def decode_record(data: bytes) -> dict:
    """A stored record, inflated with a bound and checked; ValueError saying why not."""
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(data, MAX_INFLATED)
        if inflater.unconsumed_tail:
            raise ValueError(f"inflates past {MAX_INFLATED} bytes")
        fp = loads_bounded(raw)
    except (zlib.error, JsonBoundError) as exc:
        raise ValueError(str(exc)) from None
    if not is_valid(fp):
        raise ValueError("not a model fingerprint")
    return fp


@contextmanager
def model_tree(source: Any, local: Path | None) -> Iterator[Path | None]:
    """A source's model files as a directory: ``local`` itself when the files are on disk,
    else a temporary copy of the model files among the git objects already read (a URL or a
    --ref), so configs, tokenizers, weight maps and pointers are there too (weights beyond the
    source's size bound stay out)."""
    if local is not None:
        yield local
        return
    wanted = [f for f in source.files if _kind(f.path.rsplit("/", 1)[-1])
              and f.path.count("/") <= MAX_DEPTH]
    if not wanted or len({f.path.rsplit("/", 1)[0] for f in wanted}) > MAX_DIRS:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="attrib-model-") as tmp:
        for f in wanted:
            if ".." in Path(f.path).parts or Path(f.path).is_absolute():
                continue  # a path git would never check out
            target = Path(tmp) / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.data)
        yield Path(tmp)


def index_artifacts(store: Any, name: str, source: Any,
                    local: Path | None) -> tuple[str, list[Problem]]:
    """Record the model of upstream ``name`` (just indexed) in ``store``; replace what was
    recorded before, or clear it when the upstream holds no model now. Returns a one-line
    summary ("" when there is no model) and the problems met reading its files."""
    with model_tree(source, local) as tree:
        files = locate(tree) if tree is not None else None
        if files is None or not files.found:
            store.put_artifacts(name, [])
            return "", []
        fp, problems = fingerprint(tree)
    record = encode_record(fp)
    store.put_artifacts(name, [record])
    return summary(fp, len(record)), [(_relative(p, tree), why) for p, why in problems]


def _relative(path: str, tree: Path) -> str:
    try:
        return Path(path).relative_to(tree).as_posix()
    except ValueError:
        return path


def summary(fp: dict, size: int) -> str:
    parts = [label for key, label in (("config", "config"), ("tokenizer", "tokenizer"))
             if fp.get(key)]
    if fp.get("weight_map"):
        parts.append(f"{len(fp['weight_map'])} parameter names")
    if fp.get("lfs"):
        parts.append(f"{len(fp['lfs'])} LFS pointers")
    if fp.get("tensors"):
        parts.append(f"{len(fp['tensors']['tensors'])} tensors sampled")
    return f"model artifacts: {', '.join(parts) or 'none readable'} ({size:,} bytes)"


def indexed_models(store: Any, upstream: str | None = None
                   ) -> tuple[dict[str, dict], list[Problem]]:
    """The fingerprints in ``store`` by upstream, and a problem per record that is not one."""
    found: dict[str, dict] = {}
    problems: list[Problem] = []
    for name, records in sorted(store.artifacts(upstream).items()):
        for data in records[:1]:  # one model per upstream (files.locate gives one per tree)
            try:
                found[name] = decode_record(data)
            except ValueError as exc:
                problems.append((f"{store.location} (upstream {name})",
                                 f"model artifacts unreadable: {exc}"))
    return found, problems


def compare_with_index(suspect: str | Path, store: Any, upstream: str | None = None
                       ) -> tuple[list[ArtifactReport], list[Problem]]:
    """The suspect's model against every indexed upstream model (or ``upstream``'s)."""
    known = [u.name for u in store.upstreams()]
    if upstream is not None and upstream not in known:
        raise UsageError(f"unknown upstream {upstream!r} for --upstream (indexed: "
                         f"{', '.join(known) or 'none'})")
    models, problems = indexed_models(store, upstream)
    if not models and problems:
        raise IndexError_(f"{problems[0][0]}: {problems[0][1]}")
    if not models:
        where = f"upstream {upstream!r}" if upstream else "no indexed upstream"
        raise UsageError(f"{store.location}: {where} has model artifacts (index a model "
                         "repository with attrib index add)")
    reports = [label_index(compare_with_fingerprint(fp, suspect, name), store.location, name)
               for name, fp in models.items()]
    return reports, problems


def label_index(report: ArtifactReport, location: str, name: str) -> ArtifactReport:
    import dataclasses

    return dataclasses.replace(report, a=f"{name} (indexed)",
                               rerun=f"attrib model compare {report.b} --index {location} "
                                     f"--upstream {name}")
