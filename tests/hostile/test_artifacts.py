# SPDX-License-Identifier: Apache-2.0
"""Hostile model artifacts: each is one recorded problem, and the comparison goes on.

Every case runs the real ``attrib model compare A B``: A is a small valid model, B the same
weights with one hostile file beside them, so the verdict stays "derived" (exit 1) and the
problem is one ``problem:`` line naming the file.  Bounds: size before reading (a 2 GB
tokenizer reached 4.1 GiB, a 1 GB merges.txt 2.1 GiB), JSON depth and integer size, wrong
JSON types, tensors compared (a comparison of many tensors ran > 60 s), SentencePiece fields.
"""
from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from attrib.artifacts.tensorfile import write_safetensors

from .conftest import Run, run_attrib

GIB = 1024 ** 3


def _model(root: Path, tensors: dict | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    tensors = tensors or {f"layers.{i}.w": rng.standard_normal((16, 32)).astype(np.float32)
                          for i in range(4)}
    write_safetensors(root / "model.safetensors", tensors)
    (root / "config.json").write_text(json.dumps({"model_type": "tiny", "hidden_size": 32}))
    vocab = {w: i for i, w in enumerate(["a", "b", "c", "ab", "abc"])}
    (root / "tokenizer.json").write_text(json.dumps(
        {"model": {"type": "BPE", "vocab": vocab, "merges": ["a b", "ab c"]},
         "added_tokens": [{"id": 5, "content": "<s>", "special": True}]}))
    return root


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    a = _model(tmp_path / "a")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    return a, b


def _compare(a: Path, b: Path) -> Run:
    run = run_attrib("model", "compare", a, b)
    run.assert_bounded()
    return run


def _problem(run: Run, path: Path, *words: str) -> None:
    """Exit 1 (the weights still compared), and one problem line naming ``path``."""
    assert run.code == 1, (run.code, run.stdout, run.stderr)
    lines = [ln for ln in run.stdout.splitlines() if f"problem: {path}" in ln]
    assert lines, run.stdout
    assert all(w in lines[0] for w in words), lines[0]


def _sparse(path: Path, size: int, head: bytes = b"") -> None:
    """A file of ``size`` bytes that takes no disk space (attrib must not read it)."""
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)


# ---------------------------------------------------------------- JSON files

JSON_CASES = {
    "deep": (b"[" * 200_000 + b"]" * 200_000, "nested deeper"),
    "deep-below-recursion-limit": (b'{"model": ' + b"[" * 500 + b"]" * 500 + b"}", "nested deeper"),
    "int-5000-digits": (b'{"model": {"vocab": {"a": ' + b"9" * 5000 + b"}}}", "digits"),
    "not-utf8": (b'{"a": "\xff\xfe"}', "not UTF-8"),
    "not-json": (b"{'single': quotes}", "not JSON"),
}


@pytest.mark.parametrize("name", ["tokenizer.json", "config.json", "tokenizer_config.json",
                                  "vocab.json", "model.safetensors.index.json"])
@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_malformed_json_artifact_is_one_problem(pair, name: str, case: str) -> None:
    a, b = pair
    data, words = JSON_CASES[case]
    (b / name).write_bytes(data)
    _problem(_compare(a, b), b / name, words)


@pytest.mark.parametrize("name", ["tokenizer.json", "config.json"])
def test_json_artifact_of_2_gb_is_refused_unread(pair, name: str) -> None:
    a, b = pair
    _sparse(b / name, 2 * GIB, b'{"model": {"vocab": {')
    run = _compare(a, b)
    _problem(run, b / name, "larger than attrib reads")
    assert run.peak_mb < 200


def test_merges_txt_of_1_gb_is_refused_unread(pair) -> None:
    a, b = pair
    (b / "tokenizer.json").unlink()
    _sparse(b / "merges.txt", GIB, b"#version: 0.2\na b\n")
    (b / "vocab.json").write_text('{"a": 0, "b": 1}')
    run = _compare(a, b)
    _problem(run, b / "merges.txt", "larger than attrib reads")
    assert run.peak_mb < 200


