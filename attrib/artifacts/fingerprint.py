# SPDX-License-Identifier: Apache-2.0
"""Compact fingerprints of a model's artifacts, to compare a suspect with no upstream files at hand.

A fingerprint keeps what the comparisons need and nothing else: the flattened config (its values
are the evidence), the weight map's structure (parameter names and known shapes), the LFS
pointers (sha256 and size per file), and the tokenizer as hashes: of the whole vocabulary and
merge list, and of each block of BLOCK ids or merges, so an agreement can still be measured.
It is JSON (``attrib model fingerprint DIR -o FP.json``); ``attrib model compare FP.json DIR``
compares a suspect against it. Where tensors are present, values sampled at seeded positions
are kept too (:mod:`.samples`), so the weights are compared as well; where the weights are LFS
pointers, the pointers stand for them. The same record is what ``attrib index add`` stores for
a model repository (:mod:`.indexed`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import SourceError
from .configs import _section as config_section
from .files import LfsPointer, ModelFiles, load_json, load_object, locate
from .jsonbounds import JsonBoundError, loads_bounded, read_bounded
from .model import ABSENT, DERIVED, IDENTICAL, INDEPENDENT, Problem, Section
from .tokenizers import read_tokenizer
from .weightmap import compare_lfs, compare_structures, read_structure, weight_map_section

SCHEMA = "attrib-model-fingerprint/1"
BLOCK = 1024            # ids (or merges) per block hash
MAX_NAMES = 200_000     # parameter names kept
MAX_CONFIG_BYTES = 1 << 20


def _digest(items: list[str]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(item.encode("utf-8", "replace") + b"\0")
    return h.hexdigest()[:32]


def _blocks(items: list[str]) -> list[str]:
    return [_digest(items[i:i + BLOCK]) for i in range(0, len(items), BLOCK)]


def _tokenizer(files: ModelFiles, problems: list[Problem]) -> dict | None:
    tok = read_tokenizer(files, problems)
    if not tok.found or not tok.vocab:
        return None
    top = max(tok.vocab)
    pieces = [tok.vocab.get(i, "\0missing") for i in range(min(top + 1, 4_000_000))]
    return {"vocab_size": len(tok.vocab), "vocab": _digest(pieces), "vocab_blocks": _blocks(pieces),
            "merges_count": len(tok.merges), "merges": _digest(tok.merges),
            "merges_blocks": _blocks(tok.merges), "special": tok.special,
            "added": sorted(tok.added.values())[:1000],
            "chat_template": _digest([json.dumps(tok.chat_template)])}


def fingerprint(path: str | Path, samples: bool = True) -> tuple[dict, list[Problem]]:
    """The fingerprint of the model under ``path``, and the problems met reading it."""
    return fingerprint_files(locate(path), samples)


def fingerprint_files(files: ModelFiles, samples: bool = True) -> tuple[dict, list[Problem]]:
    problems: list[Problem] = list(files.problems)
    config = load_object(files.config, problems)
    if config is not None and len(json.dumps(config)) > MAX_CONFIG_BYTES:
        problems.append((str(files.config), "config larger than a fingerprint keeps (1 MB)"))
        config = None
    names = read_structure(files, problems)
    return {"schema": SCHEMA, "folders": list(files.folders), "config": config,
            "weight_map": [[n, None if s is None else list(s)]
                           for n, s in list(names.items())[:MAX_NAMES]],
            "lfs": [[p.path, p.oid, p.size] for p in files.lfs],
            "tokenizer": _tokenizer(files, problems),
            "tensors": _samples(files, problems) if samples else None}, problems


def _samples(files: ModelFiles, problems: list[Problem]) -> dict | None:
    from .samples import tensor_samples

    seen: list[Problem] = []
    entry = tensor_samples(files, seen)
    problems += [p for p in seen if p not in problems]
    return entry


def is_fingerprint(path: str | Path) -> bool:
    p = Path(path)
    if not p.is_file() or p.suffix != ".json" or p.stat().st_size > 64 * 1024 * 1024:
        return False
    data, _ = load_json(p)
    return isinstance(data, dict) and data.get("schema") == SCHEMA


def load_fingerprint(path: str | Path) -> dict:
    """A fingerprint file, checked; SourceError in one line when it is not one."""
    try:
        data = loads_bounded(read_bounded(Path(path), 64 * 1024 * 1024))
    except (OSError, JsonBoundError) as exc:
        raise SourceError(f"{path}: not a model fingerprint: {exc}") from None
    if not is_valid(data):
        raise SourceError(f"{path}: not a model fingerprint ({SCHEMA})")
    return data


def is_valid(data: object) -> bool:
    """Whether ``data`` has a fingerprint's shape (it comes from a shared file or index)."""
    from .samples import valid_samples

    return (isinstance(data, dict) and data.get("schema") == SCHEMA
            and isinstance(data.get("weight_map"), list) and isinstance(data.get("lfs"), list)
            and all(isinstance(r, list) and len(r) == 2 and isinstance(r[0], str)
                    for r in data["weight_map"])
            and all(isinstance(r, list) and len(r) == 3 and isinstance(r[1], str)
                    and type(r[2]) is int for r in data["lfs"])
            and (data.get("config") is None or isinstance(data["config"], dict))
            and _valid_tokenizer(data.get("tokenizer"))
            and valid_samples(data.get("tensors")))


