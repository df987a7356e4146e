# SPDX-License-Identifier: Apache-2.0
"""``attrib model``: compare model artifacts (config, tokenizer, safetensors weights)."""
from __future__ import annotations

import click


@click.group()
def model() -> None:
    """Compare model artifacts (config, tokenizer, weight map, LFS pointers, weights from
    safetensors, PyTorch zip and GGUF files) and model outputs (shared mistakes)."""


@model.command()
@click.argument("paths", nargs=-1, type=click.Path(), metavar="A B | SUSPECT --index IDX")
@click.option("--base", metavar="DIR", type=click.Path(),
              help="A public base model both may start from: tells a copy from a sibling.")
@click.option("--full", is_flag=True, help="Read every value (default: a seeded sample).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample.")
@click.option("--index", "index_location", metavar="IDX",
              help="Compare SUSPECT with the models recorded in this index (a file or "
                   "redis://host:port/db) instead of with a second tree.")
@click.option("--upstream", metavar="NAME", help="With --index: only this upstream.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def compare(paths: tuple[str, ...], base: str | None, full: bool, seed: int,
            index_location: str | None, upstream: str | None, fmt: str) -> None:
    """Say whether model B is model A: identical, derived, sharing a base, or independent.

    \b
    A and B are model trees, searched for config.json, tokenizer files,
    *.safetensors, PyTorch zip checkpoints (.bin, .pt, .pth), GGUF files,
    weight maps and Git LFS pointers in any folder (bounded, no symlinks),
    or single files; A may be a fingerprint written by `attrib model
    fingerprint`:
      attrib model compare upstream/MiniCPM-Llama3-V-2_5 suspect/Llama3-V
      attrib model compare A B --base meta-llama/Meta-Llama-3-8B --format json

    \b
    With --index, SUSPECT is compared with each model that `attrib index add`
    recorded (config, tokenizer hashes, weight map, LFS pointers, sampled
    tensor values), no upstream files needed:
      attrib model compare suspect/ --index idx.sqlite --upstream MiniCPM-V

    Exit codes: 0 independent (or sharing a public base only), 1 derived or
    identical, 2 usage or input error.
    """
    from ..errors import UsageError

    want = 1 if index_location else 2
    if len(paths) != want:
        raise UsageError("model compare takes A and B, or SUSPECT with --index IDX"
                         f" (got {len(paths)} path(s))")
    if upstream and not index_location:
        raise UsageError("--upstream needs --index")
    if index_location:
        if base:
            raise UsageError("--base compares tensors: it needs the upstream's files, not --index")
        _compare_with_index(paths[0], index_location, upstream, fmt)
    from ..artifacts import RENDERERS, compare_models

    report = compare_models(paths[0], paths[1], base=base, full=full, seed=seed)
    click.echo(RENDERERS[fmt](report), nl=False)
    raise click.exceptions.Exit(1 if report.is_copy else 0)


def _compare_with_index(suspect: str, location: str, upstream: str | None, fmt: str) -> None:
    import json

    from ..artifacts import RENDERERS
    from ..artifacts.indexed import compare_with_index
    from ..engine.index import open_store

    store = open_store(location)
    try:
        reports, problems = compare_with_index(suspect, store, upstream)
    finally:
        store.close()
    for where, why in problems:
        click.echo(f"problem: {where}: {why}", err=True)
    if fmt == "json":
        docs = [json.loads(RENDERERS["json"](r)) for r in reports]
        click.echo(json.dumps({"schema_version": 1, "index": store.location, "reports": docs,
                               "problems": [f"{w}: {y}" for w, y in problems]},
                              indent=2, sort_keys=True))
    else:
        click.echo("\n".join(RENDERERS["text"](r) for r in reports), nl=False)
    raise click.exceptions.Exit(1 if any(r.is_copy for r in reports) else 0)


@model.command()
@click.argument("a", type=click.Path())
@click.argument("b", type=click.Path())
@click.option("--reference", metavar="GOLD.jsonl", type=click.Path(),
              help="The right answers: without them, mistakes cannot be told.")
@click.option("--examples", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="Identical mistakes listed.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def outputs(a: str, b: str, reference: str | None, examples: int, fmt: str) -> None:
    """Say whether two models share their mistakes on the same probes.

    \b
    A, B (and GOLD) are JSON lines, one probe each: {"id": ..., "answer": ...}.
      attrib model outputs upstream.jsonl suspect.jsonl --reference gold.jsonl

    Reports agreement, error consistency (Cohen's kappa on right/wrong, after
    Geirhos et al. 2020), the identical wrong answers, and an upper bound on
    the chance of that many for models choosing wrong answers independently.

    Exit codes: 0 independent (or no reference), 1 shared mistakes (p < 0.001),
    2 usage or input error.
    """
    from ..artifacts.outputs import compare_outputs, render_outputs_json, render_outputs_text

    report = compare_outputs(a, b, reference, examples)
    render = render_outputs_json if fmt == "json" else render_outputs_text
    click.echo(render(report), nl=False)
    raise click.exceptions.Exit(1 if report.is_copy else 0)


@model.command()
@click.argument("path", type=click.Path())
@click.option("--output", "-o", metavar="FILE", help="Write it here instead of stdout.")
def fingerprint(path: str, output: str | None) -> None:
    """Write a compact fingerprint of the model under PATH, to compare against later.

    \b
    It keeps the config, the weight map's parameter names and shapes, the Git
    LFS pointers, and hashes of the tokenizer (whole and per block of 1,024
    ids), not the weights:
      attrib model fingerprint upstream/ -o upstream.model.json
      attrib model compare upstream.model.json suspect/
    """
    import json

    from ..artifacts.fingerprint import fingerprint as make
    from .common import emit

    data, problems = make(path)
    for where, why in problems:
        click.echo(f"problem: {where}: {why}", err=True)
    emit(json.dumps(data, sort_keys=True) + "\n", output)