def test_large_tokenizer_within_the_bound_stays_under_1_gib(tmp_path: Path) -> None:
    """Both sides near the 40 MB bound: compared, and the memory bound holds."""
    a = _model(tmp_path / "a")
    vocab = {f"tok{i}\u0120piece": i for i in range(700_000)}
    merges = [f"t{i} o{i}" for i in range(700_000)]
    (a / "tokenizer.json").write_text(json.dumps({"model": {"vocab": vocab, "merges": merges}}))
    assert 30 * 1024 ** 2 < (a / "tokenizer.json").stat().st_size < 40 * 1024 ** 2
    b = tmp_path / "b"
    shutil.copytree(a, b)
    run = _compare(a, b)
    assert run.code == 1 and "tokenizer: identical" in run.stdout, run.stdout


WRONG_TYPES = [
    {"model": {"vocab": {"a": True, "b": "1", "c": -4, "d": 1.5}, "merges": 5}},
    {"model": {"vocab": [[], [1], "x", None], "merges": {"a": "b"}}, "added_tokens": 7},
    {"model": [], "added_tokens": [{"id": "3"}, {"id": None}, 3, {"id": 10 ** 100}]},
    {"model": {"merges": [[1, 2], None, {"a": 1}]}, "added_tokens": {"id": 1}},
    ["not", "an", "object"],
]


@pytest.mark.parametrize("doc", WRONG_TYPES, ids=range(len(WRONG_TYPES)))
def test_tokenizer_json_of_wrong_types_does_not_crash(pair, doc) -> None:
    a, b = pair
    (b / "tokenizer.json").write_text(json.dumps(doc))
    run = _compare(a, b)
    assert run.code == 1 and "tokenizer:" in run.stdout, run.stdout


@pytest.mark.parametrize("doc", [
    {"added_tokens_decoder": [1, 2], "bos_token": {"content": ["x"]}},
    {"added_tokens_decoder": {"\u00b2": {"content": "x"}, "9" * 4000: {"content": "y"}}},
    {"added_tokens_decoder": {"1": "not a dict"}, "chat_template": {"deep": [[[]]]}},
], ids=["list-decoder", "odd-keys", "str-entry"])
def test_tokenizer_config_of_wrong_types_does_not_crash(pair, doc) -> None:
    a, b = pair
    (b / "tokenizer_config.json").write_text(json.dumps(doc))
    run = _compare(a, b)
    assert run.code == 1 and "tokenizer:" in run.stdout, run.stdout


# ---------------------------------------------------------------- safetensors

def _header_file(path: Path, header: bytes, data: bytes = b"\0" * 64) -> None:
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)


@pytest.mark.parametrize("header, words", [
    (b'{"w": {"dtype": ["F32"], "shape": [4], "data_offsets": [0, 16]}}', "not supported"),
    (b'{"w": {"dtype": {"a": 1}, "shape": [4], "data_offsets": [0, 16]}}', "not supported"),
    (b'{"w": {"dtype": "F32", "shape": ["4"], "data_offsets": [0, 16]}}', "absurd shape"),
    (b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0.0, 16.0]}}', "data_offsets"),
    (b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": {"0": 16}}}', "data_offsets"),
    (b'{"w": [1, 2, 3]}', "not an object"),
    (b'[1, 2, 3]', "not a JSON object"),
    (b'{"w": ' + b"9" * 5000 + b"}", "digits"),
    (b"[" * 100_000, "nested deeper"),
    (b'{"__metadata__": ' + b"[" * 300 + b"]" * 300 + b"}", "nested deeper"),
], ids=["dtype-list", "dtype-dict", "shape-str", "offsets-float", "offsets-dict", "entry-list",
        "header-list", "int-digits", "deep", "deep-metadata"])
def test_safetensors_header_of_wrong_types_is_one_problem(pair, header: bytes,
                                                          words: str) -> None:
    a, b = pair
    bad = b / "extra.safetensors"
    _header_file(bad, header)
    _problem(_compare(a, b), bad, words)


def test_safetensors_header_beyond_the_bound_is_refused_unread(pair) -> None:
    a, b = pair
    bad = b / "extra.safetensors"
    _sparse(bad, GIB, struct.pack("<Q", 512 * 1024 ** 2) + b"{")
    run = _compare(a, b)
    _problem(run, bad, "header length")
    assert run.peak_mb < 200


def test_many_tensors_are_compared_within_a_bound(tmp_path: Path) -> None:
    """100k tiny tensors: a spread of 2048 pairs is compared, and the rest said so."""
    rng = np.random.default_rng(1)
    tensors = {f"model.layers.{i}.w": rng.standard_normal((2, 4)).astype(np.float32)
               for i in range(100_000)}
    a = _model(tmp_path / "a", tensors)
    b = _model(tmp_path / "b", {k.replace("model.", "m."): v for k, v in tensors.items()})
    run = _compare(a, b)
    assert run.code == 1, run.stdout
    assert "100000 tensor pairs: 2048 compared" in run.stdout


