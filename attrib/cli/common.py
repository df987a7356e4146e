# SPDX-License-Identifier: Apache-2.0
"""Options and helpers the subcommands share."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

import click

index_option = click.option(
    "--index", "index_location", metavar="IDX", envvar="ATTRIB_INDEX",
    help="Index store: a file path (SQLite) or redis://host:port/db. "
         "Default: $ATTRIB_INDEX, else ~/.cache/attrib/index.sqlite.")
FORMATS = ["text", "json", "sarif", "github", "markdown"]
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="Output format: text for a terminal, json for machines, sarif for code scanning, "
         "github for workflow annotations, markdown for a job summary.")
ref_option = click.option("--ref", metavar="REF",
                          help="Read this git ref's tree from git objects instead of the files.")
max_bytes_option = click.option(
    "--max-file-size", "max_file_bytes", type=click.IntRange(1), default=1_000_000,
    show_default=True, help="Skip files larger than this many bytes.")


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty() or total < 20:
        yield lambda n: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def emit(text: str, output: str | None) -> None:
    if output:
        from pathlib import Path

        tmp = Path(output + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    else:
        click.echo(text, nl=False)


rules_option = click.option(
    "--rules", "rule_files", multiple=True, metavar="FILE",
    help="Extra rule file (YAML), on top of the shipped rules and the project's own; repeatable.")
no_rules_option = click.option(
    "--no-rules", is_flag=True,
    help="Only find matches: no licence obligations checked (exit 1 on any match).")


def policy(root: str, rule_files: tuple[str, ...]):
    """The project's config (``.attrib.yaml`` or ``[tool.attrib]``) and the rules it uses."""
    from pathlib import Path

    from ..config import load_config
    from ..rules import load_rules

    base = Path(root) if Path(root).is_dir() else Path(root).parent
    config = load_config(base)
    rules = load_rules([*config.rule_files(), *rule_files])
    config.check_rules(rules)  # a resolution naming no rule would silently never apply
    return rules, config


def exit_code(report, no_rules: bool) -> int:
    """1 when an error-severity obligation fails (or, with --no-rules, on any match)."""
    if no_rules:
        return 1 if report.matches else 0
    return 1 if report.failed else 0


def index_for(index_location: str | None, root: str) -> str | None:
    """--index if given; else the project's declared upstreams, built once into the cache."""
    if index_location:
        return index_location
    from pathlib import Path

    from ..config import load_config

    base = Path(root) if Path(root).is_dir() else Path(root).parent
    config = load_config(base)
    if config.upstreams:
        try:
            from ..project_index import ensure_project_index
        except ImportError:  # pragma: no cover - the project index arrives with its module
            return None
        return ensure_project_index(config,
                                    progress=lambda m: click.echo(f"attrib: {m}", err=True))
    return None


output_option = click.option("--output", "-o", metavar="FILE",
                             help="Write the report here instead of stdout.")


def report_options(command):
    """The options every reporting command shares: format, size bound, rules, output."""
    for option in reversed((format_option, max_bytes_option, rules_option, no_rules_option,
                            output_option)):
        command = option(command)
    return command
