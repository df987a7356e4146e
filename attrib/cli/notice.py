# SPDX-License-Identifier: Apache-2.0
"""``attrib notice``: write the THIRD_PARTY_NOTICES file the matched upstreams' licences ask for."""
from __future__ import annotations

import click

from .common import config_option, index_for, index_option, max_bytes_option, outside_option


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False), default=".")
@index_option
@max_bytes_option
@click.option("--output", "-o", metavar="FILE",
              help="Where to write (default: PATH/THIRD_PARTY_NOTICES.md; '-' for stdout).")
@click.option("--fix-headers", is_flag=True,
              help="Also put the upstream copyright lines and a 'Modified from' line atop each "
                   "copied file (this edits those files).")
@config_option
@outside_option
def notice(path: str, index_location: str | None, max_file_bytes: int, output: str | None,
           fix_headers: bool, config_file: str | None, allow_outside: bool) -> None:
    """Write the notices that make the copies in PATH comply, in one step.

    For every indexed upstream that PATH holds code from: its name and URL
    (credit), its licence and the licence text, its NOTICE content, the
    copyright lines of the copied files, and which files derive from which.
    Run `attrib scan PATH` again afterwards to see the verdicts. Every file is
    written beside its target and renamed into place; a target that is a
    symbolic link, or lies outside PATH, is refused.

    \b
    Examples:
      attrib notice .                          # writes ./THIRD_PARTY_NOTICES.md
      attrib notice . --fix-headers            # and restores the copied files' headers
      attrib notice examples/llama3v -o -      # print it instead
    """
    from pathlib import Path

    from ..engine.index import open_store
    from ..notices import DEFAULT_NAME, fix_headers as restore, render
    from ..scan import scan_source
    from ..safewrite import write_atomic
    from ..engine.sources import Limits, open_source

    store = open_store(index_for(index_location, ".", config_file, allow_outside))
    try:
        report = scan_source(store, open_source(path, None, Limits(max_file_bytes=max_file_bytes)))
    finally:
        store.close()
    if not report.matches:
        click.echo("no code from the indexed upstreams found: nothing to write", err=True)
        return
    target = output or str(Path(path) / DEFAULT_NAME)
    if target == "-":
        click.echo(render(report), nl=False)
    else:  # the default target is in PATH, a tree that may have planted a symlink there
        write_atomic(target, render(report).encode("utf-8", "surrogateescape"),
                     root=None if output else path, refuse_symlink=not output)
        names = ", ".join(sorted({m.upstream for m in report.matches}))
        click.echo(f"wrote {target} ({names})", err=True)
    if fix_headers:
        changed, refused = restore(Path(path), report)
        for rel in changed:
            click.echo(f"header restored: {rel}", err=True)
        for rel, why in refused:
            click.echo(f"header not restored: {rel}: {why}", err=True)
