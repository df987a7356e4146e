# SPDX-License-Identifier: Apache-2.0
"""Text report for a terminal: the verdicts first, then the obligations, then the evidence.

A reader's first question is "was it copied, and is it credited?", so the
report opens with one block per upstream (verdict, share of the scanned lines,
files), then each obligation and its fix, then the evidence.  The evidence is
bounded (issue 12, item 7): by default the largest match of each file is shown
side by side, a few rows each, and every other match gets one line; each cut
says how much it left out and that ``--full`` (or ``--format json``/``html``)
shows it all.  The quoted rows are the files' own lines
(:mod:`attrib.engine.evidence`), cut at the column's width with an ellipsis,
never re-spaced.
"""
from __future__ import annotations

import shutil
import textwrap
import time

from ..engine.evidence import QUOTE_LIMIT
from ..model import Match, QuotedLine, Report

_TAB = 4  # columns a tab takes in the side-by-side (both sides alike)
EXCERPT_LINES = 10  # side-by-side rows per match, unless --full
SIDE_BY_SIDE = 8  # matches shown side by side, unless --full
LISTED = 60  # further matches listed one per line, unless --full
RENAMES = 6  # renames named per match, unless --full
PROSE = 100  # prose wraps here even on a wider terminal (quoted code uses the full width)
MORE = "--full shows all"


def render(report: Report, excerpt_lines: int = EXCERPT_LINES, width: int | None = None,
           full: bool = False, audit: dict | None = None) -> str:
    """The report for a terminal ``width`` columns wide (by default the terminal's).

    ``full``: every match side by side with every quoted line and rename.
    ``audit``: :func:`attrib.audit.audit_section`'s dict, summarised at the top.
    """
    width = width or shutil.get_terminal_size((120, 24)).columns
    prose = min(width, PROSE)
    out = _summary(report, audit, prose)
    out += _files(report)
    out += _verdicts(report, prose)
    out += _evidence(report, None if full else excerpt_lines, width, full)
    out.append(_footer(report))
    return "\n".join(out) + "\n"


def _wrap(text: str, width: int, indent: str, more: str | None = None) -> list[str]:
    """Prose wrapped to ``width``; continuation lines indented by ``more`` (default: deeper)."""
    more = indent + "  " if more is None else more
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=more,
                         break_on_hyphens=False, break_long_words=False) or [indent.rstrip()]


# -- the summary -------------------------------------------------------------------------------

def _summary(report: Report, audit: dict | None, width: int) -> list[str]:
    files = int(report.stats.get("files", 0))
    scanned = int(report.stats.get("lines", 0))
    out: list[str] = []
    if audit:
        commit = audit.get("commit")
        out.append(f"Audit of {audit.get('location', report.target)}"
                   + (f" at commit {commit[:12]}" if commit else ""))
    if not report.matches:
        return out + [f"No code from the indexed upstreams in {files} file{'s' * (files != 1)}"
                      " scanned.", ""]
    ups = sorted({m.upstream for m in report.matches})
    copied = {f.path for f in report.files}
    out.append(f"Code from {len(ups)} upstream{'s' * (len(ups) != 1)} in {len(copied)} of "
               f"{files} files scanned ({len(report.matches)} matches); this project's licence: "
               f"{report.project_license or 'none found'}.")
    verdicts = {v.upstream: v for v in report.verdicts}
    licences = {u.name: u.license for u in report.upstreams}
    rows = {r["upstream"]: r for r in (audit or {}).get("summary") or []}
    for name in ups:
        v = verdicts.get(name)
        head = (v.line if v else "MATCHES (licence obligations not checked)")
        licence = (v.license if v else None) or licences.get(name) or "licence unknown"
        out += _wrap(f"{name} ({licence}): {head}", width, "  ", "      ")
        lines = sum(n for f in report.files for u, n in f.upstreams if u == name)
        share = f" ({lines / scanned:.0%} of the {scanned} lines scanned)" if scanned else ""
        into = sorted(f.path for f in report.files if any(u == name for u, _ in f.upstreams))
        out += _wrap(f"{lines} lines copied{share} into {len(into)} file"
                     f"{'s' * (len(into) != 1)}: {_names(tuple(into), 4)}", width, "    ")
        if name in rows and rows[name].get("first"):
            out.append(f"    first: {rows[name]['first']}")
    out += _audit_extras(audit, width)
    out.append("")
    return out


def _audit_extras(audit: dict | None, width: int) -> list[str]:
    """What an audit adds: leftovers and the model artifacts."""
    if not audit:
        return []
    out = [line for x in audit.get("leftovers") or []
           for line in _wrap(f"leftover: {x['path']} {x['key']} = {x['value']!r}: "
                             f"{x['detail']}", width, "  ", "      ")]
    art = audit.get("model_artifacts") or {}
    if art:
        out.append(f"  model artifacts: {art.get('status')}"
                   + (f" ({art['reason']})" if art.get("reason") else ""))
        out += [f"    {s.get('name')}: {s.get('verdict')}" for s in art.get("sections", [])]
        if shared := art.get("outputs"):
            out.append(f"  shared mistakes: {shared.get('verdict')} ({shared.get('detail')})")
    return out


def _files(report: Report) -> list[str]:
    if not report.files:
        return []
    out = ["Files derived from upstreams:"]
    for f in report.files:
        share = f.derived_lines / f.lines if f.lines else 0.0
        froms = ", ".join(f"{name} ({n} lines)" for name, n in f.upstreams)
        out.append(f"  {f.path}: {share:.0%} of {f.lines} lines from {froms}")
    return out + [""]


# -- the obligations ---------------------------------------------------------------------------

