# SPDX-License-Identifier: Apache-2.0
"""GitHub Actions workflow commands: one annotation per failing obligation per matched span.

``::error file=PATH,line=START,endLine=END,title=RULE::MESSAGE`` puts the message
on the copied lines of a pull request's diff.  Only failing obligations are
annotated (resolved and passing ones are not news); a summary, if any, is the
caller's business (see ``--format markdown`` for a job summary).
"""
from __future__ import annotations

from ..model import Finding, Report

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def render(report: Report) -> str:
    """One command per failing obligation per span, round-robin over the obligations.

    GitHub shows only 10 annotations of each kind per step (actions/toolkit,
    docs/problem-matchers.md), so every failing obligation's first span comes
    first, then every second span, and so on: the first ten name ten obligations.
    """
    lines = sorted(line for f in report.findings if f.status == "fail" for line in _lines(f))
    return "".join(text + "\n" for _, text in lines)


def _lines(f: Finding) -> list[tuple[tuple, str]]:
    """(sort key, command) for each span of ``f``; a file-level one when it has no span."""
    command = COMMANDS.get(f.severity, "warning")
    out = []
    for rank, (path, start, end, upath, ustart, uend) in enumerate(sorted(f.spans)):
        where = f"{f.upstream}:{upath}:{ustart}-{uend}"
        props = {"file": path, "line": str(start), "endLine": str(end), "title": f.rule}
        line = _command(command, props, _message(f, where))
        out.append(((rank, path, start, f.rule, where), line))
    if not f.spans:
        for path in sorted(f.paths) or [""]:
            props = {"file": path, "title": f.rule} if path else {"title": f.rule}
            out.append(((0, path, 0, f.rule, ""), _command(command, props, _message(f, ""))))
    return out


def _message(f: Finding, where: str) -> str:
    origin = f"copied from {where}; " if where else ""
    text = f"{f.message} ({origin}{f.citation})"
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
