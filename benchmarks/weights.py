# SPDX-License-Identifier: Apache-2.0
"""Speed, memory and separation of ``attrib model compare`` on generated safetensors pairs.

Prints figures; never asserts on them. Targets (from the "Model artifacts" issue): the sampled
compare of two 1 GiB checkpoints in under 2 s and 500 MB peak memory; the ``--full`` pass
throughput in GiB/s; noise-perturbed copies (0.1, 0.25, 0.5 x each tensor's std) found derived,
independent models never called derived. Each timed compare runs in a fresh subprocess, so its
peak memory (``ru_maxrss``) is its own.

Run::

    python benchmarks/weights.py                 # 1 GiB pair in a temp dir, ~1 minute
    python benchmarks/weights.py --gib 0.25 --keep /tmp/wbench
"""
from __future__ import annotations

import argparse
import json
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from attrib.artifacts import compare_models
from attrib.artifacts.tensorfile import write_safetensors

PROBE = """
import json, resource, sys, time
from attrib.artifacts import compare_models
start = time.perf_counter()
report = compare_models(sys.argv[1], sys.argv[2], full=sys.argv[3] == "full")
print(json.dumps({"seconds": time.perf_counter() - start, "verdict": report.verdict,
                  "detail": report.weights.detail,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_pair(directory: Path, tensors: int, side: int, noise: float, seed: int) -> None:
    """Two F32 checkpoints, B = A + Gaussian noise, written one tensor at a time."""
    nbytes = side * side * 4
    header = {f"model.layers.{i}.weight": {"dtype": "F32", "shape": [side, side],
                                           "data_offsets": [i * nbytes, (i + 1) * nbytes]}
              for i in range(tensors)}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    rng = np.random.default_rng(seed)
    paths = [directory / side_name / "model.safetensors" for side_name in ("a", "b")]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(paths[0], "wb") as fa, open(paths[1], "wb") as fb:
        for fh in (fa, fb):
            fh.write(struct.pack("<Q", len(raw)) + raw)
        for i in range(tensors):
            a = rng.standard_normal((side, side), dtype=np.float32) * np.float32(0.02 * (1 + i % 4))
            fa.write(a.tobytes())
            a += rng.standard_normal((side, side), dtype=np.float32) * np.float32(noise * a.std())
            fb.write(a.tobytes())


def probe(a: Path, b: Path, mode: str) -> dict:
    # Linux keeps ru_maxrss across exec, so a child forked from this (large) process would
    # report our peak: run the probe as a grandchild forked by a small shell instead.
    launcher = '"$0" -c "$1" "$2" "$3" "$4"; exit $?'
    out = subprocess.run(["sh", "-c", launcher, sys.executable, PROBE, str(a), str(b), mode],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def speed(work: Path, gib: float) -> list[tuple[str, str]]:
    side = 4096
    tensors = max(1, round(gib * 2 ** 30 / (side * side * 4)))
    write_pair(work / "big", tensors, side, 0.5, seed=1)
    size = tensors * side * side * 4 / 2 ** 30
    sampled = probe(work / "big" / "a", work / "big" / "b", "sampled")
    full = probe(work / "big" / "a", work / "big" / "b", "full")
    return [
        ("checkpoint size (each, F32)", f"{size:.2f} GiB, {tensors} tensors of {side}x{side}"),
        ("sampled compare: time (target < 2 s)", f"{sampled['seconds']:.2f} s"),
        ("sampled compare: peak memory (target < 500 MB)", f"{sampled['peak_mb']:.0f} MB"),
        ("sampled compare: verdict", f"{sampled['verdict']} ({sampled['detail']})"),
        ("--full: time", f"{full['seconds']:.2f} s"),
        ("--full: throughput (A+B bytes read)", f"{2 * size / full['seconds']:.2f} GiB/s"),
        ("--full: peak memory", f"{full['peak_mb']:.0f} MB"),
    ]


def random_model(path: Path, seed: int, like: dict | None = None, noise: float = 0.0) -> dict:
    rng = np.random.default_rng(seed)
    shapes = {f"model.layers.{i}.{k}": s for i in range(6)
              for k, s in (("q.weight", (512, 512)), ("mlp.weight", (1024, 512)), ("norm", (512,)))}
    tensors = like or {n: (rng.standard_normal(s) * 0.02 * (1 + i % 5)).astype(np.float32)
                       for i, (n, s) in enumerate(shapes.items())}
    if noise:
        tensors = {n: (t + rng.standard_normal(t.shape) * noise * t.std()).astype(np.float32)
                   for n, t in tensors.items()}
    path.mkdir(parents=True, exist_ok=True)
    write_safetensors(path / "model.safetensors", tensors)
    return tensors


def separation(work: Path, trials: int) -> list[tuple[str, str]]:
    rows = []
    for noise in (0.1, 0.25, 0.5):
        found = []
        for t in range(trials):
            base = random_model(work / f"n{noise}-{t}" / "a", seed=100 + t)
            random_model(work / f"n{noise}-{t}" / "b", seed=200 + t, like=base, noise=noise)
            report = compare_models(work / f"n{noise}-{t}" / "a", work / f"n{noise}-{t}" / "b",
                                    seed=t)
            found.append((report.verdict, report.weights.detail))
        hits = sum(v == "derived" for v, _ in found)
        kinds = sorted({d for _, d in found})
        rows.append((f"noise {noise} x std: found derived", f"{hits}/{trials} ({', '.join(kinds)})"))
    wrong = 0
    for t in range(trials):
        random_model(work / f"ind-{t}" / "a", seed=300 + t)
        random_model(work / f"ind-{t}" / "b", seed=400 + t)
        wrong += compare_models(work / f"ind-{t}" / "a", work / f"ind-{t}" / "b").is_copy
    rows.append(("independent pairs called derived (want 0)", f"{wrong}/{trials}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of each checkpoint")
    parser.add_argument("--trials", type=int, default=5, help="pairs per separation row")
    parser.add_argument("--keep", metavar="DIR", help="work here and keep the files")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="attrib-weights-"))
    try:
        rows = speed(work, args.gib) + separation(work, args.trials)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    width = max(len(name) for name, _ in rows)
    print(f"{'figure':<{width}}  value\n{'-' * width}  -----")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
