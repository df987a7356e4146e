# SPDX-License-Identifier: Apache-2.0
"""Model artifacts: tiny models written with numpy in tmp_path, compared as a user would."""
from __future__ import annotations

import json
import shutil
import struct
import tracemalloc

import numpy as np
import pytest
from click.testing import CliRunner

from attrib.artifacts import compare_models, render_json, render_text
from attrib.artifacts.sentencepiece import read_pieces, write_pieces
from attrib.artifacts.tensorfile import (
    open_flat,
    read_header,
    to_float32,
    write_safetensors,
)
from attrib.cli.model import model
from attrib.errors import SourceError

SHAPES = {"model.embed_tokens.weight": (96, 64), "vpm.encoder.0.weight": (64, 64),
          "vpm.encoder.1.weight": (64, 128)}
SHAPES.update({f"model.layers.{i}.mlp.weight": (80, 64) for i in range(3)})
SHAPES.update({f"model.layers.{i}.norm.weight": (64,) for i in range(3)})


def weights(seed: int) -> dict[str, np.ndarray]:
    """Random weights whose spread differs by tensor, as in a trained model."""
    rng = np.random.default_rng(seed)
    return {name: (rng.standard_normal(shape) * 0.02 * (1 + i % 4)).astype(np.float32)
            for i, (name, shape) in enumerate(SHAPES.items())}


def noisy(tensors, factor: float, seed: int = 99) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {n: (t + rng.standard_normal(t.shape) * factor * t.std()).astype(np.float32)
            for n, t in tensors.items()}


def fine_tune(tensors, seed: int) -> dict[str, np.ndarray]:
    """A structured delta: rank one per tensor, its scale growing layer by layer."""
    rng = np.random.default_rng(seed)
    out = {}
    for i, (name, t) in enumerate(tensors.items()):
        u = rng.standard_normal(t.shape[0])
        v = rng.standard_normal(t.shape[1]) if t.ndim > 1 else np.ones(1)
        delta = np.outer(u, v).reshape(t.shape)
        out[name] = (t + delta / delta.std() * t.std() * 0.05 * 2 ** (i % 4)).astype(np.float32)
    return out


def save(directory, tensors, dtype="F32", config=None, tokenizer=None):
    directory.mkdir(parents=True, exist_ok=True)
    write_safetensors(directory / "model.safetensors", tensors, dtype)
    if config is not None:
        (directory / "config.json").write_text(json.dumps(config))
    if tokenizer is not None:
        (directory / "tokenizer.json").write_text(json.dumps(tokenizer))
    return directory


def tokenizer(vocab_words, merges=("a b", "ab c")):
    return {"model": {"type": "BPE", "vocab": {w: i for i, w in enumerate(vocab_words)},
                      "merges": list(merges)},
            "added_tokens": [{"id": len(vocab_words), "content": "<|eot_id|>", "special": True}]}


CONFIG = {"model_type": "minicpmv", "architectures": ["MiniCPMV"], "hidden_size": 4096,
          "vocab_size": 128256, "hidden_act": "silu", "num_hidden_layers": 32,
          "vision_config": {"hidden_size": 1152, "model_type": "siglip"}}


@pytest.fixture
def upstream(tmp_path):
    return save(tmp_path / "upstream", weights(1), config=CONFIG,
                tokenizer=tokenizer([f"t{i}" for i in range(300)]))


def test_noise_copy_with_renamed_keys_is_derived_noise_perturbed(tmp_path, upstream):
    copy = {n.replace("vpm.", "vision."): t for n, t in noisy(weights(1), 0.5).items()}
    report = compare_models(upstream, save(tmp_path / "copy", copy))
    assert report.weights.verdict == "derived"
    assert report.weights.detail.startswith("noise-perturbed")
    assert report.weights.figures["key_map"] == {"vpm.*": "vision.*"}
    assert report.weights.figures["paired"] == len(SHAPES)
    assert report.verdict == "derived" and report.is_copy


@pytest.mark.parametrize("factor", [0.1, 0.25, 0.5])
def test_noise_levels_are_derived(tmp_path, upstream, factor):
    report = compare_models(upstream, save(tmp_path / "copy", noisy(weights(1), factor)))
    assert (report.verdict, report.weights.detail) == ("derived", "noise-perturbed")


