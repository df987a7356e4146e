# SPDX-License-Identifier: Apache-2.0
"""Text report for a terminal: each region with both sides side by side and its renames."""
from __future__ import annotations

import shutil
import time

from ..engine.evidence import QUOTE_LIMIT
from ..model import Match, QuotedLine, Report

_TAB = 4  # columns a tab takes in the side-by-side (both sides alike)


def render(report: Report, excerpt_lines: int = 12, width: int | None = None) -> str:
    """The report for a terminal ``width`` columns wide (by default the terminal's)."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    out: list[str] = []
    for m in report.matches:
        out += _match(m, excerpt_lines, width)
    if report.files:
        out.append("Files derived from upstreams:")
        for f in report.files:
            share = f.derived_lines / f.lines if f.lines else 0.0
            froms = ", ".join(f"{name} ({n} lines)" for name, n in f.upstreams)
            out.append(f"  {f.path}: {share:.0%} of {f.lines} lines from {froms}")
        out.append("")
    out += _verdicts(report)
    out.append(_footer(report))
    return "\n".join(out) + "\n"


_MARK = {"fail": "FAIL", "pass": "ok", "resolved": "resolved", "unknown": "?"}


def _verdicts(report: Report) -> list[str]:
    if not report.verdicts:
        return []
    out = [f"Licence obligations (this project: {report.project_license or 'no licence found'}):"]
    for v in report.verdicts:
        out.append(f"  {v.upstream} ({v.license or 'licence unknown'}): {v.line}, "
                   f"{v.copied_lines} lines copied")
        for f in sorted((f for f in report.findings if f.upstream == v.upstream),
                        key=lambda f: (f.status != "fail", f.rule)):
            mark = "n/a" if f.basis == "vacuous" else _MARK[f.status]  # nothing to carry
            out.append(f"    {mark:<8} {f.rule} [{f.severity}] ({f.citation})")
            if f.status != "pass":
                out += ["             " + line for line in f.message.splitlines()]
            if f.resolution:
                out.append(f"             resolved: {f.resolution}")
            if f.fix:
                out += ["             fix: " + f.fix.splitlines()[0]]
                out += ["                  " + line for line in f.fix.splitlines()[1:]]
    out.append("")
    return out


def _match(m: Match, excerpt_lines: int, width: int) -> list[str]:
    lines = [
        f"{m.path}:{m.start_line}-{m.end_line}  <-  {m.upstream}:{m.upstream_path}:"
        f"{m.upstream_start_line}-{m.upstream_end_line}",
        f"  similarity {m.similarity:.2f}, {m.clone_type}; "
        f"{_names(m.names)} <- {_names(m.upstream_names)}",
    ]
    if m.renames:
        counts = m.rename_counts if len(m.rename_counts) == len(m.renames) else ()
        lines.append("  renamed: " + ", ".join(
            f"{a} -> {b}" + (f" ({counts[i]}x)" if counts else "")
            for i, (a, b) in enumerate(m.renames)))
    if m.upstream_date:
        day = time.strftime("%Y-%m-%d", time.gmtime(m.upstream_date))
        lines.append(f"  upstream had it since {day} (commit {(m.upstream_commit or '')[:10]}"
                     + (f" by {m.upstream_author}" if m.upstream_author else "") + ")")
    if m.date:
        day = time.strftime("%Y-%m-%d", time.gmtime(m.date))
        lines.append(f"  this repository has it since {day} (commit {(m.commit or '')[:10]}"
                     + (f" by {m.author}" if m.author else "") + ")")
    if m.also_in:
        lines.append("  also in: " + ", ".join(m.also_in))
    lines += _side_by_side(m, excerpt_lines, width)
    lines.append("")
    return lines


def _names(names: tuple[str, ...], limit: int = 6) -> str:
    """The first few unit names (a whole identical file may have hundreds)."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _side_by_side(m: Match, limit: int, width: int) -> list[str]:
    """Suspect lines beside the upstream lines the alignment pairs them with.

    Both are the files' own lines; a line too long for its column is cut with
    an ellipsis, never re-spaced.
    """
    upstream = {q.line: q for q in m.upstream_excerpt}
    partner = dict(m.alignment)
    cell = max((width - 7) // 2, 20)
    out = []
    before = None
    for q in m.excerpt[:limit]:
        u = upstream.get(partner.get(q.line, -1))
        right = _cell(u, cell).rstrip() if u and u is not before else ""  # once per run
        before = u
        out.append(f"    {_cell(q, cell)} | {right}".rstrip())
    more = len(m.excerpt) - limit
    if more > 0:
        out.append(f"    ... {more} more lines (--format json quotes up to {QUOTE_LIMIT})")
    return out


def _cell(q: QuotedLine, width: int) -> str:
    text = f"{q.line:>5} {q.text.expandtabs(_TAB)}"
    return f"{text:<{width}}" if len(text) <= width else text[:width - 1] + "…"


def _footer(report: Report) -> str:
    files = int(report.stats.get("files", 0))
    n = len(report.matches)
    words = [f"{files} file{'s' * (files != 1)} scanned",
             f"{n} match{'es' * (n != 1)}" if n else "no matches"]
    if report.skipped:
        reasons: dict[str, int] = {}
        for s in report.skipped:
            key = s.reason.split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
        words.append("skipped " + ", ".join(f"{v} {k}" for k, v in sorted(reasons.items())))
    return "; ".join(words) + "."
