# SPDX-License-Identifier: Apache-2.0
"""Rebuild attrib/data/common_shingles.bin from pinned, downloaded sources.

    python benchmarks/build_background.py [--min-groups 5] [--cache DIR]

Downloads (``pip download --no-deps``, cached in ``benchmarks/out/background``)
the wheels below and counts, per shingle, the groups that hold it: each file
of numpy, scipy, setuptools and pip (everyday Python), and each model
directory of transformers, whose ``configuration_*.py`` and ``modeling_*.py``
are the framework template independent model projects copy
(``PretrainedConfig``, ``PreTrainedModel``, ``nn.Module`` idioms).  The
families in ``TEMPLATE_FAMILIES`` are held out: ``benchmarks/accuracy.py``
uses them as template negatives, so the table must not have seen them.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from attrib.engine.background import DATA, Source, build, write  # noqa: E402

PINNED = {"transformers": "5.23.0", "numpy": "2.4.6", "scipy": "1.17.1",
          "setuptools": "65.5.0", "pip": "23.2.1"}
# transformers 5.23.0 model families whose configuration and modeling files carry
# no "Copied from" marker and are not generated from a modular file: written
# separately on the common template, so they can stand for independent projects
# (mobilenet_v1 and mobilevit are not listed although unmarked: attrib found them
# copied from mobilenet_v2, ``make_divisible`` byte for byte, 0.99 on whole classes;
# mpt stays although attrib finds its heads adapted from bloom's: see benchmarks/README.md)
TEMPLATE_FAMILIES = (
    "bert", "bloom", "canine", "clip", "dpr", "efficientnet", "encodec", "encoder_decoder",
    "fsmt", "funnel", "fuyu", "gemma4_assistant", "gpt_neo", "gptj", "granite_speech", "ibert",
    "imagegpt", "jev", "levit", "llama", "llava", "lxmert", "mamba", "mobilenet_v2", "mpt",
    "nougat", "paligemma", "perceiver", "prophetnet", "rag", "reformer", "resnet", "rwkv",
    "sam3_video", "squeezebert", "superglue", "superpoint", "textnet", "timm_backbone",
    "timm_wrapper", "univnet", "upernet", "vit", "vitmatte", "vitpose", "xlm", "xlstm",
)
TEMPLATE_FILES = ("configuration_*.py", "modeling_*.py")


def wheel(name: str, cache: Path) -> Path:
    """The pinned wheel of ``name``, downloaded once."""
    version = PINNED[name]
    found = sorted(cache.glob(f"{name}-{version}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "-q", "-d", str(cache), f"{name}=={version}"], check=True)
        found = sorted(cache.glob(f"{name}-{version}-*.whl"))
    return found[0]


def sources(cache: Path) -> list[Source]:
    out = [Source(f"{n}=={PINNED[n]}", wheel(n, cache)) for n in ("numpy", "scipy", "setuptools",
                                                                 "pip")]
    out.append(Source(f"transformers=={PINNED['transformers']}", wheel("transformers", cache),
                      families="transformers/models/*", include=TEMPLATE_FILES,
                      exclude=frozenset(TEMPLATE_FAMILIES)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-groups", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "out" / "background")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    meta, table = build(sources(args.cache), args.min_groups)
    write(meta, table, args.out)
    size = args.out.stat().st_size
    print(f"{args.out}: {meta['shingles']} common shingles from {meta['files']} files in "
          f"{meta['groups']} groups, {size / 1024:.0f} KiB, {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