def test_shard_names_that_are_not_paths_are_problems(pair) -> None:
    a, b = pair
    weight_map = {"x": "model.safetensors", "y": "bad\u0000name", "z": "../a/model.safetensors",
                  "w": "n" * 5000}
    index = b / "model.safetensors.index.json"
    index.write_text(json.dumps({"weight_map": weight_map}))
    run = _compare(a, b)
    assert run.code == 1
    assert sum("listed but missing" in ln for ln in run.stdout.splitlines()) == 3


# ---------------------------------------------------------------- SentencePiece

@pytest.mark.parametrize("data, words", [
    (b"\x10\x01" * (6 * 1024 * 1024), "more than 4000000 protobuf fields"),
    (b"\x0a\x02\x0a\x00" * (1_100_000), "more than 1000000 pieces"),
    (b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", "truncated"),
    (b"\x0b", "unsupported wire type"),
], ids=["fields", "pieces", "huge-length", "group"])
def test_sentencepiece_model_beyond_a_bound_is_one_problem(pair, data: bytes, words: str) -> None:
    a, b = pair
    (b / "tokenizer.json").unlink()
    (b / "tokenizer.model").write_bytes(data)
    _problem(_compare(a, b), b / "tokenizer.model", words)


def test_sentencepiece_model_of_1_gb_is_refused_unread(pair) -> None:
    a, b = pair
    _sparse(b / "tokenizer.model", GIB)
    run = _compare(a, b)
    _problem(run, b / "tokenizer.model", "larger than")
    assert run.peak_mb < 200


# ---------------------------------------------------------------- PyTorch zip and GGUF

def _zip(pickle_bytes: bytes) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("archive/data.pkl", pickle_bytes)
    return out.getvalue()


def _gguf_head(*fields: bytes) -> bytes:
    return b"GGUF" + b"".join(fields)


def _hostile_checkpoints(marker: Path) -> dict[str, bytes]:
    from attrib.artifacts.torchzip import state_dict_pickle

    cmd = f"touch {marker}".encode()
    system = (b"\x80\x02cos\nsystem\n(X" + struct.pack("<I", len(cmd)) + cmd + b"tR.")
    good = state_dict_pickle({"w": ("F32", (4, 4))})
    return {
        "os-system.bin": _zip(system),
        "os-system-in-state.bin": _zip(good[:-2] + b"X\x01\x00\x00\x00x" + system[2:-1] + b"u."),
        "legacy-pickle.pt": system,
        "truncated-pickle.bin": _zip(good[: len(good) // 2]),
        "unknown-opcode.bin": _zip(b"\x80\x02\xff."),
        "truncated-zip.pth": _zip(good)[:40],
        "gguf-truncated.gguf": _gguf_head(struct.pack("<IQ", 3, 1)),
        "gguf-huge-counts.gguf": _gguf_head(struct.pack("<IQQ", 3, 1 << 62, 1 << 62)),
        "gguf-huge-string.gguf": _gguf_head(struct.pack("<IQQQ", 3, 0, 1, 1 << 60)),
        "gguf-huge-array.gguf": _gguf_head(struct.pack("<IQQ", 3, 0, 1),
                                           struct.pack("<Q", 1) + b"k",
                                           struct.pack("<IIQ", 9, 0, 1 << 50)),
        "gguf-bad-version.gguf": _gguf_head(struct.pack("<IQQ", 99, 0, 0)),
    }


@pytest.mark.parametrize("case", sorted(_hostile_checkpoints(Path("/nonexistent"))))
def test_hostile_checkpoints_are_data_never_code(tmp_path: Path, pair, case: str) -> None:
    a, b = pair
    marker = tmp_path / "executed"
    name = case
    target = b / name
    target.write_bytes(_hostile_checkpoints(marker)[case])
    run = _compare(a, b)
    assert not marker.exists(), "the pickle ran"
    _problem(run, target)
    line = next(ln for ln in run.stdout.splitlines() if f"problem: {target}" in ln)
    assert "Traceback" not in run.stdout and len(line) < 400, line
    fp = run_attrib("model", "fingerprint", b)
    fp.assert_bounded()
    assert not marker.exists()
