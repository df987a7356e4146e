# SPDX-License-Identifier: Apache-2.0
"""Compare two tokenizers: vocabulary by id, merge order, added and special tokens, chat template.

A shared tokenizer is weak evidence on its own (public tokenizers are reused whole); its worth is
in agreeing with the weights.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .files import ModelFiles, load_object
from .jsonbounds import MAX_JSON_BYTES
from .model import ABSENT, DERIVED, IDENTICAL, INDEPENDENT, Problem, Section
from .sentencepiece import read_pieces

DERIVED_AGREEMENT = 0.9
MAX_TOKEN_ID = 1 << 31  # ids beyond this are not a vocabulary's (the largest hold ~1M pieces)
_DECIMAL = re.compile(r"[0-9]{1,10}")
SPECIAL_KEYS = ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token",
                "mask_token")


@dataclass
class Tokenizer:
    """What one model's tokenizer files say, gathered from whichever files it has."""

    vocab: dict[int, str] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    added: dict[int, str] = field(default_factory=dict)
    special: dict[str, str] = field(default_factory=dict)
    chat_template: object = None
    found: bool = False


def _json(files: ModelFiles, name: str, problems: list[Problem]) -> dict | None:
    return load_object(files.tokenizer.get(name), problems)


def _merge(item: object) -> str:
    return " ".join(map(str, item)) if isinstance(item, list) else str(item)


def _list(value: object) -> list:
    """``value`` when it is a JSON array, else [] (a hostile file puts any type anywhere)."""
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _token_id(value: object) -> int | None:
    """A token id: a non-negative int (bool is not one), or a short decimal string key."""
    if type(value) is int and 0 <= value < MAX_TOKEN_ID:
        return value
    if isinstance(value, str) and _DECIMAL.fullmatch(value):  # str.isdigit() takes "²"
        return int(value)
    return None


def _from_tokenizer_json(tok: Tokenizer, data: dict) -> None:
    model = _dict(data.get("model"))
    vocab = model.get("vocab")
    if isinstance(vocab, dict):
        tok.vocab.update({i: t for t, v in vocab.items() if (i := _token_id(v)) is not None})
    elif isinstance(vocab, list):  # Unigram: [[piece, score], ...] in id order
        tok.vocab.update({i: str(p[0] if isinstance(p, list) and p else p)
                          for i, p in enumerate(vocab)})
    tok.merges = [_merge(m) for m in _list(model.get("merges"))]
    for added in _list(data.get("added_tokens")):
        if isinstance(added, dict) and (i := _token_id(added.get("id"))) is not None:
            tok.added[i] = str(added.get("content"))
            if added.get("special"):
                tok.special.setdefault(f"special:{added.get('content')}", str(added.get("content")))


def _from_config(tok: Tokenizer, data: dict) -> None:
    tok.chat_template = data.get("chat_template")
    for key, added in _dict(data.get("added_tokens_decoder")).items():
        if isinstance(added, dict) and (i := _token_id(key)) is not None:
            tok.added.setdefault(i, str(added.get("content")))
    for key in SPECIAL_KEYS:
        value = data.get(key)
        value = value.get("content") if isinstance(value, dict) else value
        if value is not None:
            tok.special[key] = str(value)


def _merges_txt(path: Path, problems: list[Problem]) -> list[str]:
    """The merges of a merges.txt, streamed, refused above MAX_JSON_BYTES (a 1 GB file read
    whole took 2.1 GiB: issue 11)."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            problems.append((str(path), f"{size} bytes is larger than attrib reads "
                                        f"({MAX_JSON_BYTES} bytes)"))
            return []
        with open(path, encoding="utf-8", errors="replace", newline=None) as fh:
            lines = [ln.rstrip("\n") for ln in fh]
    except OSError as exc:
        problems.append((str(path), f"unreadable: {exc.strerror or exc}"))
        return []
    return [ln for ln in lines if ln and not ln.startswith("#version")]


def read_tokenizer(files: ModelFiles, problems: list[Problem]) -> Tokenizer:
    tok = Tokenizer(found=bool(files.tokenizer or files.sentencepiece))
    if (data := _json(files, "tokenizer.json", problems)) is not None:
        _from_tokenizer_json(tok, data)
    if (data := _json(files, "vocab.json", problems)) is not None and not tok.vocab:
        tok.vocab = {i: t for t, v in data.items() if (i := _token_id(v)) is not None}
    data = None  # the parsed files are large; what was kept is in tok
    if "merges.txt" in files.tokenizer and not tok.merges:
        tok.merges = _merges_txt(files.tokenizer["merges.txt"], problems)
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        if (data := _json(files, name, problems)) is not None:
            _from_config(tok, data)
    for path in files.sentencepiece:
        try:
            pieces = read_pieces(path)
        except (OSError, ValueError) as exc:
            problems.append((str(path), f"not a SentencePiece model: {exc}"))
            continue
        if not tok.vocab:
            tok.vocab = dict(enumerate(pieces))
    return tok


def _agreement(a: dict[int, str], b: dict[int, str]) -> float:
    ids = set(a) | set(b)
    return sum(a.get(i) == b.get(i) for i in ids) / len(ids) if ids else 1.0


def _figures(a: Tokenizer, b: Tokenizer) -> dict:
    longest = max(len(a.merges), len(b.merges))
    same_merges = sum(x == y for x, y in zip(a.merges, b.merges))
    added_a, added_b = set(a.added.values()), set(b.added.values())
    return {
        "vocab_size": [len(a.vocab), len(b.vocab)],
        "vocab_agreement": round(_agreement(a.vocab, b.vocab), 6),
        "merges": [len(a.merges), len(b.merges)],
        "merges_order_agreement": round(same_merges / longest, 6) if longest else None,
        "added_tokens_shared": len(added_a & added_b),
        "added_tokens_only_a": sorted(added_a - added_b)[:20],
        "added_tokens_only_b": sorted(added_b - added_a)[:20],
        "special_tokens_equal": a.special == b.special,
        "chat_template_equal": a.chat_template == b.chat_template,
        "chat_template_present": [a.chat_template is not None, b.chat_template is not None],
    }


def compare_tokenizers(files_a: ModelFiles, files_b: ModelFiles) -> Section:
    problems: list[Problem] = []
    a, b = read_tokenizer(files_a, problems), read_tokenizer(files_b, problems)
    if not (a.found and b.found) or not (a.vocab and b.vocab):
        verdict = ABSENT if not (a.found or b.found) else INDEPENDENT
        return Section("tokenizer", verdict, "not compared" if verdict != ABSENT else "", {},
                       tuple(problems))
    figures = _figures(a, b)
    same = (figures["vocab_agreement"] == 1 and figures["merges_order_agreement"] in (1, None)
            and a.added == b.added and figures["special_tokens_equal"]
            and figures["chat_template_equal"])
    if same:
        verdict, detail = IDENTICAL, "same tokenizer; weak evidence alone, tokenizers are reused"
    elif figures["vocab_agreement"] >= DERIVED_AGREEMENT:
        verdict, detail = DERIVED, "same vocabulary, other added tokens, merges or template"
    else:
        verdict, detail = INDEPENDENT, "different vocabularies"
    return Section("tokenizer", verdict, detail, figures, tuple(problems))
