# SPDX-License-Identifier: Apache-2.0
"""``attrib check``: what a commit (--staged) or a pull request (--diff) adds."""
from __future__ import annotations

import click

from .common import (emit, exit_code, index_for, index_option, outside_option, policy,
                     report_options)


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False), default=".")
@click.option("--staged", is_flag=True, help="Check the blobs staged in git's index (a commit).")
@click.option("--diff", "diff_spec", metavar="BASE[..HEAD]",
              help="Check what HEAD (or HEAD of the range) adds since its merge base with BASE.")
@index_option
@report_options
@outside_option
@click.option("--sarif", "sarif_file", metavar="FILE",
              help="Also write SARIF 2.1.0 here (for code scanning upload).")
@click.option("--summary", "summary_file", metavar="FILE",
              help="Also append a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).")
def check(path: str, staged: bool, diff_spec: str | None, index_location: str | None, fmt: str,
          max_file_bytes: int, rule_files: tuple[str, ...], no_rules: bool,
          config_file: str | None, output: str | None, allow_outside: bool,
          sarif_file: str | None, summary_file: str | None) -> None:
    """Check only the lines a commit or a pull request adds, read from git objects.

    Code that was already in the repository is not flagged again; the rules
    look at the licence, NOTICE and credit files as the commit (or HEAD) has
    them. Without --index, the upstreams the project's .attrib.yaml declares
    are indexed once into the user cache and reused.

    \b
    Examples:
      attrib check --staged                      # in a pre-commit hook
      attrib check --diff origin/main            # a pull request, locally
      attrib check --diff "$BASE..$HEAD" --format github --sarif attrib.sarif \\
          --summary "$GITHUB_STEP_SUMMARY"        # in a GitHub Action

    Exit status: 0 clean (or every copy credited), 1 an obligation of severity
    error fails (with --no-rules: any match), 2 usage or input error.
    """
    from ..blobcache import parse_cached
    from ..errors import UsageError
    from ..formats import render
    from ..gitcheck import diff, only_added, staged as staged_change
    from ..index import open_store
    from ..scan import check_rules, scan_source
    from ..sources import Limits

    if staged == bool(diff_spec):
        raise UsageError("give exactly one of --staged or --diff BASE[..HEAD]")
    limits = Limits(max_file_bytes=max_file_bytes)
    change = staged_change(path, limits) if staged else diff(path, diff_spec or "", limits)
    root = change.source.root
    checks = None if no_rules else policy(root, rule_files, config_file)
    store = open_store(index_for(index_location, root, config_file, allow_outside))
    fresh = []

    def parse(source):
        parsed, count = parse_cached(source)
        fresh.append(count)
        return parsed

    try:
        report = scan_source(store, change.source, parser=parse, focus=change.added)
    finally:
        store.close()
    report.stats["files_parsed"] = float(sum(fresh))  # the rest came from the blob cache
    report = only_added(report, change.added)
    if checks:
        report = check_rules(report, change.context, *checks)
    emit(render(report, fmt), output)
    if sarif_file:
        emit(render(report, "sarif"), sarif_file)
    if summary_file:  # appended, not replaced: other steps write the same summary file
        from ..errors import OutputError

        try:
            with open(summary_file, "a", encoding="utf-8") as summary:
                summary.write(render(report, "markdown"))
        except OSError as exc:
            raise OutputError(f"{summary_file[:160]}: cannot write ({exc.strerror})") from None
    raise click.exceptions.Exit(exit_code(report, no_rules))