def test_independent_model_of_same_shapes(tmp_path, upstream):
    report = compare_models(upstream, save(tmp_path / "other", weights(2)))
    assert report.weights.verdict == "independent"
    assert report.weights.figures["permuted"] == []
    assert not report.is_copy


def test_fine_tunes_of_a_shared_base(tmp_path):
    base = weights(3)
    a = save(tmp_path / "a", fine_tune(base, 10))
    b = save(tmp_path / "b", fine_tune(base, 11))
    alone = compare_models(a, b)
    assert (alone.verdict, alone.weights.detail) == ("derived", "fine-tuned")
    with_base = compare_models(a, b, base=save(tmp_path / "base", base))
    assert with_base.verdict == "shares-base"
    assert abs(with_base.weights.figures["base"]["delta_correlation_median"]) < 0.2
    assert not with_base.is_copy


def test_copy_of_a_fine_tune_is_derived_even_with_base(tmp_path):
    base = weights(3)
    tuned = fine_tune(base, 10)
    report = compare_models(save(tmp_path / "a", tuned), save(tmp_path / "b", noisy(tuned, 0.05)),
                            base=save(tmp_path / "base", base))
    assert report.verdict == "derived"
    assert report.weights.detail.startswith("copied the upstream")


def test_row_permuted_tensor_is_reported(tmp_path, upstream):
    tensors = noisy(weights(1), 0.1)
    name = "model.layers.1.mlp.weight"
    tensors[name] = tensors[name][np.random.default_rng(0).permutation(80)]
    report = compare_models(upstream, save(tmp_path / "perm", tensors))
    assert report.weights.figures["permuted"] == [name]
    row = next(r for r in report.weights.figures["pairs"] if r["b"] == name)
    assert row["correlation"] > 0.9 and row["moved_rows"] > 0.5
    assert "rows permuted" in report.weights.detail


def test_identical_copy(tmp_path, upstream):
    shutil.copytree(upstream, tmp_path / "same")
    report = compare_models(upstream, tmp_path / "same")
    assert report.verdict == "identical"
    assert {s.name: s.verdict for s in report.sections if s.verdict != "absent"} == {
        "config": "identical", "tokenizer": "identical", "weight_map": "identical",
        "weights": "identical"}


def _raw(path, header: bytes, length: int | None = None, data: bytes = b""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(header) if length is None else length) + header + data)
    return path


def _entry(shape, offsets, dtype="F32"):
    return json.dumps({"w": {"dtype": dtype, "shape": shape, "data_offsets": offsets}}).encode()


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b"\x10\x00"), "truncated"),
    (lambda p: _raw(p, b"{}", length=5 * 1024 ** 3), "header length"),
    (lambda p: _raw(p, b"not json"), "not JSON"),
    (lambda p: _raw(p, _entry([4], [0, 16]), data=b"\0" * 8), "outside"),
    (lambda p: _raw(p, _entry([1 << 30, 1 << 30, 1 << 30], [0, 16]), data=b"\0" * 16), "absurd"),
    (lambda p: _raw(p, _entry([3], [0, 16]), data=b"\0" * 16), "does not fill"),
    (lambda p: _raw(p, _entry([4], [0, 32], "I64"), data=b"\0" * 32), "not supported"),
])
def test_malformed_safetensors_is_a_one_line_problem(tmp_path, upstream, make, words):
    bad = tmp_path / "bad" / "model.safetensors"
    bad.parent.mkdir()
    make(bad)
    tracemalloc.start()
    report = compare_models(upstream, bad.parent)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 1024 ** 2
    [(path, message)] = report.weights.problems
    assert path == str(bad) and words in message and "\n" not in message
    assert "problem:" in render_text(report)


@pytest.mark.parametrize("dtype", ["F16", "BF16"])
def test_half_precision_weights(tmp_path, upstream, dtype):
    other = save(tmp_path / dtype, weights(1), dtype=dtype)
    ref = read_header(other / "model.safetensors")[0][0]
    expect = weights(1)[ref.name].ravel()
    assert np.allclose(to_float32(open_flat(ref), dtype), expect, rtol=1e-2, atol=1e-3)
    report = compare_models(upstream, other)
    assert report.weights.verdict == "derived"
    assert report.weights.figures["correlation_min"] > 0.999


