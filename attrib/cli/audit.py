# SPDX-License-Identifier: Apache-2.0
"""``attrib audit``: an evidence report on a whole repository, for a reviewer."""
from __future__ import annotations

import sys

import click

from .common import (
    default_output,
    emit,
    exit_code,
    full_option,
    index_option,
    max_bytes_option,
    progress,
    rules_option,
)


@click.command()
@click.argument("source")
@click.option("--ref", metavar="REF", help="Audit this git ref (default for a URL: HEAD).")
@index_option
@click.option("--against", "against", multiple=True, metavar="NAME|PATH|URL",
              help="Report only on this upstream: an indexed name, or a path or git URL "
                   "indexed for this audit alone (no --index needed); repeatable.")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "text"]), default="html",
              show_default=True, help="html: one self-contained evidence page; json for "
                                      "machines; text for a terminal.")
@max_bytes_option
@click.option("--max-files", type=click.IntRange(1), default=50_000, show_default=True,
              help="Read at most this many files of the audited tree.")
@rules_option
@click.option("--output", "-o", metavar="FILE",
              help="Write the report here (- for stdout). Default: stdout, except the HTML "
                   "page on a terminal, which goes to ./attrib-audit-NAME.html.")
@full_option
@click.option("--outputs", "answers", nargs=2, metavar="A.jsonl B.jsonl", type=click.Path(),
              help="Two models' answers to the same probes (upstream's, then the audited "
                   "model's): their shared mistakes go on the page.")
@click.option("--reference", metavar="GOLD.jsonl", type=click.Path(),
              help="The right answers for --outputs.")
def audit(source: str, ref: str | None, index_location: str | None, against: tuple[str, ...],
          fmt: str, max_file_bytes: int, max_files: int, rule_files: tuple[str, ...],
          output: str | None, full: bool = False, answers: tuple[str, str] | None = None,
          reference: str | None = None) -> None:
    """Audit SOURCE, a local path or a git URL, for code copied from indexed upstreams.

    The audited repository is treated as hostile: a URL is cloned bare (no
    hooks, no checkout, no submodules, no LFS, https/ssh/git/file only), its
    code is never run, its symlinks never followed, and its own .attrib.yaml
    and rule files are ignored: the shipped rules and your --rules decide.

    The HTML report holds, per upstream, the verdict, the licence, the lines
    copied and who had the code first; a map of derived files; every match
    side by side with the renamed identifiers marked; the missing notices and
    their fix; the model artifacts when compared; and what was skipped.

    \b
    Examples:
      attrib audit examples/llama3v --index example.sqlite -o audit.html
      attrib audit https://github.com/someone/model --against MiniCPM-V -o audit.html
      attrib audit suspicious/ --ref v1.0 --format json > audit.json

    On a terminal the HTML page is written to ./attrib-audit-NAME.html (its
    path and the verdict are printed); piped, it goes to stdout.

    Exit status: 0 clean (or every copy credited), 1 an obligation of severity
    error fails, 2 usage or input error (an unreachable URL, a refused transport).
    """
    from ..audit import audit as run_audit
    from ..audit import audit_dict, audit_section, summary
    from ..formats import render
    from ..engine.sources import Limits

    # Never the audited repository's declared upstreams (index_for): it is not trusted.
    store, against = _store(index_location, against, max_file_bytes)
    try:
        result = run_audit(source, store, ref, against, rule_files,
                           Limits(max_file_bytes=max_file_bytes, max_files=max_files),
                           progress=progress)
    finally:
        store.close()
    if answers:
        result = _with_outputs(result, answers, reference)
    if fmt == "json":
        import json

        text = json.dumps(audit_dict(result), indent=2) + "\n"
    elif fmt == "html":
        text = render(result.report, "html", audit=audit_section(result))
    else:
        text = render(result.report, "text", audit=audit_section(result), full=full)
    chosen = output is None and fmt == "html" and sys.stdout.isatty()
    if chosen:
        output = default_output(source)  # 120 KB of markup is no use on a screen (issue 12)
    emit(text, output)
    if output and output != "-":
        for row in summary(result.report):
            click.echo(f"{row['upstream']} ({row['license'] or 'licence unknown'}): "
                       f"{row['verdict'].upper()}, {row['copied_lines']} lines copied in "
                       f"{row['files']} files", err=True)
        click.echo(f"wrote the {fmt.upper()} report to {output}"
                   + (" (-o FILE to choose, -o - for stdout)" if chosen else ""), err=True)
    raise click.exceptions.Exit(exit_code(result.report, False))


def _with_outputs(result, answers: tuple[str, str], reference: str | None):
    """The audit with the shared-mistakes comparison in its model-artifact section."""
    import dataclasses

    from ..artifacts.outputs import compare_outputs

    report = compare_outputs(answers[0], answers[1], reference)
    return dataclasses.replace(result, artifacts={**result.artifacts,
                                                  "outputs": dataclasses.asdict(report)})


def _store(index_location: str | None, against: tuple[str, ...], max_file_bytes: int):
    """The index to audit against: the given one, or the --against paths and URLs, indexed now.

    --against values that are paths or URLs are indexed into a throw-away
    in-memory index (with the same safe clone as `attrib index add`); they
    cannot be mixed with names of an on-disk index.
    """
    from pathlib import Path

    from ..errors import UsageError
    from ..engine.index import open_store
    from ..upstreams import is_url

    places = [a for a in against if is_url(a) or Path(a).exists()]
    if not places:
        return open_store(index_location), against
    if len(places) != len(against):
        raise UsageError("--against takes either indexed names or paths/URLs, not both")
    from ..engine.index.sqlite import SqliteStore
    from .index import _add_many

    store = SqliteStore.open(":memory:", create=True)
    infos = _add_many(store, tuple(places), None, None, None, None, max_file_bytes)
    return store, tuple(info.name for info in infos)