_MARK = {"fail": "FAIL", "pass": "ok", "resolved": "resolved", "unknown": "?"}
_PAD = " " * 13


def _verdicts(report: Report, width: int) -> list[str]:
    if not report.verdicts:
        return []
    out = [f"Licence obligations (this project: {report.project_license or 'no licence found'}):"]
    for v in report.verdicts:
        failing = sum(f.status == "fail" for f in report.findings if f.upstream == v.upstream)
        out.append(f"  {v.upstream} ({v.license or 'licence unknown'}): {failing} failing, "
                   f"{v.copied_lines} lines copied")
        for f in sorted((f for f in report.findings if f.upstream == v.upstream),
                        key=lambda f: (f.status != "fail", f.rule)):
            mark = "n/a" if f.basis == "vacuous" else _MARK[f.status]  # nothing to carry
            out += _wrap(f"{mark:<8} {f.rule} [{f.severity}] ({f.citation})", width, "    ",
                         _PAD)
            if f.status != "pass":
                for line in f.message.splitlines():
                    indent = _PAD + line[:len(line) - len(line.lstrip())]
                    out += _wrap(line.strip(), width, indent, indent + "  ")
            if f.resolution:
                out += _wrap(f"resolved: {f.resolution}", width, _PAD)
            if f.fix:
                first, *rest = f.fix.splitlines()
                out += _wrap(f"fix: {first}", width, _PAD, _PAD + "     ")
                # the rest are lines to add (a NOTICE, a header): as they are, to copy
                out += [(_PAD + "     " + line).rstrip() for line in rest]
    return out + [""]


# -- the evidence ------------------------------------------------------------------------------

def _evidence(report: Report, rows: int | None, width: int, full: bool) -> list[str]:
    if not report.matches:
        return []
    shown = set(range(len(report.matches))) if full else _side_by_side_set(report.matches)
    n = len(report.matches)
    if full:
        out = [f"Evidence: {n} match{'es' * (n != 1)}, each side by side, every quoted line."]
    else:
        out = _wrap(f"Evidence: {n} match{'es' * (n != 1)}; {len(shown)} side by side (the "
                    f"largest of each file), {rows} rows each. {MORE} (or --format html, "
                    "json).", min(width, PROSE), "", "")
    out.append("")
    listed = 0
    for i, m in enumerate(report.matches):
        if i in shown:
            out += _match(m, rows, width, full)
        elif listed < LISTED:
            out.append(_one_line(m, width))
            listed += 1
    unlisted = n - len(shown) - listed
    if unlisted > 0:
        out.append(f"... {unlisted} more matches ({MORE})")
    if listed:
        out.append("")
    return out


def _side_by_side_set(matches: tuple[Match, ...]) -> set[int]:
    """Which matches to show side by side: the largest of each file, then the largest left."""
    ranked = sorted(range(len(matches)), key=lambda i: (
        -(matches[i].end_line - matches[i].start_line), matches[i].path, matches[i].start_line))
    chosen: list[int] = []
    seen: set[str] = set()
    for i in ranked:
        if matches[i].path not in seen and len(chosen) < SIDE_BY_SIDE:
            chosen.append(i)
            seen.add(matches[i].path)
    chosen += [i for i in ranked if i not in chosen][:SIDE_BY_SIDE - len(chosen)]
    return set(chosen)


def _one_line(m: Match, width: int) -> str:
    """A match not shown side by side: where, how similar, and its unit if that fits."""
    line = f"{_header(m)}  {m.similarity:.2f} {m.clone_type}"
    names = f", {_names(m.names, 1)}" if m.names else ""
    return line + names if len(line + names) <= width else line


def _header(m: Match) -> str:
    return (f"{m.path}:{m.start_line}-{m.end_line}  <-  {m.upstream}:{m.upstream_path}:"
            f"{m.upstream_start_line}-{m.upstream_end_line}")


def _match(m: Match, rows: int | None, width: int, full: bool) -> list[str]:
    lines = [_header(m), f"  similarity {m.similarity:.2f}, {m.clone_type}; "
                         f"{_names(m.names)} <- {_names(m.upstream_names)}"]
    if m.renames:
        counts = m.rename_counts if len(m.rename_counts) == len(m.renames) else ()
        named = [f"{a} -> {b}" + (f" ({counts[i]}x)" if counts else "")
                 for i, (a, b) in enumerate(m.renames)]
        cut = len(named) - RENAMES if not full and len(named) > RENAMES else 0
        text = ", ".join(named[:len(named) - cut]) + (f" and {cut} more" if cut else "")
        lines += _wrap("renamed: " + text, min(width, PROSE), "  ", "    ")
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
    lines += _side_by_side(m, rows, width)
    lines.append("")
    return lines


def _names(names: tuple[str, ...], limit: int = 6) -> str:
    """The first few unit names (a whole identical file may have hundreds)."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _side_by_side(m: Match, limit: int | None, width: int) -> list[str]:
    """Suspect lines beside the upstream lines the alignment pairs them with.

    Both are the files' own lines; a line too long for its column is cut with
    an ellipsis, never re-spaced.  ``limit``: rows shown (None: all quoted).
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
    more = len(m.excerpt) - (len(m.excerpt) if limit is None else limit)
    if more > 0:
        out.append(f"    ... {more} more of {len(m.excerpt)} lines ({MORE})")
    unquoted = m.end_line - m.start_line + 1 - len(m.excerpt)
    if limit is None and unquoted > 0 and len(m.excerpt) >= QUOTE_LIMIT:
        out.append(f"    ... {unquoted} lines past the first {QUOTE_LIMIT} are not quoted")
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
    words += [f"{v.upstream}: {v.verdict.upper()}" for v in report.verdicts]
    return "; ".join(words) + "."
