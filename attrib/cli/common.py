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
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output format.")
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
