# SPDX-License-Identifier: Apache-2.0
"""Model files where real repositories keep them: subfolders, weight maps, Git LFS pointers."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from attrib.artifacts import compare_models
from attrib.artifacts.files import locate
from attrib.artifacts.tensorfile import write_safetensors
from attrib.artifacts.weightmap import compare_structures

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def attrib(*args: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def names(prefix: str = "vpm") -> list[str]:
    out = [f"{prefix}.encoder.layers.{i}.{p}.weight" for i in range(4)
           for p in ("q_proj", "k_proj", "mlp.fc1")]
    return out + [f"llm.model.layers.{i}.self_attn.o_proj.weight" for i in range(4)]


def weight_map(directory: Path, params: list[str], shards: int = 2) -> None:
    files = [f"model-{i + 1:05d}-of-{shards:05d}.safetensors" for i in range(shards)]
    data = {"metadata": {"total_size": 1234}, "weight_map": {
        n: files[i % shards] for i, n in enumerate(params)}}
    (directory / "model.safetensors.index.json").write_text(json.dumps(data))


def lfs_pointer(path: Path, content: bytes) -> None:
    """The text git-lfs leaves in a checkout without the LFS objects (spec v1)."""
    path.write_text("version https://git-lfs.github.com/spec/v1\n"
                    f"oid sha256:{hashlib.sha256(content).hexdigest()}\nsize {len(content)}\n")


def laid_out_like_a_copy(root: Path, prefix: str, payload: bytes, config: dict) -> Path:
    """Weight map and LFS pointers at the root, config and tokenizer in a package folder."""
    (root / "llama3v").mkdir(parents=True)
    (root / "llama3v" / "config.json").write_text(json.dumps(config))
    (root / "llama3v" / "tokenizer_config.json").write_text(json.dumps({"bos_token": "<s>"}))
    weight_map(root, names(prefix))
    for i in range(2):
        lfs_pointer(root / f"model-{i + 1:05d}-of-00002.safetensors", payload + bytes([i]))
    return root


def test_files_are_found_in_subfolders_and_lfs_pointers_read(tmp_path):
    root = laid_out_like_a_copy(tmp_path / "m", "vison", b"x" * 100, {"hidden_size": 3})
    (root / ".git").mkdir()
    (root / ".git" / "config.json").write_text("{}")  # hidden folders are not searched
    (root / "loop").symlink_to(root)  # never followed
    files = locate(root)
    assert files.config == root / "llama3v" / "config.json"
    assert set(files.tokenizer) == {"tokenizer_config.json"}
    assert files.index == root / "model.safetensors.index.json" and files.weights == ()
    assert [(p.path, p.size) for p in files.lfs] == [
        ("model-00001-of-00002.safetensors", 101), ("model-00002-of-00002.safetensors", 101)]
    assert files.folders == (".", "llama3v")


def test_renamed_prefix_and_identical_subtrees_from_index_files_alone():
    a = dict.fromkeys(names("vpm"))
    b = dict.fromkeys(names("vison")[:-1] + ["extra.bias.weight"])
    figures = compare_structures(a, b)
    assert figures["key_map"] == {"vpm.*": "vison.*"}
    assert figures["renamed"] == 12 and figures["same_name"] == 3
    assert figures["missing_in_b"] == ["llm.model.layers.3.self_attn.o_proj.weight"]
    assert figures["extra_in_b"] == ["extra.bias.weight"]
    assert {"a": "vpm", "b": "vison", "parameters": 12} in figures["identical_subtrees"]


def test_safetensors_shapes_count_in_the_weight_map(tmp_path):
    rng = np.random.default_rng(0)
    up, cp = tmp_path / "up", tmp_path / "cp"
    up.mkdir(), cp.mkdir()
    shapes = {"a": (4, 4), "b": (4, 2), "c": (3, 3)}
    write_safetensors(up / "model.safetensors",
                      {f"vpm.{k}.weight": rng.random(v) for k, v in shapes.items()})
    shapes["b"] = (2, 4)  # a different shape: the name does not pair
    write_safetensors(cp / "model.safetensors",
                      {f"vison.{k}.weight": rng.random(v) for k, v in shapes.items()})
    section = compare_models(up, cp).weight_map
    assert section.figures["key_map"] == {"vpm.*": "vison.*"}
    assert section.figures["shapes_compared"] == 2
    assert section.figures["missing_in_b"] == ["vpm.b.weight"]
    assert section.verdict == "independent"


def test_noise_added_copy_signature_from_pointers_and_weight_map(tmp_path):
    config = {"hidden_size": 3584, "vocab_size": 151666}
    up = laid_out_like_a_copy(tmp_path / "up", "vpm", b"a" * 500, config)
    cp = laid_out_like_a_copy(tmp_path / "cp", "vison", b"b" * 500, config)
    report = compare_models(up, cp)
    assert report.lfs.verdict == "same-layout"
    assert report.weight_map.verdict == "derived"
    assert report.verdict == "derived" and "noise-added copy" in report.detail
    assert report.weights.problems == () and "not fetched" in report.weights.detail
    same = laid_out_like_a_copy(tmp_path / "same", "vpm", b"a" * 500, config)
    assert compare_models(up, same).lfs.verdict == "identical"


def test_independent_layouts_are_not_derived(tmp_path):
    up = laid_out_like_a_copy(tmp_path / "up", "vpm", b"a" * 500, {"hidden_size": 3584})
    other = tmp_path / "other"
    other.mkdir()
    weight_map(other, [f"transformer.h.{i}.attn.c_attn.weight" for i in range(16)])
    lfs_pointer(other / "model-00001-of-00002.safetensors", b"c" * 700)
    report = compare_models(up, other)
    assert report.weight_map.verdict == "independent"
    assert report.lfs.verdict == "independent" and report.verdict == "independent"


def test_malformed_index_and_pointer_are_problems_and_the_comparison_goes_on(tmp_path):
    up = laid_out_like_a_copy(tmp_path / "up", "vpm", b"a" * 500, {"hidden_size": 3584})
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model.safetensors.index.json").write_text('{"weight_map": [1, 2')
    (bad / "model.safetensors").write_text("version https://git-lfs.github.com/spec/v1\n"
                                           "oid sha256:zz\n")  # no valid oid: not a pointer
    (bad / "config.json").write_text(json.dumps({"hidden_size": 3584}))
    code, out, err = attrib("model", "compare", str(up), str(bad))
    assert code in (0, 1) and "Traceback" not in err
    assert "model.safetensors.index.json: not JSON" in out
    assert "model.safetensors: header length" in out or "truncated" in out


def test_cli_compare_and_audit_of_a_tree_laid_out_like_a_real_copy(tmp_path):
    upstream = tmp_path / "minicpmv"
    suspect = tmp_path / "llama3v"
    import shutil

    shutil.copytree(EXAMPLES / "minicpmv", upstream)
    shutil.copytree(EXAMPLES / "llama3v", suspect)
    weight_map(upstream, names("vpm"))
    for i in range(2):
        lfs_pointer(upstream / f"model-{i + 1:05d}-of-00002.safetensors", b"u" * 300 + bytes([i]))
    # the copy: config in the package folder, weight map at the root, pointers of other bytes
    (suspect / "config.json").rename(suspect / "llama3v" / "config.json")
    weight_map(suspect, names("vison"))
    for i in range(2):
        lfs_pointer(suspect / f"model-{i + 1:05d}-of-00002.safetensors", b"s" * 300 + bytes([i]))
    code, out, _ = attrib("model", "compare", str(upstream), str(suspect))
    assert code == 1 and "verdict: derived" in out
    assert "vpm.* -> vison.*" in out and "model files in" in out
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(upstream), "--name", "MiniCPM-V", "--index", idx)[0] == 0
    code, out, err = attrib("audit", str(suspect), "--index", idx, "--format", "json")
    art = json.loads(out)["audit"]["model_artifacts"]
    assert art["status"] == "compared", art
    verdicts = {s["name"]: s["verdict"] for s in art["sections"]}
    assert verdicts["weight_map"] == "derived" and verdicts["lfs"] == "same-layout"
    page = tmp_path / "audit.html"
    attrib("audit", str(suspect), "--index", idx, "-o", str(page))
    html = page.read_text()
    assert "weight_map" in html and "same layout, other bytes" in html


# -- configs with renamed keys ----------------------------------------------------------------

def test_bundled_example_config_is_derived_with_its_key_rename_map():
    code, out, _ = attrib("model", "compare", str(EXAMPLES / "minicpmv"), str(EXAMPLES / "llama3v"),
                          "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "derived"
    keys = data["config"]["figures"]["renamed_keys"]
    assert keys["vision_batch_size"] == "vision_chunk" and keys["query_num"] == "num_latents"
    assert data["config"]["figures"]["renamed_prefixes"] == {"slice_config.*": "tiling.*"}


def test_renamed_keys_need_identical_values_and_independent_configs_stay_independent(tmp_path):
    from attrib.artifacts.configs import compare_configs

    gpt = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12,
           "n_positions": 1024, "vocab_size": 50257, "activation_function": "gelu_new"}
    llama = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
             "num_attention_heads": 32, "max_position_embeddings": 4096, "vocab_size": 32000,
             "hidden_act": "silu"}
    (tmp_path / "a.json").write_text(json.dumps(gpt))
    (tmp_path / "b.json").write_text(json.dumps(llama))
    section = compare_configs(tmp_path / "a.json", tmp_path / "b.json")
    assert section.verdict == "independent" and section.figures["renamed_keys"] == {}
    moved = dict(gpt, n_embd=None, width=777)  # a renamed key with another value: no pair
    del moved["n_embd"]
    (tmp_path / "c.json").write_text(json.dumps(dict(gpt, n_embd=777)))
    (tmp_path / "d.json").write_text(json.dumps(moved))
    section = compare_configs(tmp_path / "c.json", tmp_path / "d.json")
    assert section.figures["renamed_keys"] == {"n_embd": "width"}
    (tmp_path / "e.json").write_text(json.dumps(dict(moved, width=778)))
    section = compare_configs(tmp_path / "c.json", tmp_path / "e.json")
    assert section.figures["renamed_keys"] == {}


def test_audit_puts_the_config_key_renames_beside_the_code_renames(tmp_path):
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
                  "--index", idx)[0] == 0
    _, out, _ = attrib("audit", str(EXAMPLES / "llama3v"), "--index", idx, "--format", "json")
    [config] = [s for s in json.loads(out)["audit"]["model_artifacts"]["sections"]
                if s["name"] == "config"]
    assert config["verdict"] == "derived"
    assert "vision_batch_size -> vision_chunk" in config["figures"]["renamed_in_config_and_code"]


def test_the_walk_is_bounded_and_says_so(tmp_path):
    from attrib.artifacts import files as files_module

    root = tmp_path / "wide"
    for i in range(files_module.MAX_DIRS + 5):
        (root / f"d{i:05d}").mkdir(parents=True)
    deep = root / "/".join(["x"] * (files_module.MAX_DEPTH + 2))
    deep.mkdir(parents=True)
    (deep / "config.json").write_text("{}")
    (root / "d00000" / "config.json").write_text('{"hidden_size": 3}')
    found = locate(root)
    assert found.config == root / "d00000" / "config.json"
    assert any(f"more than {files_module.MAX_DIRS} folders" in why for _, why in found.problems)
    code, out, err = attrib("model", "compare", str(root), str(root))
    assert "Traceback" not in err and f"more than {files_module.MAX_DIRS} folders" in out


def test_a_big_file_with_a_pointer_name_is_not_read_as_a_pointer(tmp_path):
    big = tmp_path / "m"
    big.mkdir()
    (big / "model.bin").write_bytes(b"version https://git-lfs.github.com/spec/v1\n" + b"x" * 4096)
    (big / "model.gguf").write_text("version https://git-lfs.github.com/spec/v1\n"
                                    f"oid sha256:{'a' * 64}\nsize {'9' * 20}\n")
    assert [(p.path, p.size) for p in locate(big).lfs] == [("model.gguf", int("9" * 20))]


def test_audit_of_a_git_ref_finds_model_files_in_subfolders(tmp_path):
    import shutil

    suspect = tmp_path / "llama3v"
    shutil.copytree(EXAMPLES / "llama3v", suspect)
    (suspect / "config.json").rename(suspect / "llama3v" / "config.json")
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(suspect)], check=True)
    subprocess.run(["git", "-C", str(suspect), "add", "-A"], check=True)
    subprocess.run(["git", *env, "-C", str(suspect), "commit", "-qm", "copy"], check=True)
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
                  "--index", idx)[0] == 0
    _, out, err = attrib("audit", str(suspect), "--ref", "HEAD", "--index", idx,
                         "--format", "json")
    art = json.loads(out)["audit"]["model_artifacts"]
    assert art["status"] == "compared", (art, err)
    assert {s["name"]: s["verdict"] for s in art["sections"]}["config"] == "derived"


# -- fingerprints: an upstream compared with no files at hand ----------------------------------

def test_a_fingerprint_stands_for_the_upstream_files(tmp_path):
    import shutil

    upstream = tmp_path / "minicpmv"
    shutil.copytree(EXAMPLES / "minicpmv", upstream)
    weight_map(upstream, names("vpm"))
    for i in range(2):
        lfs_pointer(upstream / f"model-{i + 1:05d}-of-00002.safetensors", b"u" * 300 + bytes([i]))
    vocab = {f"t{i}": i for i in range(3000)}
    (upstream / "tokenizer.json").write_text(json.dumps({"model": {"vocab": vocab,
                                                                   "merges": ["t 1"]}}))
    suspect = tmp_path / "llama3v"
    shutil.copytree(EXAMPLES / "llama3v", suspect)
    shutil.copy(upstream / "tokenizer.json", suspect / "llama3v" / "tokenizer.json")
    weight_map(suspect, names("vison"))
    for i in range(2):
        lfs_pointer(suspect / f"model-{i + 1:05d}-of-00002.safetensors", b"s" * 300 + bytes([i]))
    fp = tmp_path / "upstream.model.json"
    assert attrib("model", "fingerprint", str(upstream), "-o", str(fp))[0] == 0
    assert fp.stat().st_size < 10_000  # hashes of a 3,000-token vocabulary, not the vocabulary
    shutil.rmtree(upstream)
    code, out, err = attrib("model", "compare", str(fp), str(suspect), "--format", "json")
    data = json.loads(out)
    assert code == 1 and "noise-added copy" in data["detail"], err
    assert data["config"]["verdict"] == "derived" and data["tokenizer"]["verdict"] == "identical"
    assert data["weight_map"]["figures"]["key_map"] == {"vpm.*": "vison.*"}
    fp.write_text(json.dumps({"schema": "attrib-model-fingerprint/1", "weight_map": 3, "lfs": []}))
    code, _, err = attrib("model", "compare", str(fp), str(suspect))
    assert code == 2 and "not a model fingerprint" in err and "Traceback" not in err


def test_audit_goes_on_past_malformed_model_files(tmp_path):
    import shutil

    suspect = tmp_path / "llama3v"
    shutil.copytree(EXAMPLES / "llama3v", suspect)
    (suspect / "config.json").rename(suspect / "llama3v" / "config.json")
    (suspect / "llama3v" / "config.json").write_text('{"hidden_size": ')
    (suspect / "model.safetensors.index.json").write_bytes(b"\xff\xfe garbage")
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
                  "--index", idx)[0] == 0
    code, out, err = attrib("audit", str(suspect), "--index", idx, "--format", "json")
    assert code in (0, 1) and "Traceback" not in err
    audit = json.loads(out)["audit"]
    problems = [p for s in audit["model_artifacts"]["sections"] for p in s["problems"]]
    assert any("config.json" in p and "not JSON" in p for p in problems), problems
    assert any("index.json" in p and "not UTF-8" in p for p in problems), problems
    assert audit["summary"]  # the code comparison is still on the page


# -- model artifacts in the index: compared with no upstream files at hand ---------------------

def _verdicts(report: dict) -> dict:
    return {"overall": report["verdict"],
            **{k: report[k]["verdict"] for k in ("config", "tokenizer", "weight_map", "lfs",
                                                  "weights")}}


def _by_files(a: Path, b: Path) -> dict:
    code, out, err = attrib("model", "compare", str(a), str(b), "--format", "json")
    assert code in (0, 1), err
    return _verdicts(json.loads(out))


def _by_index(suspect: Path, idx: str, name: str) -> dict:
    code, out, err = attrib("model", "compare", str(suspect), "--index", idx, "--upstream", name,
                            "--format", "json")
    assert code in (0, 1), err
    (report,) = json.loads(out)["reports"]
    assert code == (1 if report["verdict"] in ("identical", "derived") else 0)
    return _verdicts(report)


def test_bundled_example_by_index_gives_the_verdict_of_the_files(tmp_path):
    idx = str(tmp_path / "idx.sqlite")
    code, _, err = attrib("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
                          "--index", idx)
    assert code == 0 and "MiniCPM-V: model artifacts: config" in err
    files = _by_files(EXAMPLES / "minicpmv", EXAMPLES / "llama3v")
    assert files["overall"] == "derived"
    assert _by_index(EXAMPLES / "llama3v", idx, "MiniCPM-V") == files


def _made_up(root: Path, tensors: dict, prefix_from: str = "", prefix_to: str = "",
             config: dict | None = None) -> Path:
    """A model folder: config and tokenizer in a package folder, safetensors at the root."""
    from attrib.artifacts.tensorfile import write_safetensors

    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "config.json").write_text(json.dumps(config or {
        "model_type": "tiny", "hidden_size": 48, "rope_theta": 812345.0, "query_num": 77}))
    vocab = {f"t{i}": i for i in range(2500)}
    (root / "pkg" / "tokenizer.json").write_text(json.dumps({"model": {"vocab": vocab,
                                                                       "merges": ["t 1"]}}))
    write_safetensors(root / "model.safetensors",
                      {n.replace(prefix_from, prefix_to, 1) if prefix_from else n: t
                       for n, t in tensors.items()})
    return root


def _tensors(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    out = {f"vpm.layers.{i}.{p}.weight": (rng.standard_normal((48, 32)) * 0.02 * (1 + i))
           .astype(np.float32) for i in range(4) for p in ("q", "k")}
    out["llm.embed.weight"] = rng.standard_normal((64, 48)).astype(np.float32)
    return out


def test_made_up_pair_by_index_gives_the_verdict_of_the_files(tmp_path, store_location):
    base = _tensors(1)
    rng = np.random.default_rng(5)
    noisy = {n: (t + rng.standard_normal(t.shape) * 0.05 * t.std()).astype(np.float32)
             for n, t in base.items()}
    upstream = _made_up(tmp_path / "upstream", base)
    suspects = {"noise copy, renamed prefix": _made_up(tmp_path / "s1", noisy, "vpm.", "vison."),
                "identical": _made_up(tmp_path / "s2", base),
                "independent": _made_up(tmp_path / "s3", _tensors(9), config={
                    "model_type": "other", "hidden_size": 48})}
    wanted = {k: _by_files(upstream, s) for k, s in suspects.items()}
    assert [w["overall"] for w in wanted.values()] == ["derived", "identical", "independent"]
    code, _, err = attrib("index", "add", str(upstream), "--name", "Up", "--index", store_location)
    assert code == 0 and "9 tensors sampled" in err, err
    import shutil

    shutil.rmtree(upstream)  # no upstream files at hand
    for kind, suspect in suspects.items():
        assert _by_index(suspect, store_location, "Up") == wanted[kind], kind


def test_index_add_of_a_git_ref_records_its_model_files(tmp_path):
    up = laid_out_like_a_copy(tmp_path / "up", "vpm", b"a" * 500, {"hidden_size": 3584,
                                                                    "query_num": 96})
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(up)], check=True)
    subprocess.run(["git", "-C", str(up), "add", "-A"], check=True)
    subprocess.run(["git", *env, "-C", str(up), "commit", "-qm", "model"], check=True)
    idx = str(tmp_path / "idx.sqlite")
    code, _, err = attrib("index", "add", str(up), "--ref", "HEAD", "--name", "Up", "--index", idx)
    assert code == 0 and "16 parameter names, 2 LFS pointers" in err, err
    cp = laid_out_like_a_copy(tmp_path / "cp", "vison", b"b" * 500, {"hidden_size": 3584,
                                                                      "query_num": 96})
    code, out, _ = attrib("model", "compare", str(cp), "--index", idx)
    assert code == 1 and "noise-added copy" in out and "vpm.* -> vison.*" in out
    assert "re-run: attrib model compare" in out and "--upstream Up" in out


def test_audit_compares_with_the_indexed_model_when_the_upstream_files_are_gone(tmp_path):
    import shutil

    upstream = tmp_path / "minicpmv"
    shutil.copytree(EXAMPLES / "minicpmv", upstream)
    weight_map(upstream, names("vpm"))
    for i in range(2):
        lfs_pointer(upstream / f"model-{i + 1:05d}-of-00002.safetensors", b"u" * 300 + bytes([i]))
    suspect = tmp_path / "llama3v"
    shutil.copytree(EXAMPLES / "llama3v", suspect)
    (suspect / "config.json").rename(suspect / "llama3v" / "config.json")
    weight_map(suspect, names("vison"))
    for i in range(2):
        lfs_pointer(suspect / f"model-{i + 1:05d}-of-00002.safetensors", b"s" * 300 + bytes([i]))
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(upstream), "--name", "MiniCPM-V", "--index", idx)[0] == 0
    shutil.rmtree(upstream)
    code, out, err = attrib("audit", str(suspect), "--index", idx, "--format", "json")
    art = json.loads(out)["audit"]["model_artifacts"]
    assert art["status"] == "compared", (art, err)
    verdicts = {s["name"]: (s["verdict"], s["source"]) for s in art["sections"]}
    assert verdicts["weight_map"] == ("derived", "index")
    assert verdicts["lfs"] == ("same-layout", "index")
    config = next(s for s in art["sections"] if s["name"] == "config")
    assert config["verdict"] == "derived"
    assert "vision_batch_size -> vision_chunk" in config["figures"]["renamed_in_config_and_code"] \
        or config["figures"]["renamed_keys"]


def test_indexed_artifacts_follow_their_upstream(tmp_path, store_location):
    """Replaced with the upstream, gone with it, exported and imported with it, alone."""
    from attrib.engine.index import open_store

    model = _made_up(tmp_path / "m", _tensors(1))
    code_only = tmp_path / "code"
    code_only.mkdir()
    (code_only / "x.py").write_text("def f():\n    return 1\n")
    for name, where in (("A", model), ("B", model)):
        assert attrib("index", "add", str(where), "--name", name, "--index", store_location)[0] == 0
    store = open_store(store_location)
    assert sorted(store.artifacts()) == ["A", "B"]
    store.close()
    export = tmp_path / "a.sqlite"
    assert attrib("index", "export", str(export), "--upstream", "A",
                  "--index", store_location)[0] == 0
    other = tmp_path / "other.sqlite"
    assert attrib("index", "import", str(export), "--index", str(other))[0] == 0
    assert _by_index(model, str(other), "A")["overall"] == "identical"
    import sqlite3

    rows = sqlite3.connect(export).execute("SELECT upstream FROM model_artifacts").fetchall()
    assert rows == [("A",)]  # B's model left out with B
    # re-added without a model: its record goes; removed: it is not returned
    assert attrib("index", "add", str(code_only), "--name", "A", "--index", store_location)[0] == 0
    assert attrib("index", "remove", "B", "--index", store_location)[0] == 0
    store = open_store(store_location)
    assert store.artifacts() == {}
    store.close()
    code, _, err = attrib("model", "compare", str(model), "--index", store_location)
    assert code == 2 and "has model artifacts" in err and len(err.strip().splitlines()) == 1


def test_store_bounds_and_unknown_upstreams(tmp_path, store_location):
    from attrib.engine.index import open_store
    from attrib.engine.index.base import MAX_ARTIFACT_BYTES
    from attrib.errors import IndexError_

    model = _made_up(tmp_path / "m", _tensors(1))
    assert attrib("index", "add", str(model), "--name", "A", "--index", store_location)[0] == 0
    store = open_store(store_location, write=True)
    try:
        for name, records in (("A", [b"x" * (MAX_ARTIFACT_BYTES + 1)]), ("nobody", [b"x"])):
            try:
                store.put_artifacts(name, records)
                raise AssertionError("accepted")
            except IndexError_ as exc:
                assert len(str(exc).splitlines()) == 1
        store.put_artifacts("A", [b"not a record"])
    finally:
        store.close()
    code, out, err = attrib("model", "compare", str(model), "--index", store_location)
    assert code == 2 and "model artifacts unreadable" in err and "Traceback" not in err
