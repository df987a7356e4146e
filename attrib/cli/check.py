# SPDX-License-Identifier: Apache-2.0
"""``attrib check``: what a commit (--staged) or a pull request (--diff) adds."""
from __future__ import annotations

import click

from .common import (emit, exit_code, index_option, outside_option, policy, project_config,
                     report_options)

NOTHING = ("attrib: nothing to check against: no index and no `upstreams:` in .attrib.yaml. "
           "Declare the projects you build on under `upstreams:` in .attrib.yaml, or pass "
           "an index (`args: [--index, FILE]` in .pre-commit-config.yaml, `--index FILE` here)")


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
    from ..engine.blobcache import parse_cached
    from ..errors import UsageError
    from ..formats import render
    from ..gitcheck import diff, only_added, staged as staged_change
    from ..engine.index import open_store
    from ..model import Report
    from ..scan import check_rules, scan_source
    from ..engine.sources import Limits

    if staged == bool(diff_spec):
        raise UsageError("give exactly one of --staged or --diff BASE[..HEAD]")
    limits = Limits(max_file_bytes=max_file_bytes)
    change = staged_change(path, limits) if staged else diff(path, diff_spec or "", limits)
    root = change.source.root
    checks = None if no_rules else policy(root, rule_files, config_file)
    location = _index(index_location, root, config_file, allow_outside)
    if location is None:  # a hook must not block every commit of a project not set up yet
        click.echo(NOTHING, err=True)
        _side_outputs(Report(root, (), (), ()), sarif_file, summary_file, NOTHING)
        raise click.exceptions.Exit(0)
    store = open_store(location)
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
    _side_outputs(report, sarif_file, summary_file)
    code = exit_code(report, no_rules)
    if code and staged:
        click.echo(_refusal(index_location), err=True)
    raise click.exceptions.Exit(code)


def _refusal(index_location: str | None) -> str:
    """What a refused commit is told: the one command that fixes most of it, and to stage it."""
    index = f" --index {index_location}" if index_location else ""
    return ("attrib: commit refused: copied code lacks what its licence asks for. "
            f"Fix it in one command: `attrib notice .{index} --fix-headers` (writes "
            "THIRD_PARTY_NOTICES.md, LICENSES/ and the copied files' headers), then stage the "
            "result (`git add -A`) and commit again.")


def _side_outputs(report, sarif_file: str | None, summary_file: str | None,
                  note: str | None = None) -> None:
    """SARIF and the job summary: written on every path, so an upload step finds its file."""
    from ..formats import render

    if sarif_file:
        emit(render(report, "sarif"), sarif_file)
    if summary_file:  # appended, not replaced: other steps write the same summary file
        from ..errors import OutputError

        text = render(report, "markdown")
        if note:
            text = text.rstrip("\n") + "\n\n" + note.removeprefix("attrib: ") + ".\n"
        try:
            with open(summary_file, "a", encoding="utf-8") as summary:
                summary.write(text)
        except OSError as exc:
            raise OutputError(f"{summary_file[:160]}: cannot write ({exc.strerror})") from None


def _index(index_location: str | None, root: str, config_file: str | None,
           allow_outside: bool) -> str | None:
    """--index; else the declared upstreams' index; else the default index if it exists.

    A declared upstream that cannot be reached (offline, a host down) falls back
    to the cached index of the same upstreams, with a warning: a commit is not
    refused because the network is.
    """
    if index_location:
        return index_location
    config = project_config(config_file, root)
    if not config.upstreams:
        from pathlib import Path

        from ..engine.index import default_location

        default = default_location()
        return default if "://" in default or Path(default).exists() else None
    from ..errors import SourceError
    from ..project_index import ensure_project_index

    def say(message: str) -> None:
        click.echo(f"attrib: {message}", err=True)

    try:
        return ensure_project_index(config, allow_outside=allow_outside, progress=say)
    except SourceError as exc:
        try:
            found = ensure_project_index(config, allow_outside=allow_outside, progress=say,
                                         offline=True)
        except SourceError:
            raise exc from None
        say(f"warning: {exc}; checking against the cached index of the declared upstreams")
        return found
