# SPDX-License-Identifier: Apache-2.0
"""Text report for a terminal: each region with both sides side by side and its renames."""
from __future__ import annotations

import time

from ..model import Match, Report

_WIDTH = 58


def render(report: Report, excerpt_lines: int = 12) -> str:
    out: list[str] = []
    for m in report.matches:
        out += _match(m, excerpt_lines)
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


def _match(m: Match, excerpt_lines: int) -> list[str]:
    lines = [
        f"{m.path}:{m.start_line}-{m.end_line}  <-  {m.upstream}:{m.upstream_path}:"
        f"{m.upstream_start_line}-{m.upstream_end_line}",
        f"  similarity {m.similarity:.2f}, {m.clone_type}; "
        f"{', '.join(m.names)} <- {', '.join(m.upstream_names)}",
    ]
    if m.renames:
        lines.append("  renamed: " + ", ".join(f"{a} -> {b}" for a, b in m.renames))
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
    lines += _side_by_side(m, excerpt_lines)
    lines.append("")
    return lines


def _side_by_side(m: Match, limit: int) -> list[str]:
    """Suspect lines beside the upstream lines the alignment pairs them with."""
    upstream = dict(m.upstream_excerpt)
    partner = dict(m.alignment)
    out = []
    for line, text in m.excerpt[:limit]:
        u = partner.get(line)
        right = _cell((u, upstream[u])) if u in upstream else ""
        out.append(f"    {_cell((line, text)):<{_WIDTH}} | {right}")
    more = len(m.excerpt) - limit
    if more > 0:
        out.append(f"    ... {more} more lines (all evidence in --format json)")
    return out


def _cell(item: tuple[int, str]) -> str:
    line, text = item
    cell = f"{line:>5} {text}"
    return cell if len(cell) <= _WIDTH else cell[:_WIDTH - 1] + "…"


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