def test_sharded_index(tmp_path, upstream):
    tensors, names = weights(1), sorted(SHAPES)
    shard = tmp_path / "sharded"
    shard.mkdir()
    weight_map = {}
    for i, part in enumerate((names[:4], names[4:])):
        file = f"model-0000{i + 1}-of-00002.safetensors"
        write_safetensors(shard / file, {n: tensors[n] for n in part})
        weight_map.update({n: file for n in part})
    (shard / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    report = compare_models(upstream / "model.safetensors", shard)
    assert report.weights.verdict == "identical"
    assert report.weights.figures["tensors"] == [len(SHAPES)] * 2


def test_config_diff_and_model_type_rename(tmp_path, upstream):
    renamed = dict(CONFIG, model_type="llama3v", _name_or_path="x/y", num_hidden_layers=40)
    other = save(tmp_path / "cfg", weights(1), config=renamed)
    section = compare_models(upstream, other).config
    assert section.figures["model_type_renamed"] == {"model_type": ["minicpmv", "llama3v"]}
    assert section.figures["differing_keys"] == {"num_hidden_layers": [32, 40]}
    assert "vocab_size" in section.figures["rare_shared_keys"]
    assert "hidden_act" not in section.figures["rare_shared_keys"]
    assert section.verdict == "derived"


def test_config_that_is_a_list_is_a_problem(tmp_path, upstream):
    other = save(tmp_path / "cfg", weights(1))
    (other / "config.json").write_text("[1, 2]")
    report = compare_models(upstream, other)
    assert report.config.problems == ((str(other / "config.json"),
                                       "not a JSON object (a list)"),)
    assert report.weights.verdict == "identical"


def test_tokenizers(tmp_path, upstream):
    same = save(tmp_path / "same", weights(2), tokenizer=tokenizer([f"t{i}" for i in range(300)]))
    other = save(tmp_path / "other", weights(2), tokenizer=tokenizer([f"u{i}" for i in range(300)]))
    assert compare_models(upstream, same).tokenizer.verdict == "identical"
    section = compare_models(upstream, other).tokenizer
    assert section.verdict == "independent" and section.figures["vocab_agreement"] < 0.01


def test_tokenizer_json_not_json_is_a_problem(tmp_path, upstream):
    other = save(tmp_path / "tok", weights(1))
    (other / "tokenizer.json").write_text("{oops")
    report = compare_models(upstream, other)
    [(path, message)] = report.tokenizer.problems
    assert path.endswith("tokenizer.json") and message.startswith("not JSON")


def test_sentencepiece_pieces(tmp_path):
    pieces = ["<unk>", "<s>", "</s>", "▁the", "ing"]
    write_pieces(tmp_path / "tokenizer.model", pieces)
    assert read_pieces(tmp_path / "tokenizer.model") == pieces
    (tmp_path / "b").mkdir()
    write_pieces(tmp_path / "b" / "tokenizer.model", pieces)
    assert compare_models(tmp_path / "tokenizer.model", tmp_path / "b").tokenizer.verdict == \
        "identical"


def test_missing_model_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="no such model"):
        compare_models(tmp_path / "nope", tmp_path)


