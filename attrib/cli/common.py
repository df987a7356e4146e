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
    """``text`` to stdout, or atomically to the file ``output`` (one line if it cannot be).

    ``-o -`` is stdout, as for ``attrib notice``.
    """
    if output and output != "-":
        from ..safewrite import write_atomic

        write_atomic(output, text.encode("utf-8", "surrogateescape"))
    else:
        click.echo(text, nl=False)


def default_output(source: str) -> str:
    """``attrib-audit-NAME.html`` in the current directory, NAME from SOURCE's last part."""
    import re

    name = re.sub(r"\.git$", "", source.rstrip("/\\").rsplit("/", 1)[-1]) or "report"
    return f"attrib-audit-{re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('.') or 'report'}.html"


rules_option = click.option(
    "--rules", "rule_files", multiple=True, metavar="FILE",
    help="Extra rule file (YAML), on top of the shipped rules and the project's own; repeatable.")
no_rules_option = click.option(
    "--no-rules", is_flag=True,
    help="Only find matches: no licence obligations checked (exit 1 on any match).")


config_option = click.option(
    "--config", "config_file", metavar="FILE", type=click.Path(dir_okay=False),
    help="Project configuration (.attrib.yaml or a pyproject.toml with [tool.attrib]). "
         "Default: the first found from the current directory up to the git root; "
         "a scanned PATH's own is never read.")
outside_option = click.option(
    "--allow-outside-paths", "allow_outside", is_flag=True, envvar="ATTRIB_ALLOW_OUTSIDE_PATHS",
    help="Index declared upstream paths that lie outside the project (a sibling checkout); "
         "refused by default, so a repository's config cannot make attrib read elsewhere.")


def project_config(config_file: str | None = None, start: str = "."):
    """``--config FILE``, else the config found from ``start`` (the cwd) up to the git root."""
    from ..config import config_from_file, find_config

    return config_from_file(config_file) if config_file else find_config(start)


def policy(start: str, rule_files: tuple[str, ...], config_file: str | None = None):
    """The project's config and the rules it uses.

    ``start``: where the search for the project's config begins (the current
    directory; for ``check``, the repository being committed to).
    """
    from ..rules import load_rules

    config = project_config(config_file, start)
    rules = load_rules([*config.rule_files(), *rule_files])
    config.check_rules(rules)  # a resolution naming no rule would silently never apply
    return rules, config


def exit_code(report, no_rules: bool) -> int:
    """1 when an error-severity obligation fails (or, with --no-rules, on any match)."""
    if no_rules:
        return 1 if report.matches else 0
    return 1 if report.failed else 0


def index_for(index_location: str | None, start: str, config_file: str | None = None,
              allow_outside: bool = False) -> str | None:
    """--index if given; else the project's declared upstreams, built once into the cache."""
    if index_location:
        return index_location
    config = project_config(config_file, start)
    if config.upstreams:
        from ..project_index import ensure_project_index

        return ensure_project_index(config, allow_outside=allow_outside,
                                    progress=lambda m: click.echo(f"attrib: {m}", err=True))
    return None


output_option = click.option("--output", "-o", metavar="FILE",
                             help="Write the report here instead of stdout (- for stdout).")
full_option = click.option(
    "--full", is_flag=True,
    help="Text format: every match side by side with all its quoted lines and renames "
         "(by default the largest match of each file, a few rows each).")


def text_options(fmt: str, full: bool) -> dict:
    """The formatter's keyword arguments: --full only means something to the text report."""
    return {"full": full} if fmt == "text" else {}


def report_options(command):
    """The options every reporting command shares: format, size bound, rules, config, output."""
    for option in reversed((format_option, max_bytes_option, rules_option, no_rules_option,
                            config_option, output_option)):
        command = option(command)
    return command
