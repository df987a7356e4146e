# SPDX-License-Identifier: Apache-2.0
"""Markdown report, for a CI job summary (``>> $GITHUB_STEP_SUMMARY``) or a PR comment.

A verdict per upstream, then each failing obligation with the licence section it
comes from, the copied lines it concerns and the fix, then every match.  GitHub
caps a step summary at 1 MiB, so the matches table stops at ``MAX_MATCH_ROWS``.
"""
from __future__ import annotations

import time

import re
from collections.abc import Iterable

from ..model import Finding, Match, Report

TITLE = "## attrib: code derived from indexed upstreams"
NO_MATCHES = "No code from the indexed upstreams was found."
MAX_MATCH_ROWS = 200
MAX_RENAMES = 5


def render(report: Report) -> str:
    out = [TITLE, ""]
    if not report.matches:
        return "\n".join([*out, NO_MATCHES]) + "\n"
    out += [_headline(report), ""]
    out += _verdicts(report)
    out += _failing(report)
    out += _resolved(report)
    out += _matches(report.matches)
    return "\n".join(out).rstrip("\n") + "\n"


def _headline(report: Report) -> str:
    upstreams = sorted({m.upstream for m in report.matches})
    lines = sum(f.derived_lines for f in report.files)
    failing = [f for f in report.findings if f.status == "fail" and f.severity != "info"]
    n = len(report.matches)
    found = (f"{n} copied region{'s' * (n != 1)} ({lines} line{'s' * (lines != 1)}) "
             f"from {', '.join(upstreams)}")
    if not report.verdicts:
        return f"**{_cell(found)}.** Licence obligations were not checked."
    tail = {0: "every obligation holds", 1: "1 obligation fails"}.get(
        len(failing), f"{len(failing)} obligations fail")
    own = report.project_license or "no licence found"
    return f"**{_cell(found)}; {tail}.** This project's licence: {_cell(own)}."


def _verdicts(report: Report) -> list[str]:
    if not report.verdicts:
        return []
    out = ["### Verdicts", "",
           "| Upstream | Licence | Verdict | Lines copied | Failed obligations |",
           "| --- | --- | --- | ---: | --- |"]
    for v in sorted(report.verdicts, key=lambda v: v.upstream):
        failed = (", ".join(_code(r) for r in v.failed) or "none") + (
            f" ({_cell(v.detail)})" if v.detail else "")
        out.append(f"| {_cell(v.upstream)} | {_cell(v.license or 'unknown')} | "
                   f"**{_cell(v.verdict)}** | {v.copied_lines} | {failed} |")
    return [*out, ""]


def _failing(report: Report) -> list[str]:
    failing = sorted((f for f in report.findings if f.status == "fail"), key=_severity_order)
    if not failing:
        return []
    out = ["### Failing obligations", ""]
    for f in failing:
        out += [f"#### {_code(f.rule)} ({f.severity}), {_cell(f.upstream)}", "",
                f"- Licence: {_cell(f.citation)}",
                f"- Where: {_where(f)}",
                f"- Found: {_cell(f.message)}", ""]
        if f.fix:
            out += ["Fix:", "", *_fenced(f.fix), ""]
    return out


def _resolved(report: Report) -> list[str]:
    resolved = sorted((f for f in report.findings if f.status == "resolved"),
                      key=lambda f: (f.upstream, f.rule))
    if not resolved:
        return []
    out = ["### Resolved by the project", ""]
    out += [f"- {_code(f.rule)} ({_cell(f.upstream)}): {_cell(f.resolution or 'resolved')}"
            for f in resolved]
    return [*out, ""]


def _matches(matches: Iterable[Match]) -> list[str]:
    rows = sorted(matches, key=lambda m: (m.path, m.start_line, m.upstream, m.upstream_path))
    out = ["### Matches", "",
           "| Suspect lines | Derived from | Similarity | Clone type | Renames | Who had it first |",
           "| --- | --- | ---: | --- | --- | --- |"]
    for m in rows[:MAX_MATCH_ROWS]:
        suspect = _code(f"{m.path}:{m.start_line}-{m.end_line}")
        origin = _code(f"{m.upstream_path}:{m.upstream_start_line}-{m.upstream_end_line}")
        out.append(f"| {suspect} | {_cell(m.upstream)}: {origin} | {m.similarity:.2f} | "
                   f"{_cell(m.clone_type)} | {_renames(m)} | {_first(m)} |")
    if len(rows) > MAX_MATCH_ROWS:
        out += ["", f"{len(rows) - MAX_MATCH_ROWS} more matches: see `--format json`."]
    return out


def _first(m: Match) -> str:
    """Upstream date, then this repository's date (commit, author), as far as known."""
    def day(stamp: int | None) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(stamp)) if stamp else "?"

    here = f"here {day(m.date)}" + (f" ({_cell(m.author)})" if m.author else "")
    return f"upstream {day(m.upstream_date)}; {here}"


def _renames(m: Match) -> str:
    shown = ", ".join(f"{_code(old)} → {_code(new)}" for old, new in m.renames[:MAX_RENAMES])
    more = len(m.renames) - MAX_RENAMES
    return (shown + (f" (+{more} more)" if more > 0 else "")) or "none"


def _where(f: Finding) -> str:
    """``pool.py`` lines 5-10, 12-21: the spans grouped by file."""
    by_path: dict[str, list[str]] = {}
    for path, start, end, *_ in sorted(f.spans):
        by_path.setdefault(path, []).append(f"{start}-{end}" if end != start else str(start))
    if not by_path:
        return ", ".join(_code(p) for p in sorted(f.paths)) or "the repository"
    return "; ".join(f"{_code(p)} lines {', '.join(spans)}" for p, spans in by_path.items())


_SEVERITY = {"error": 0, "warning": 1, "info": 2}


def _severity_order(f: Finding) -> tuple:
    return (_SEVERITY.get(f.severity, 3), f.upstream, f.rule)


def _fenced(text: str) -> list[str]:
    """A code block that no run of backticks inside ``text`` can close early."""
    fence = "`" * max(3, _longest_run(text, "`") + 1)
    return [fence + "text", *text.splitlines(), fence]


def _code(text: str) -> str:
    """An inline code span, safe in a table cell (GFM: ``\\|`` stays a pipe inside code)."""
    ticks = "`" * (_longest_run(text, "`") + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    body = _inline(text).replace("|", "\\|")
    return f"{ticks}{pad}{body}{pad}{ticks}"


_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _cell(text: str) -> str:
    """Prose for one line or table cell: markup characters (and ``|``) shown as themselves."""
    return _SPECIAL.sub(r"\\\1", _inline(text))


def _inline(text: str) -> str:
    return " ".join(text.split())


def _longest_run(text: str, char: str) -> int:
    return max((len(run) for run in re.findall(re.escape(char) + "+", text)), default=0)
