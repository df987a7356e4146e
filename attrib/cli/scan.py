# SPDX-License-Identifier: Apache-2.0
"""``attrib scan`` and ``attrib compare``."""
from __future__ import annotations

import click

from .common import (emit, exit_code, full_option, index_for, index_option, outside_option,
                     policy, progress, ref_option, report_options, text_options)


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=True))
@ref_option
@index_option
@report_options
@outside_option
@full_option
def scan(path: str, ref: str | None, index_location: str | None, fmt: str,
         max_file_bytes: int, rule_files: tuple[str, ...], no_rules: bool,
         config_file: str | None, output: str | None, allow_outside: bool,
         full: bool = False) -> None:
    """Find code in PATH that derives from the indexed upstreams.

    PATH is a directory or file; with --ref, a git repository read at that
    ref (no checkout needed). Each match shows the suspect lines beside the
    upstream lines and the identifier renames that explain the disguise.

    \b
    Examples:
      attrib scan examples/llama3v
      attrib scan examples/llama3v --full | less    # every match, every line
      attrib scan . --ref HEAD~3 --format json > report.json
      attrib scan suspicious/ --index redis://localhost:6379/0

    The text report opens with the verdict for each upstream; --full shows
    every match side by side with all its quoted lines.

    Exit status: 0 clean (or every copy credited), 1 an obligation of severity
    error fails (with --no-rules: any match), 2 usage or input error.
    """
    from pathlib import Path

    from ..formats import render
    from ..engine.index import open_store
    from ..scan import check_rules, scan_source
    from ..engine.sources import Limits, open_source, with_history

    checks = None if no_rules else policy(".", rule_files, config_file)
    store = open_store(index_for(index_location, ".", config_file, allow_outside))
    try:
        source = open_source(path, ref, Limits(max_file_bytes=max_file_bytes))
        if ref is None and Path(path).is_dir():
            source = with_history(source, Path(path))
        with progress("Scanning", len(source.files)) as bar:
            report = scan_source(store, source, progress=bar)
    finally:
        store.close()
    if checks:
        report = check_rules(report, source, *checks)
    report = with_root_prefix(report, path, ref)
    emit(render(report, fmt, **text_options(fmt, full)), output)
    raise click.exceptions.Exit(exit_code(report, no_rules))


def with_root_prefix(report, path: str, ref: str | None = None):
    """``report`` naming where PATH lies in the repository the user runs in (issue 12).

    The repository is the git root found from the current directory, else the
    current directory; SARIF and workflow commands name files from there, as
    GitHub does.  A PATH outside it keeps its own relative paths.
    """
    import os
    from dataclasses import replace
    from pathlib import Path

    from ..config import git_root

    here = git_root(".") or Path(os.path.abspath("."))
    p = Path(os.path.abspath(path))
    tree = (git_root(p) or p) if ref is not None else (p.parent if p.is_file() else p)
    try:
        prefix = tree.relative_to(here).as_posix()
    except ValueError:
        return report
    return replace(report, root_prefix="" if prefix == "." else prefix)


@click.command()
@click.argument("suspect", type=click.Path(exists=True))
@click.argument("upstream", type=click.Path(exists=True))
@click.option("--ref", "suspect_ref", metavar="REF", help="Read SUSPECT at this git ref.")
@click.option("--upstream-ref", metavar="REF", help="Read UPSTREAM at this git ref.")
@click.option("--name", metavar="NAME", help="Name to give UPSTREAM in the report "
                                             "(default: its directory name).")
@report_options
@full_option
def compare(suspect: str, upstream: str, suspect_ref: str | None, upstream_ref: str | None,
            name: str | None, fmt: str, max_file_bytes: int, rule_files: tuple[str, ...],
            no_rules: bool, config_file: str | None, output: str | None,
            full: bool = False) -> None:
    """Find code in SUSPECT that derives from UPSTREAM (trees or files, no index).

    \b
    Examples:
      attrib compare examples/llama3v examples/minicpmv
      attrib compare copy.py original.py --format json

    Exit status: 0 clean (or every copy credited), 1 an obligation of severity
    error fails (with --no-rules: any match), 2 usage or input error.
    """
    from ..formats import render
    from ..scan import check_rules, compare_sources
    from ..engine.sources import Limits, open_source

    checks = None if no_rules else policy(".", rule_files, config_file)  # SUSPECT is data
    limits = Limits(max_file_bytes=max_file_bytes)
    source = open_source(suspect, suspect_ref, limits)
    report = compare_sources(source, open_source(upstream, upstream_ref, limits), name)
    if checks:
        report = check_rules(report, source, *checks)
    report = with_root_prefix(report, suspect, suspect_ref)
    emit(render(report, fmt, **text_options(fmt, full)), output)
    raise click.exceptions.Exit(exit_code(report, no_rules))
