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
              help="Also give each copied file the upstream's copyright lines "
                   "(SPDX-FileCopyrightText), one SPDX-License-Identifier expression and a "
                   "'Modified from' line (this edits those files).")
@config_option
@outside_option
def notice(path: str, index_location: str | None, max_file_bytes: int, output: str | None,
           fix_headers: bool, config_file: str | None, allow_outside: bool) -> int:
    """Write the notices that make the copies in PATH comply, in one step.

    For every indexed upstream that PATH holds code from: its name and public
    URL (credit; never a local path), its licence and the licence text, its
    NOTICE content, the copyright lines of the copied files, and which files
    derive from which. The licence texts also go to LICENSES/<SPDX-ID>.txt, where
    REUSE looks (an existing one is kept). Running it again changes nothing.
    Run `attrib scan PATH` again afterwards to see the verdicts. Every file is
    written beside its target and renamed into place; a target that is a
    symbolic link, or lies outside PATH, is refused. Exit status 2 when a file
    could not be fixed (one line each), after everything else is written.

    \b
    Examples:
      attrib notice .                          # THIRD_PARTY_NOTICES.md, LICENSES/<id>.txt
      attrib notice . --fix-headers            # and the copied files' REUSE headers
      attrib notice examples/llama3v -o -      # print it instead
    """
    from pathlib import Path

    from ..engine.index import open_store
    from ..engine.sources import Limits, open_source
    from ..notices import DEFAULT_NAME, render
    from ..scan import scan_source

    store = open_store(index_for(index_location, ".", config_file, allow_outside))
    try:
        source = open_source(path, None, Limits(max_file_bytes=max_file_bytes))
        report = scan_source(store, source)
    finally:
        store.close()
    report = _with_own_license(report, source, config_file)
    if not report.matches:
        click.echo("no code from the indexed upstreams found: nothing to write", err=True)
        return 0
    target = output or str(Path(path) / DEFAULT_NAME)
    if target == "-":
        click.echo(render(report), nl=False)
    else:
        _write_notices(path, target, output, render(report),
                       sorted({m.upstream for m in report.matches}))
    unfixed = _fix_headers(Path(path), report) if fix_headers else 0
    if target != "-":
        unfixed += _write_licenses(Path(path), report, fix_headers)
    return 2 if unfixed else 0


def _with_own_license(report, source, config_file: str | None):
    """The project's licence (its config's, else its tree's): a headerless copy is under it too."""
    from dataclasses import replace

    from ..licenses.tree import detect_source
    from .common import project_config

    own = project_config(config_file, ".").license or detect_source(source)
    return replace(report, project_license=own)


def _write_notices(path: str, target: str, output: str | None, text: str,
                   names: list[str]) -> None:
    from pathlib import Path

    from ..safewrite import write_atomic

    data = text.encode("utf-8", "surrogateescape")
    old = Path(target)
    if not old.is_symlink() and old.is_file() and old.read_bytes() == data:
        click.echo(f"{target} is up to date ({', '.join(names)})", err=True)
        return
    # the default target is in PATH, a tree that may have planted a symlink there
    write_atomic(target, data, root=None if output else path, refuse_symlink=not output)
    click.echo(f"wrote {target} ({', '.join(names)})", err=True)


def _fix_headers(root, report) -> int:
    from ..fixheaders import fix_headers

    changed, refused = fix_headers(root, report)
    for rel in changed:
        click.echo(f"header restored: {rel}", err=True)
    for rel, why in refused:
        click.echo(f"attrib: error: header not restored: {rel}: {why}", err=True)
    return len(refused)


def _write_licenses(root, report, fix_headers: bool) -> int:
    """LICENSES/<id>.txt for every licence the notices and the fixed headers name (REUSE 3.3)."""
    from ..fixheaders import header_licenses
    from ..notices import (license_ids, notice_licenses, own_license_texts,
                           write_license_texts)

    expressions = notice_licenses(report)
    if fix_headers:
        expressions += header_licenses(root, sorted({m.path for m in report.matches}))
    written, problems = write_license_texts(root, license_ids(expressions),
                                            own_license_texts(root))
    for rel in written:
        click.echo(f"licence text written: {rel}", err=True)
    for line in problems:
        click.echo(f"attrib: error: {line}", err=True)
    return len(problems)
