# SPDX-License-Identifier: Apache-2.0
"""GitHub Actions workflow commands: one annotation per failing obligation, at its scope.

GitHub shows about ten annotations of each kind per step, so an obligation is
said once where it belongs (attrib/formats/scope.py), not at every match:

* repository-level (``license-known``, ``license-text``, ``notice``, ``credit``,
  ``compatible``, ``authorship``): one annotation without a file or line,
  ``::error title=RULE::MESSAGE``, naming the copied files;
* file-level (``headers``, ``change-notice``): one per copied file, on its first
  copied span, ``::error file=PATH,line=START,endLine=END,title=RULE::MESSAGE``,
  so it lands in the pull request's diff;
* span-level: none (matches are not annotated; see ``--format sarif``).

The most important come first: errors before warnings, repository-level before
file-level.  Paths are relative to the repository root (``Report.root_prefix``).
Only failing obligations are annotated (resolved and passing ones are not news);
a summary, if any, is the caller's business (``--format markdown``).
"""
from __future__ import annotations

from ..model import Finding, Report
from .scope import REPOSITORY, by_file, importance, scope

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
MAX_NAMED = 10  # files a repository-level annotation names before "and N more"


def render(report: Report) -> str:
    failing = sorted((f for f in report.findings if f.status == "fail"), key=importance)
    return "".join(line + "\n" for f in failing for line in _lines(report, f))


def _lines(report: Report, f: Finding) -> list[str]:
    command = COMMANDS.get(f.severity, "warning")
    files = by_file(f)
    if scope(f) == REPOSITORY or not files:
        names = [report.repo_path(p) for p in files]
        shown = ", ".join(names[:MAX_NAMED]) + (
            f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")
        where = f"copied files: {shown}; " if shown else ""
        return [_command(command, {"title": f"{f.rule} ({f.upstream})"}, _message(f, where))]
    out = []
    for path, spans in files.items():
        props = {"file": report.repo_path(path), "title": f.rule}
        where = ""
        if spans:
            _, start, end, upath, ustart, uend = spans[0]
            props = {"file": props["file"], "line": str(start), "endLine": str(end),
                     "title": f.rule}
            more = f" and {len(spans) - 1} more span(s)" if len(spans) > 1 else ""
            where = f"copied from {f.upstream}:{upath}:{ustart}-{uend}{more}; "
        out.append(_command(command, props, _message(f, where)))
    return out


def _message(f: Finding, where: str) -> str:
    text = f"{f.message} ({where}{f.citation})"
    return text + (f"\nFix: {f.fix}" if f.fix else "")


def _command(name: str, props: dict[str, str], message: str) -> str:
    params = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::{name} {params}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """As @actions/core's ``escapeData`` (toolkit, packages/core/src/command.ts)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """As @actions/core's ``escapeProperty``: also ``:`` and ``,``, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