def test_cli_json_and_exit_codes(tmp_path, upstream):
    copy = save(tmp_path / "copy", noisy(weights(1), 0.25))
    result = CliRunner().invoke(model, ["compare", str(upstream), str(copy), "--format", "json",
                                        "--seed", "7"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["schema_version"] == 1 and data["verdict"] == "derived"
    assert data["weights"]["figures"]["seed"] == 7
    other = save(tmp_path / "other", weights(2))
    result = CliRunner().invoke(model, ["compare", str(upstream), str(other), "--full"])
    assert result.exit_code == 0 and "weights: independent" in result.output


def test_sampled_and_full_agree_and_are_deterministic(tmp_path, upstream):
    copy = save(tmp_path / "copy", noisy(weights(1), 0.5))
    first, again = compare_models(upstream, copy, seed=3), compare_models(upstream, copy, seed=3)
    assert render_json(first) == render_json(again)
    full = compare_models(upstream, copy, full=True)
    assert abs(full.weights.figures["correlation_median"]
               - first.weights.figures["correlation_median"]) < 0.05


def test_cli_boundary_turns_a_missing_model_into_exit_2(tmp_path, monkeypatch, capsys):
    from attrib.cli import main as entry

    monkeypatch.setitem(entry.COMMANDS, "model", "attrib.cli.model:model")
    monkeypatch.setitem(entry.SUMMARIES, "model", "Compare model artifacts.")
    with pytest.raises(SystemExit) as exit_info:
        entry.main(["model", "compare", str(tmp_path / "nope"), str(tmp_path)])
    assert exit_info.value.code == 2
    assert "no such model" in capsys.readouterr().err


# -- PyTorch zip checkpoints and GGUF: the same comparison as safetensors ----------------------

def _torch(directory, tensors, dtype="F32", config=None):
    from attrib.artifacts.torchzip import write_torch_zip

    directory.mkdir(parents=True, exist_ok=True)
    write_torch_zip(directory / "pytorch_model.bin", tensors, dtype)
    if config is not None:
        (directory / "config.json").write_text(json.dumps(config))
    return directory


def _gguf(directory, tensors, dtype="F32"):
    from attrib.artifacts.gguf import write_gguf

    directory.mkdir(parents=True, exist_ok=True)
    write_gguf(directory / "model.gguf", tensors, {"general.architecture": "tiny",
                                                   "tokenizer.ggml.tokens": ["a", "b"]}, dtype)
    return directory


@pytest.mark.parametrize("write", [_torch, _gguf], ids=["pytorch-zip", "gguf"])
def test_checkpoint_formats_compare_like_safetensors(tmp_path, upstream, write):
    copy = write(tmp_path / "copy", {n.replace("vpm.", "vision."): t
                                     for n, t in noisy(weights(1), 0.05).items()})
    report = compare_models(upstream, copy)
    assert report.weights.verdict == "derived" and "noise-perturbed" in report.weights.detail
    assert report.weights.figures["key_map"] == {"vpm.*": "vision.*"}
    assert report.weight_map.figures["key_map"] == {"vpm.*": "vision.*"}
    tuned = write(tmp_path / "tuned", fine_tune(weights(1), 4), "F16")
    assert "fine-tuned" in compare_models(upstream, tuned).weights.detail
    other = write(tmp_path / "other", weights(8), "BF16")
    assert compare_models(upstream, other).verdict == "independent"


def test_torch_zip_table_from_the_pickle_opcodes(tmp_path):
    from attrib.artifacts.torchzip import read_torch_zip

    path = _torch(tmp_path / "m", weights(1), "F16") / "pytorch_model.bin"
    tensors, skipped = read_torch_zip(path)
    assert skipped == [] and [t.name for t in tensors] == sorted(SHAPES)
    assert {t.name: t.shape for t in tensors} == SHAPES
    assert {t.dtype for t in tensors} == {"F16"} and all(t.offset for t in tensors)


def test_gguf_header(tmp_path):
    from attrib.artifacts.gguf import read_gguf

    header, skipped = read_gguf(_gguf(tmp_path / "g", weights(1)) / "model.gguf")
    assert header.version == 3 and skipped == []
    assert header.metadata["general.architecture"] == "tiny"
    assert header.metadata["tokenizer.ggml.tokens"]["count"] == 2  # a count and a hash
    assert {t.name: t.shape for t in header.tensors} == SHAPES  # ggml's dims reversed


def test_reads_what_real_torch_save_writes(tmp_path):
    """Only where torch is installed (not a dependency): the layout of a real torch.save."""
    torch = pytest.importorskip("torch")
    from attrib.artifacts.tensorfile import open_flat, to_float32
    from attrib.artifacts.torchzip import read_torch_zip, tensor_refs

    base = torch.randn(8, 6)
    state = {"a": torch.randn(4, 3), "half": torch.randn(5).half(), "view": base[2:4],
             "t": base.t(), "ids": torch.arange(3)}
    torch.save({"model": state}, tmp_path / "m.pt")
    tensors, _ = read_torch_zip(tmp_path / "m.pt")
    assert {t.name: t.shape for t in tensors} == {f"model.{k}": tuple(v.shape)
                                                  for k, v in state.items()}
    for ref in tensor_refs(tmp_path / "m.pt", tensors):
        values = to_float32(np.asarray(open_flat(ref)), ref.dtype).reshape(ref.shape)
        assert np.allclose(values, state[ref.name[6:]].float().numpy())
