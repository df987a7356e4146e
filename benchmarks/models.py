# SPDX-License-Identifier: Apache-2.0
"""Figures for model evidence without tensor data: weight maps and shared mistakes.

Prints figures; never asserts on them. Targets (issue 13):

- two ``*.safetensors.index.json`` files of 1,000 tensors, one with a renamed prefix
  (``vpm.* -> vison.*``): the rename found, the whole comparison (read both files, compare) in
  under 0.2 s;
- shared mistakes on generated 4-choice answer sets (accuracy 0.6): a copy that keeps the
  upstream's answers (10% changed by a fine-tune) found at 50 probes with p < 0.001, and the
  false-positive rate of two independent models of the same accuracy over 1,000 draws;
- by index: generated models saved as safetensors, PyTorch zip and GGUF; noise-perturbed copies
  at 3 noise levels, fine-tunes of the upstream and independent models (20 each) compared with
  the upstream's files and with its indexed fingerprint alone: the verdicts called, how often
  the two agree, the record's size and the by-index comparison's time.

Run::

    python benchmarks/models.py
    python benchmarks/models.py --draws 200
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from attrib.artifacts import compare_models
from attrib.artifacts.fingerprint import compare_with_fingerprint, fingerprint
from attrib.artifacts.gguf import write_gguf
from attrib.artifacts.indexed import decode_record, encode_record
from attrib.artifacts.outputs import compare_outputs
from attrib.artifacts.tensorfile import write_safetensors
from attrib.artifacts.torchzip import write_torch_zip

CHOICES = "ABCD"


def index_names(prefix: str, count: int = 1000) -> list[str]:
    """A vision tower and a language model, ~1,000 parameter names in all."""
    vision = [f"{prefix}.encoder.layers.{i}.{p}.{w}" for i in range(27)
              for p in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                        "self_attn.out_proj", "mlp.fc1", "mlp.fc2")
              for w in ("weight", "bias")]
    llm = [f"llm.model.layers.{i}.{p}.weight" for i in range(100)
           for p in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                     "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")]
    return (vision + llm)[:count]


def write_index(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True)
    shards = [f"model-{i:05d}-of-00004.safetensors" for i in range(1, 5)]
    (folder / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {n: shards[i % 4] for i, n in enumerate(names)}}))


def weight_map_figures(tmp: Path, runs: int = 5) -> None:
    names = index_names("vpm")
    write_index(tmp / "up", names)
    write_index(tmp / "copy", [n.replace("vpm.", "vison.", 1) for n in names])
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        report = compare_models(tmp / "up", tmp / "copy")
        times.append(time.perf_counter() - start)
    wm = report.weight_map
    print(f"weight map, {len(names)} tensors, renamed prefix: verdict {wm.verdict}, "
          f"key_map {wm.figures['key_map']}, score {wm.figures['score']}, "
          f"median {statistics.median(times) * 1000:.1f} ms over {runs} runs (target < 200 ms)")


def answer_set(gold: list[str], accuracy: float, rng: random.Random) -> list[str]:
    return [g if rng.random() < accuracy else rng.choice([c for c in CHOICES if c != g])
            for g in gold]


def write_answers(path: Path, values: list[str]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "answer": v}) + "\n"
                            for i, v in enumerate(values)))
    return path


def shared_mistake_figures(tmp: Path, draws: int, probes: int = 50, acc: float = 0.6) -> None:
    rng = random.Random(13)
    found = flagged = 0
    p_copy, p_other = [], []
    for d in range(draws):
        gold = [rng.choice(CHOICES) for _ in range(probes)]
        up = answer_set(gold, acc, rng)
        copy = [g if rng.random() < 0.1 else u for u, g in zip(up, gold)]
        other = answer_set(gold, acc, rng)
        files = [write_answers(tmp / f"{n}.jsonl", v)
                 for n, v in (("gold", gold), ("up", up), ("copy", copy), ("other", other))]
        c = compare_outputs(files[1], files[2], files[0])
        o = compare_outputs(files[1], files[3], files[0])
        found += c.verdict == "derived"
        flagged += o.verdict == "derived"
        p_copy.append(c.figures["p_value"])
        p_other.append(o.figures["p_value"])
    print(f"shared mistakes, {probes} probes, 4 choices, accuracy {acc}, {draws} draws:")
    print(f"  copies (10% of answers changed) found: {found}/{draws}, "
          f"median p {statistics.median(p_copy):.2g}, max p {max(p_copy):.2g}")
    print(f"  independent models of the same accuracy flagged: {flagged}/{draws} "
          f"(false-positive rate {flagged / draws:.3%}), median p {statistics.median(p_other):.2g}")


FORMATS = {"safetensors": lambda d, t: write_safetensors(d / "model.safetensors", t),
           "pytorch-zip": lambda d, t: write_torch_zip(d / "pytorch_model.bin", t),
           "gguf": lambda d, t: write_gguf(d / "model.gguf", t)}


def generated(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"model.layers.{i}.{p}.weight": (rng.standard_normal((96, 64)) * 0.02 * (1 + i % 3))
            .astype(np.float32) for i in range(6) for p in ("q_proj", "mlp")}


def variants(base: dict, seed: int) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {f"noise {f}": {n: (t + rng.standard_normal(t.shape) * f * t.std()).astype(np.float32)
                          for n, t in base.items()} for f in (0.01, 0.1, 0.5)}
    tuned = {}
    for i, (n, t) in enumerate(base.items()):  # low-rank deltas growing layer by layer
        delta = np.outer(rng.standard_normal(t.shape[0]), rng.standard_normal(t.shape[1]))
        tuned[n] = (t + delta / delta.std() * t.std() * 0.05 * 2 ** (i % 4)).astype(np.float32)
    out["fine-tune"] = tuned
    out["independent"] = generated(10_000 + seed)
    return out


def by_index_figures(tmp: Path, models: int) -> None:
    print(f"by index ({models} upstreams per format; each with 5 suspects):")
    for fmt, write in FORMATS.items():
        called: dict[str, list[str]] = {}
        agree, sizes, seconds = 0, [], []
        for m in range(models):
            up = tmp / fmt / f"up{m}"
            up.mkdir(parents=True)
            base = generated(m)
            write(up, base)
            record = encode_record(fingerprint(up)[0])
            sizes.append(len(record))
            fp = decode_record(record)
            for kind, tensors in variants(base, m).items():
                suspect = tmp / fmt / f"s{m}-{kind}"
                suspect.mkdir()
                write(suspect, tensors)
                files = compare_models(up, suspect)
                start = time.perf_counter()
                index = compare_with_fingerprint(fp, suspect, "indexed")
                seconds.append(time.perf_counter() - start)
                called.setdefault(kind, []).append(index.verdict)
                # the verdict and its kind (noise-perturbed or fine-tuned) both
                agree += (files.verdict, files.weights.detail) == (index.verdict,
                                                                   index.weights.detail)
        total = models * 5
        line = ", ".join(f"{kind} {sum(v == 'derived' for v in got)}/{len(got)} derived"
                         for kind, got in called.items())
        print(f"  {fmt}: {line}; by index = by files (verdict and kind) {agree}/{total}; record "
              f"{statistics.median(sizes):,.0f} bytes; compare {statistics.median(seconds):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--models", type=int, default=20, help="upstreams per format (by index)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        weight_map_figures(Path(tmp))
        shared_mistake_figures(Path(tmp), args.draws)
        by_index_figures(Path(tmp), args.models)


if __name__ == "__main__":
    main()