def _valid_tokenizer(tok: object) -> bool:
    if tok is None:
        return True
    return (isinstance(tok, dict)
            and all(isinstance(tok.get(k, []), list) for k in ("vocab_blocks", "merges_blocks",
                                                                "added"))
            and isinstance(tok.get("special", {}), dict))


def _shape(value: object) -> tuple[int, ...] | None:
    if isinstance(value, list) and all(type(d) is int for d in value):
        return tuple(value)
    return None


def _block_agreement(a: list, b: list) -> float:
    longest = max(len(a), len(b))
    return sum(x == y for x, y in zip(a, b)) / longest if longest else 1.0


def compare_tokenizer_fingerprints(a: dict | None, b: dict | None) -> Section:
    if a is None or b is None:
        return Section("tokenizer", ABSENT if a is None and b is None else INDEPENDENT,
                       "" if a is None and b is None else "not compared")
    figures = {"vocab_size": [a.get("vocab_size"), b.get("vocab_size")],
               "vocab_block_agreement": round(_block_agreement(a.get("vocab_blocks") or [],
                                                               b.get("vocab_blocks") or []), 4),
               "merges_block_agreement": round(_block_agreement(a.get("merges_blocks") or [],
                                                                b.get("merges_blocks") or []), 4),
               "special_tokens_equal": a.get("special") == b.get("special"),
               "chat_template_equal": a.get("chat_template") == b.get("chat_template")}
    same = all(a.get(k) == b.get(k) for k in ("vocab", "merges", "special", "added",
                                             "chat_template"))
    if same:
        return Section("tokenizer", IDENTICAL, "same tokenizer (by hash); weak evidence alone",
                       figures)
    if a.get("vocab") == b.get("vocab") or figures["vocab_block_agreement"] >= 0.9:
        return Section("tokenizer", DERIVED, "same vocabulary blocks, other tokens or template",
                       figures)
    return Section("tokenizer", INDEPENDENT, "different vocabularies", figures)


def compare_with_fingerprint(fp: dict, b: str | Path, label: str):
    """Model B (a tree) against a fingerprint, as an ArtifactReport (no tensor data compared)."""
    from .compare import overall
    from .model import ArtifactReport

    from .samples import compare_samples

    files_b = locate(b)
    other, _ = fingerprint_files(files_b, samples=False)
    problems: list[Problem] = []
    config_b = load_object(files_b.config, problems)
    config = (config_section(fp["config"], config_b, problems)
              if isinstance(fp.get("config"), dict) and config_b is not None
              else Section("config", ABSENT if config_b is None and not fp.get("config")
                           else INDEPENDENT, "", {}, tuple(problems)))
    names_a = {n: _shape(s) for n, s in fp["weight_map"]}
    names_b = read_structure(files_b, problems)
    weight_map = weight_map_section(compare_structures(names_a, names_b)) \
        if names_a and names_b else Section("weight_map", ABSENT if not (names_a or names_b)
                                            else INDEPENDENT)
    pointers = tuple(LfsPointer(p, o, s) for p, o, s in fp["lfs"])
    lfs = compare_lfs(ModelFiles(Path(label), None, {}, (), (), None, lfs=pointers), files_b)
    tokenizer = compare_tokenizer_fingerprints(fp.get("tokenizer"), other.get("tokenizer"))
    weights = compare_samples(fp.get("tensors"), files_b)
    verdict, detail = overall(config, tokenizer, weights, weight_map, lfs)
    return ArtifactReport(label, str(b), None, 0, False, config, tokenizer, weights, verdict,
                          detail, weight_map=weight_map, lfs=lfs,
                          folders=(tuple(fp.get("folders") or ()), files_b.folders))
