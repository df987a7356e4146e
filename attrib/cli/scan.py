# SPDX-License-Identifier: Apache-2.0
"""``attrib scan`` and ``attrib compare``."""
from __future__ import annotations

import click

from .common import emit, format_option, index_option, max_bytes_option, progress, ref_option


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=True))
@ref_option
@index_option
@format_option
@max_bytes_option
@click.option("--output", "-o", metavar="FILE", help="Write the report here instead of stdout.")
def scan(path: str, ref: str | None, index_location: str | None, fmt: str,
         max_file_bytes: int, output: str | None) -> None:
    """Find code in PATH that derives from the indexed upstreams.

    PATH is a directory or file; with --ref, a git repository read at that
    ref (no checkout needed). Each match shows the suspect lines beside the
    upstream lines and the identifier renames that explain the disguise.

    \b
    Examples:
      attrib scan examples/llama3v
      attrib scan . --ref HEAD~3 --format json > report.json
      attrib scan suspicious/ --index redis://localhost:6379/0

    Exit status: 0 nothing found, 1 matches found, 2 usage or input error.
    """
    from ..formats import render
    from ..index import open_store
    from ..scan import scan_source
    from ..sources import Limits, open_source

    store = open_store(index_location)
    try:
        source = open_source(path, ref, Limits(max_file_bytes=max_file_bytes))
        with progress("Scanning", len(source.files)) as bar:
            report = scan_source(store, source, progress=bar)
    finally:
        store.close()
    emit(render(report, fmt), output)
    raise click.exceptions.Exit(1 if report.matches else 0)


@click.command()
@click.argument("suspect", type=click.Path(exists=True))
@click.argument("upstream", type=click.Path(exists=True))
@click.option("--ref", "suspect_ref", metavar="REF", help="Read SUSPECT at this git ref.")
@click.option("--upstream-ref", metavar="REF", help="Read UPSTREAM at this git ref.")
@click.option("--name", metavar="NAME", help="Name to give UPSTREAM in the report "
                                             "(default: its directory name).")
@format_option
@max_bytes_option
@click.option("--output", "-o", metavar="FILE", help="Write the report here instead of stdout.")
def compare(suspect: str, upstream: str, suspect_ref: str | None, upstream_ref: str | None,
            name: str | None, fmt: str, max_file_bytes: int, output: str | None) -> None:
    """Find code in SUSPECT that derives from UPSTREAM (trees or files, no index).

    \b
    Examples:
      attrib compare examples/llama3v examples/minicpmv
      attrib compare copy.py original.py --format json

    Exit status: 0 nothing found, 1 matches found, 2 usage or input error.
    """
    from ..formats import render
    from ..scan import compare_sources
    from ..sources import Limits, open_source

    limits = Limits(max_file_bytes=max_file_bytes)
    report = compare_sources(open_source(suspect, suspect_ref, limits),
                             open_source(upstream, upstream_ref, limits), name)
    emit(render(report, fmt), output)
    raise click.exceptions.Exit(1 if report.matches else 0)
