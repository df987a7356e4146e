# SPDX-License-Identifier: Apache-2.0
"""HTML evidence report: one self-contained file, inline CSS and inline SVG, nothing loaded.

Everything that comes from a scanned repository (paths, code, identifiers,
messages quoting them) is hostile and goes through :func:`html.escape`; a
Content-Security-Policy that allows no network source backs that up.
"""
from __future__ import annotations

import math
from html import escape
from typing import Any

from .. import __version__
from ..model import Finding, Match, QuotedLine, Report

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2430;
background:#fff;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #d0d7de;
padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f3f5f7}
.muted{color:#5b6573}.v{font-weight:700;padding:2px 8px;border-radius:4px;white-space:nowrap}
.v-bad{background:#fde2e1;color:#8a1c13}.v-mid{background:#fff1c2;color:#6b4e00}
.v-ok{background:#dcf5e3;color:#135c2b}
table.code{width:100%;table-layout:fixed;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}
table.code td{border:0;border-right:1px solid #d0d7de;white-space:pre-wrap;word-break:break-all}
table.code .n{width:3.5em;text-align:right;color:#8a94a3;user-select:none}
span.t{background:#e6f4ea}mark{background:#ffe28a;border-radius:2px}mark.u{background:#c9e3ff}
.match{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:14px 0}
pre.fix{background:#f6f8fa;padding:6px 8px;white-space:pre-wrap;margin:4px 0}
svg text{font:11px system-ui,sans-serif}
"""


def render(report: Report, audit: dict | None = None) -> str:
    """The report as one HTML page; ``audit`` is :func:`attrib.audit.audit_dict`'s section."""
    from ..audit import summary

    audit = audit or {"location": report.target, "summary": summary(report),
                      "model_artifacts": None}
    body = [_head(report, audit), _summary(audit["summary"]), _map(report),
            _findings(report), _leftovers(audit.get("leftovers") or []), _matches(report),
            _artifacts(audit.get("model_artifacts")), _skipped(report)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            f"<title>attrib audit: {escape(audit['location'])}</title><style>{CSS}</style>"
            "</head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _head(report: Report, audit: dict) -> str:
    commit = audit.get("commit")
    files = int(report.stats.get("files", 0))
    return (f"<h1>attrib audit: {escape(audit['location'])}</h1>"
            f"<p class=\"muted\">{'commit ' + escape(commit[:12]) + ' · ' if commit else ''}"
            f"{files} files scanned · {len(report.matches)} matches · project licence "
            f"{escape(report.project_license or 'none found')} · attrib {escape(__version__)}</p>")


def _verdict_class(verdict: str) -> str:
    if verdict in ("copy with credit", "this repository had it first", "shared lineage"):
        return "v-ok"
    return "v-mid" if verdict == "partial" else "v-bad"


def _summary(rows: list[dict]) -> str:
    out = ["<h2 id=\"summary\">Summary</h2>"]
    if not rows:
        return out[0] + "<p>No code from the indexed upstreams was found.</p>"
    out.append("<table><tr><th>upstream</th><th>verdict</th><th>licence</th><th>lines copied</th>"
               "<th>files</th><th>upstream had it</th><th>this repository had it</th>"
               "<th>first</th><th>obligations failed</th></tr>")
    for r in rows:
        out.append(
            f"<tr><td>{escape(r['upstream'])}</td><td><span class=\"v {_verdict_class(r['verdict'])}"
            f"\">{escape(r['verdict'].upper())}</span></td>"
            f"<td>{escape(r['license'] or 'unknown')}</td><td>{r['copied_lines']}</td>"
            f"<td>{r['files']}</td><td>{escape(r['upstream_first'] or 'unknown')}</td>"
            f"<td>{escape(r['audited_first'] or 'unknown')}</td><td>{escape(r['first'])}</td>"
            f"<td>{escape(', '.join(r['failed']) or 'none')}</td></tr>")
    return "\n".join(out) + "</table>"


# -- the map: suspect files against the upstream files they derive from ---------------------

_BOX_H, _GAP, _COL_W, _WIDTH = 22, 6, 380, 1100


def _short(text: str, limit: int = 56) -> str:
    return text if len(text) <= limit else text[:20] + "…" + text[-(limit - 21):]


def _map(report: Report) -> str:
    pairs: dict[tuple[str, str], int] = {}
    for m in report.matches:
        key = (m.path, f"{m.upstream}:{m.upstream_path}")
        pairs[key] = pairs.get(key, 0) + m.end_line - m.start_line + 1
    if not pairs:
        return ""
    left = sorted({a for a, _ in pairs})
    right = sorted({b for _, b in pairs})
    y = lambda i: 30 + i * (_BOX_H + _GAP)
    height = y(max(len(left), len(right))) + 10
    top = max(pairs.values())
    rx = _WIDTH - _COL_W - 10
    parts = [f"<svg width=\"{_WIDTH}\" height=\"{height}\" "
             f"viewBox=\"0 0 {_WIDTH} {height}\" role=\"img\" aria-label=\"file map\">",
             "<text x=\"10\" y=\"16\" font-weight=\"bold\">this repository</text>",
             f"<text x=\"{rx}\" y=\"16\" font-weight=\"bold\">upstream</text>"]
    for (a, b), n in sorted(pairs.items()):
        y1, y2 = y(left.index(a)) + _BOX_H / 2, y(right.index(b)) + _BOX_H / 2
        x1, x2 = 10 + _COL_W, rx
        w = 1 + 9 * n / top
        parts.append(f"<path d=\"M{x1} {y1} C{x1 + 120} {y1} {x2 - 120} {y2} {x2} {y2}\" "
                     f"stroke=\"#d9534f\" stroke-opacity=\"0.55\" stroke-width=\"{w:.1f}\" "
                     f"fill=\"none\"><title>{escape(a)} ← {escape(b)}: {n} lines</title></path>")
    for col, x, names in ((0, 10, left), (1, rx, right)):
        for i, name in enumerate(names):
            parts.append(f"<rect x=\"{x}\" y=\"{y(i)}\" width=\"{_COL_W}\" height=\"{_BOX_H}\" "
                         f"rx=\"3\" fill=\"{'#eef3fb' if col else '#fbeeee'}\" stroke=\"#9aa5b1\"/>"
                         f"<text x=\"{x + 6}\" y=\"{y(i) + 15}\">{escape(_short(name))}"
                         f"<title>{escape(name)}</title></text>")
    parts.append("</svg>")
    return ("<h2 id=\"map\">Map</h2><p class=\"muted\">Each line joins a file of this repository "
            "to the upstream file it derives from; thicker lines carry more copied lines.</p>"
            + "".join(parts))


# -- obligations ------------------------------------------------------------------------------

def _findings(report: Report) -> str:
    if not report.verdicts:
        return ""
    out = ["<h2 id=\"obligations\">Licence obligations</h2>"]
    for v in report.verdicts:
        out.append(f"<h3>{escape(v.upstream)} ({escape(v.license or 'licence unknown')}): "
                   f"<span class=\"v {_verdict_class(v.verdict)}\">{escape(v.verdict.upper())}"
                   f"</span> {escape(v.detail)}</h3>")
        out.append("<table><tr><th>status</th><th>rule</th><th>severity</th><th>cite</th>"
                   "<th>what was found, and the fix</th></tr>")
        for f in sorted((f for f in report.findings if f.upstream == v.upstream),
                        key=lambda f: (f.status != "fail", f.rule)):
            out.append(_finding_row(f))
        out.append("</table>")
    return "\n".join(out)


def _finding_row(f: Finding) -> str:
    detail = escape(f.summary)
    if f.status != "pass":
        detail += f"<br><span class=\"muted\">{escape(f.message)}</span>"
    if f.resolution:
        detail += f"<br>resolved: {escape(f.resolution)}"
    if f.fix and f.status != "pass":
        detail += f"<pre class=\"fix\">fix: {escape(f.fix)}</pre>"
    cls = "v-bad" if f.status == "fail" else "v-ok" if f.status == "pass" else "v-mid"
    return (f"<tr><td><span class=\"v {cls}\">{escape(f.status)}</span></td>"
            f"<td>{escape(f.rule)}</td><td>{escape(f.severity)}</td><td>{escape(f.citation)}</td>"
            f"<td>{detail}</td></tr>")


# -- matches side by side ---------------------------------------------------------------------

def _matches(report: Report) -> str:
    if not report.matches:
        return ""
    return ("<h2 id=\"matches\">Matches</h2><p class=\"muted\">Suspect lines on the left, upstream "
            "lines on the right, each as its file has it; <span class=\"t\">matched tokens</span> "
            "are shaded and renamed identifiers <mark>marked</mark>.</p>"
            + "\n".join(_match(m) for m in report.matches))


def _match(m: Match) -> str:
    head = (f"<h3>{escape(m.path)}:{m.start_line}-{m.end_line} ← {escape(m.upstream)}:"
            f"{escape(m.upstream_path)}:{m.upstream_start_line}-{m.upstream_end_line}</h3>"
            f"<p>similarity {m.similarity:.2f}, {escape(m.clone_type)}; "
            f"{escape(', '.join(m.names))} ← {escape(', '.join(m.upstream_names))}")
    if m.also_in:
        head += f"<br>also in: {escape(', '.join(m.also_in))}"
    head += "<br>" + _dates(m) + "</p>"
    renames = ""
    if m.renames:
        counts = [str(n) for n in m.rename_counts] if len(m.rename_counts) == len(m.renames) \
            else [""] * len(m.renames)
        renames = ("<table><tr><th>upstream name</th><th>renamed to</th><th>occurrences</th></tr>"
                   + "".join(f"<tr><td><code>{escape(a)}</code></td><td><code>{escape(b)}</code>"
                             f"</td><td>{n}</td></tr>" for (a, b), n in zip(m.renames, counts))
                   + "</table>")
    return f"<div class=\"match\">{head}{renames}{_side_by_side(m)}</div>"


def _dates(m: Match) -> str:
    def when(t: int | None, commit: str | None, author: str | None) -> str:
        import time

        if not t:
            return "date unknown"
        day = time.strftime("%Y-%m-%d", time.gmtime(t))
        if not commit:
            return day
        return f"{day} (commit {escape(commit[:10])}" + (f" by {escape(author)})" if author
                                                          else ")")
    return (f"upstream had it since {when(m.upstream_date, m.upstream_commit, m.upstream_author)}"
            f"; this repository since {when(m.date, m.commit, m.author)}")


def _marked(q: QuotedLine, cls: str = "") -> str:
    """The line's own text, escaped; matched columns shaded, renamed identifiers marked."""
    text = q.text
    kind = [0] * (len(text) + 1)
    for ranges, k in ((q.spans, 1), (q.renamed, 2)):
        for lo, hi in ranges:
            for c in range(max(lo, 0), min(hi, len(text))):
                kind[c] = k
    out: list[str] = []
    start = 0
    for c in range(1, len(text) + 1):
        if c == len(text) or kind[c] != kind[start]:
            piece = escape(text[start:c])
            out.append(piece if kind[start] == 0 else f"<span class=\"t\">{piece}</span>"
                       if kind[start] == 1 else f"<mark{cls}>{piece}</mark>")
            start = c
    return "".join(out)


_UPSTREAM_MARK = ' class="u"'

Row = tuple[QuotedLine | None, QuotedLine | None]


def _aligned(m: Match) -> list[Row]:
    """Rows of (suspect line, upstream line): each suspect line beside the upstream line the
    tiles align it with; upstream lines nothing aligns with come in order, on their own."""
    upstream = {q.line: q for q in m.upstream_excerpt}
    partner = dict(m.alignment)
    if not partner:
        left, right = list(m.excerpt), list(m.upstream_excerpt)
        return [(left[i] if i < len(left) else None, right[i] if i < len(right) else None)
                for i in range(max(len(left), len(right)))]
    shown: set[int] = set()
    rows: list[Row] = []
    pending = sorted(upstream)
    for q in m.excerpt:
        u = partner.get(q.line)
        if u in upstream and u not in shown:
            while pending and pending[0] < u:  # upstream lines the copy dropped, in place
                if pending[0] not in shown:
                    rows.append((None, upstream[pending[0]]))
                    shown.add(pending[0])
                pending.pop(0)
            shown.add(u)
            rows.append((q, upstream[u]))
        else:
            rows.append((q, None))
    rows += [(None, upstream[u]) for u in pending if u not in shown]
    return rows


def _side_by_side(m: Match) -> str:
    rows = []
    for a, b in _aligned(m):
        rows.append("<tr>" + (f"<td class=\"n\">{a.line}</td><td>{_marked(a)}</td>" if a
                              else "<td class=\"n\"></td><td></td>")
                    + (f"<td class=\"n\">{b.line}</td><td>{_marked(b, _UPSTREAM_MARK)}</td>"
                       if b else "<td class=\"n\"></td><td></td>") + "</tr>")
    return ("<table class=\"code\"><tr><th class=\"n\"></th><th>this repository</th>"
            "<th class=\"n\"></th><th>upstream</th></tr>" + "".join(rows) + "</table>")


# -- model artifacts --------------------------------------------------------------------------

def _artifacts(art: dict | None) -> str:
    out = ["<h2 id=\"artifacts\">Model artifacts</h2>"]
    shared = _shared_mistakes((art or {}).get("outputs"))
    if not art or art.get("status") != "compared":
        reason = (art or {}).get("reason") or "no comparison was run"
        return out[0] + f"<p>not compared: {escape(str(reason))}</p>" + shared
    for s in art.get("sections", []):
        out.append(f"<h3>{escape(str(s.get('upstream', '')))} {escape(s['name'])}: "
                   f"<span class=\"v v-mid\">{escape(s['verdict'])}</span></h3>")
        if s.get("detail"):
            out.append(f"<p>{escape(str(s['detail']))}</p>")
        if s.get("figures"):
            out.append("<table>" + "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_num(v))}"
                                           f"</td></tr>" for k, v in s["figures"].items())
                       + "</table>")
        if s.get("problems"):
            out.append("<ul>" + "".join(f"<li>{escape(p)}</li>" for p in s["problems"]) + "</ul>")
        if isinstance(s.get("histogram"), dict):
            out.append(_histogram(s["histogram"]))
        if s.get("correlations"):
            out.append(_correlations(s["correlations"]))
    return "\n".join(out) + shared


def _shared_mistakes(o: dict | None) -> str:
    """Two models' answers to the same probes: agreement, kappa, identical wrong answers."""
    if not isinstance(o, dict):
        return ""
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_num(v))}</td></tr>"
                   for k, v in (o.get("figures") or {}).items())
    same = "".join(f"<tr><td>{escape(str(e.get('id')))}</td><td>{escape(str(e.get('answer')))}"
                   f"</td><td>{escape(str(e.get('reference')))}</td></tr>"
                   for e in o.get("examples") or [] if isinstance(e, dict))
    return (f"<h3>Shared mistakes: <span class=\"v v-mid\">{escape(str(o.get('verdict')))}"
            f"</span></h3><p>{escape(str(o.get('detail', '')))}</p><table>{rows}</table>"
            + (f"<table><tr><th>probe</th><th>same wrong answer</th><th>right answer</th></tr>"
               f"{same}</table>" if same else ""))


def _num(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _finite(values: Any) -> list[float]:
    out = []
    for v in values or []:
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = 0.0
        out.append(f if math.isfinite(f) else 0.0)
    return out


def _histogram(h: dict, width: int = 640, height: int = 220) -> str:
    """Bars of the weight differences, with the fitted Gaussian drawn over them."""
    edges, counts, gauss = _finite(h.get("edges")), _finite(h.get("counts")), _finite(h.get("gaussian"))
    if len(edges) != len(counts) + 1 or not counts:
        return "<p class=\"muted\">histogram data malformed</p>"
    top = max(counts + gauss + [1e-12])
    x0, x1 = edges[0], edges[-1] if edges[-1] != edges[0] else edges[0] + 1
    px = lambda x: 40 + (x - x0) / (x1 - x0) * (width - 50)
    py = lambda c: height - 25 - c / top * (height - 40)
    parts = [f"<svg width=\"{width}\" height=\"{height}\" "
             "role=\"img\" aria-label=\"histogram of weight differences\">",
             f"<line x1=\"40\" y1=\"{height - 25}\" x2=\"{width - 10}\" y2=\"{height - 25}\" "
             "stroke=\"#555\"/>"]
    for i, c in enumerate(counts):
        parts.append(f"<rect x=\"{px(edges[i]):.1f}\" y=\"{py(c):.1f}\" "
                     f"width=\"{max(px(edges[i + 1]) - px(edges[i]) - 1, 0.5):.1f}\" "
                     f"height=\"{height - 25 - py(c):.1f}\" fill=\"#6f9fd8\"/>")
    if len(gauss) == len(counts):
        mids = [(edges[i] + edges[i + 1]) / 2 for i in range(len(counts))]
        pts = " ".join(f"{px(x):.1f},{py(g):.1f}" for x, g in zip(mids, gauss))
        parts.append(f"<polyline points=\"{pts}\" fill=\"none\" stroke=\"#d9534f\" "
                     "stroke-width=\"2\"/>")
    parts += [f"<text x=\"40\" y=\"{height - 8}\">{edges[0]:.3g}</text>",
              f"<text x=\"{width - 60}\" y=\"{height - 8}\">{edges[-1]:.3g}</text>",
              "<text x=\"45\" y=\"14\">weight differences (bars) and fitted Gaussian (line)</text>",
              "</svg>"]
    return "".join(parts)


def _correlations(rows: list, width: int = 640) -> str:
    """Per-tensor correlation of the two models' weights, one horizontal bar each."""
    items = []
    for row in rows:
        try:
            name, r = row[0], float(row[1])
        except (TypeError, ValueError, IndexError):
            continue
        items.append((str(name), r if math.isfinite(r) else 0.0))
    height = 20 + 16 * len(items)
    parts = [f"<svg width=\"{width}\" height=\"{height}\" "
             "role=\"img\" aria-label=\"per-tensor correlations\">",
             "<text x=\"0\" y=\"12\">per-tensor correlation (0 to 1)</text>"]
    bar_w = width - 280
    for i, (name, r) in enumerate(items):
        y = 18 + 16 * i
        parts.append(f"<text x=\"0\" y=\"{y + 11}\">{escape(_short(name, 36))}</text>"
                     f"<rect x=\"230\" y=\"{y}\" width=\"{max(min(r, 1.0), 0.0) * bar_w:.1f}\" "
                     f"height=\"12\" fill=\"{'#d9534f' if r > 0.9 else '#6f9fd8'}\"/>"
                     f"<text x=\"{236 + bar_w}\" y=\"{y + 11}\">{r:.3f}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _leftovers(rows: list[dict]) -> str:
    """References the repository cannot satisfy itself, and the upstream each names."""
    if not rows:
        return ""
    cells = "".join(f"<tr><td><code>{escape(r['path'])}</code></td><td><code>{escape(r['key'])}"
                    f"</code></td><td><code>{escape(str(r['value']))}</code></td>"
                    f"<td>{escape(r['upstream'])}</td><td>{escape(r['detail'])}</td></tr>"
                    for r in rows)
    return ("<h2 id=\"leftovers\">Leftovers</h2><p class=\"muted\">References this repository "
            "cannot satisfy itself, that point at an upstream.</p><table><tr><th>file</th>"
            "<th>key</th><th>value</th><th>upstream</th><th>why</th></tr>" + cells + "</table>")


def _skipped(report: Report) -> str:
    out = ["<h2 id=\"skipped\">Skipped</h2>"]
    if not report.skipped:
        return out[0] + "<p>Nothing was skipped.</p>"
    out.append("<table><tr><th>path</th><th>why</th></tr>")
    out += [f"<tr><td>{escape(s.path)}</td><td>{escape(s.reason)}</td></tr>"
            for s in report.skipped]
    return "\n".join(out) + "</table>"
