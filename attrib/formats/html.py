# SPDX-License-Identifier: Apache-2.0
"""HTML evidence report: one self-contained file, inline CSS and inline SVG, nothing loaded.

Everything that comes from a scanned repository (paths, code, identifiers,
messages quoting them) is hostile and goes through :func:`html.escape`; a
Content-Security-Policy that allows no network source backs that up.
"""
from __future__ import annotations

import os
import time
from html import escape

from .. import __version__
from ..model import Finding, Match, QuotedLine, Report
from .html_artifacts import artifacts

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;color:#1d2430;
background:#fff;max-width:1400px;padding:0 24px}
h1{font-size:22px;margin:0 0 4px;overflow-wrap:anywhere}h2{font-size:18px;
border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}h3{font-size:15px;
margin:18px 0 6px;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f3f5f7}
table:not(.code){display:block;max-width:100%;overflow-x:auto}
.muted{color:#5b6573}.v{font-weight:700;padding:2px 8px;border-radius:4px;white-space:nowrap}
.v-bad{background:#fde2e1;color:#8a1c13}.v-mid{background:#fff1c2;color:#6b4e00}
.v-ok{background:#dcf5e3;color:#135c2b}
nav.toc{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:6px 14px;
margin:14px 0}nav.toc ul{display:inline;margin:0;padding:0}nav.toc li{display:inline;
margin:0 0 0 14px}.verdicts{margin:8px 0;font-size:15px}
a{color:#0b5cad}a:hover{text-decoration:underline}svg a:hover path{stroke-opacity:.9}
svg{max-width:100%;height:auto}
table.code{width:100%;table-layout:fixed;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}
table.code col.n{width:4.5em}
table.code td{border:0;border-right:1px solid #d0d7de;white-space:pre-wrap;
overflow-wrap:anywhere;word-break:normal;padding-left:calc(8px + 2ch);text-indent:-2ch}
table.code td.n{text-align:right;color:#8a94a3;user-select:none;white-space:nowrap;
padding:0 6px 0 2px;text-indent:0}
table.code th{font:600 12px system-ui,sans-serif}
span.t{background:#e6f4ea}mark{background:#ffe28a;border-radius:2px}mark.u{background:#c9e3ff}
section.card{scroll-margin-top:8px}section.card:target .match{border-color:#0b5cad;
box-shadow:0 0 0 2px #c9e3ff}
.match{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:14px 0}
.match h3{margin-top:4px}.match details>summary{cursor:pointer;color:#0b5cad;margin:4px 0}
p.renames code{background:#f3f5f7;padding:0 3px;border-radius:3px}
pre.fix{background:#f6f8fa;padding:6px 8px;white-space:pre-wrap;margin:4px 0}
svg text{font:11px system-ui,sans-serif}
"""
OPEN_ROWS = 30  # a side-by-side this long or shorter is open; longer ones start collapsed


def render(report: Report, audit: dict | None = None, generated: int | None = None) -> str:
    """The report as one HTML page; ``audit`` is :func:`attrib.audit.audit_dict`'s section.

    ``generated``: the unix time the page says it was made; by default
    ``$SOURCE_DATE_EPOCH`` (reproducible builds) or now.
    """
    from ..audit import summary

    audit = audit or {"location": report.target, "summary": summary(report),
                      "model_artifacts": None}
    if generated is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        generated = int(epoch) if epoch.isdigit() else int(time.time())
    leftovers = audit.get("leftovers") or []
    sections = [("summary", "Summary", _summary(report, audit["summary"])),
                ("map", "Map of copied files", _map(report)),
                ("obligations", "Licence obligations", _findings(report)),
                ("leftovers", "Leftovers", _leftovers(leftovers)),
                ("matches", f"Matches ({len(report.matches)})", _matches(report)),
                ("artifacts", "Model artifacts", artifacts(audit.get("model_artifacts"))),
                ("skipped", f"Skipped ({len(report.skipped)})", _skipped(report))]
    body = [_head(report, audit, generated), _contents(sections)]
    body += [f"<section class=\"part\">{h}</section>" for *_, h in sections if h]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>attrib audit: {escape(audit['location'])}</title><style>{CSS}</style>"
            "</head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _contents(sections: list[tuple[str, str, str]]) -> str:
    items = "".join(f"<li><a href=\"#{key}\">{escape(title)}</a></li>"
                    for key, title, html in sections if html)
    return f"<nav class=\"toc\" aria-label=\"contents\"><strong>Contents:</strong><ul>{items}</ul></nav>"


def _scanned_lines(report: Report) -> int:
    return int(report.stats.get("lines", 0)) or sum(f.lines for f in report.files)


def _head(report: Report, audit: dict, generated: int) -> str:
    commit = audit.get("commit")
    files = int(report.stats.get("files", 0))
    copied = sum(f.derived_lines for f in report.files)
    scanned = _scanned_lines(report)
    share = (f" · {copied} of {scanned} lines ({copied / scanned:.0%}) copied"
             if scanned and copied else "")
    day = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(generated))
    verdicts = "".join(f"<p class=\"verdicts\"><strong>{escape(v.upstream)}</strong>: <span class=\"v "
                       f"{_verdict_class(v.verdict)}\">{escape(v.verdict.upper())}</span> "
                       f"{v.copied_lines} lines copied</p>" for v in report.verdicts)
    return (f"<h1>attrib audit: {escape(audit['location'])}</h1>{verdicts}"
            f"<p class=\"muted\">{'commit ' + escape(commit[:12]) + ' · ' if commit else ''}"
            f"{files} files scanned · {len(report.matches)} matches{share} · project licence "
            f"{escape(report.project_license or 'none found')}</p>"
            + _upstreams(report) +
            f"<p class=\"muted\">generated {day} by attrib {escape(__version__)}</p>")


def _upstreams(report: Report) -> str:
    """Each matched upstream: where it comes from (its URL, else where it was indexed from),
    the ref and commit the index holds, and its licence."""
    matched = {m.upstream for m in report.matches}
    rows = []
    for u in sorted((u for u in report.upstreams if u.name in matched), key=lambda u: u.name):
        where = (f"<code>{escape(u.url)}</code>" if u.url
                 else f"indexed from <code>{escape(u.location)}</code>")
        at = ", ".join(x for x in (f"ref {escape(u.ref)}" if u.ref else "",
                                   f"commit <code>{escape(u.commit[:12])}</code>" if u.commit
                                   else "no commit (a plain directory)") if x)
        rows.append(f"<li><strong>{escape(u.name)}</strong> ({escape(u.license or 'licence unknown')}): "
                    f"{where}, {at}</li>")
    return f"<p>Compared with:</p><ul>{''.join(rows)}</ul>" if rows else ""


def _verdict_class(verdict: str) -> str:
    if verdict in ("copy with credit", "this repository had it first", "shared lineage"):
        return "v-ok"
    return "v-mid" if verdict == "partial" else "v-bad"


def _summary(report: Report, rows: list[dict]) -> str:
    out = ["<h2 id=\"summary\">Summary</h2>"]
    if not rows:
        return out[0] + "<p>No code from the indexed upstreams was found.</p>"
    scanned = _scanned_lines(report)
    out.append("<table><tr><th>upstream</th><th>verdict</th><th>licence</th><th>lines copied</th>"
               "<th>share of the repository</th><th>files</th><th>upstream had it</th>"
               "<th>this repository had it</th><th>first</th><th>obligations failed</th></tr>")
    for r in rows:
        lines = sum(n for f in report.files for u, n in f.upstreams if u == r["upstream"])
        share = f"{lines / scanned:.0%} of {scanned} lines" if scanned else "unknown"
        out.append(
            f"<tr><td>{escape(r['upstream'])}</td><td><span class=\"v {_verdict_class(r['verdict'])}"
            f"\">{escape(r['verdict'].upper())}</span></td>"
            f"<td>{escape(r['license'] or 'unknown')}</td><td>{r['copied_lines']}</td>"
            f"<td>{share}</td>"
            f"<td>{r['files']}</td><td>{escape(r['upstream_first'] or 'unknown')}</td>"
            f"<td>{escape(r['audited_first'] or 'unknown')}</td><td>{escape(r['first'])}</td>"
            f"<td>{escape(', '.join(r['failed']) or 'none')}</td></tr>")
    return "\n".join(out) + "</table>"


# -- the map: suspect files against the upstream files they derive from ---------------------

_BOX_H, _GAP, _COL_W, _WIDTH = 22, 6, 380, 1100


def _short(text: str, limit: int = 56) -> str:
    return text if len(text) <= limit else text[:20] + "…" + text[-(limit - 21):]


def _card_id(i: int) -> str:
    return f"m{i + 1}"


def _map(report: Report) -> str:
    """The file pairs drawn as an SVG whose lines and boxes link to the match cards, and a
    table of the same pairs with a link to every card."""
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, m in enumerate(report.matches):
        pairs.setdefault((m.path, f"{m.upstream}:{m.upstream_path}"), []).append(i)
    if not pairs:
        return ""
    size = {k: sum(report.matches[i].end_line - report.matches[i].start_line + 1 for i in v)
            for k, v in pairs.items()}
    left = sorted({a for a, _ in pairs})
    right = sorted({b for _, b in pairs})
    first = {name: min(i for (a, b), ids in pairs.items() if name in (a, b) for i in ids)
             for name in left + right}
    y = lambda i: 30 + i * (_BOX_H + _GAP)
    height = y(max(len(left), len(right))) + 10
    top = max(size.values())
    rx = _WIDTH - _COL_W - 10
    parts = [f"<svg width=\"{_WIDTH}\" height=\"{height}\" "
             f"viewBox=\"0 0 {_WIDTH} {height}\" role=\"img\" aria-label=\"file map\">",
             "<text x=\"10\" y=\"16\" font-weight=\"bold\">this repository</text>",
             f"<text x=\"{rx}\" y=\"16\" font-weight=\"bold\">upstream</text>"]
    for (a, b), ids in sorted(pairs.items()):
        y1, y2 = y(left.index(a)) + _BOX_H / 2, y(right.index(b)) + _BOX_H / 2
        x1, x2 = 10 + _COL_W, rx
        n = size[(a, b)]
        parts.append(f"<a href=\"#{_card_id(ids[0])}\"><path d=\"M{x1} {y1} C{x1 + 120} {y1} "
                     f"{x2 - 120} {y2} {x2} {y2}\" stroke=\"#d9534f\" stroke-opacity=\"0.55\" "
                     f"stroke-width=\"{1 + 9 * n / top:.1f}\" fill=\"none\"><title>{escape(a)} ← "
                     f"{escape(b)}: {n} lines in {len(ids)} matches</title></path></a>")
    for col, x, names in ((0, 10, left), (1, rx, right)):
        for i, name in enumerate(names):
            parts.append(f"<a href=\"#{_card_id(first[name])}\"><rect x=\"{x}\" y=\"{y(i)}\" "
                         f"width=\"{_COL_W}\" height=\"{_BOX_H}\" rx=\"3\" "
                         f"fill=\"{'#eef3fb' if col else '#fbeeee'}\" stroke=\"#9aa5b1\"/>"
                         f"<text x=\"{x + 6}\" y=\"{y(i) + 15}\">{escape(_short(name))}"
                         f"<title>{escape(name)}</title></text></a>")
    parts.append("</svg>")
    rows = "".join(
        f"<tr><td><code>{escape(a)}</code></td><td><code>{escape(b)}</code></td>"
        f"<td>{size[(a, b)]}</td><td>" + " ".join(
            f"<a href=\"#{_card_id(i)}\">{report.matches[i].start_line}-"
            f"{report.matches[i].end_line}</a>" for i in ids) + "</td></tr>"
        for (a, b), ids in sorted(pairs.items()))
    return ("<h2 id=\"map\">Map of copied files</h2><p class=\"muted\">Each line joins a file "
            "of this repository to the upstream file it derives from; thicker lines carry more "
            "copied lines. Click a line, a file or a line range to open its match.</p>"
            + "".join(parts) + "<table><tr><th>this repository</th><th>upstream</th>"
            "<th>lines</th><th>matches (lines here)</th></tr>" + rows + "</table>")


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
            "are shaded and renamed identifiers <mark>marked</mark>. Side-by-sides longer than "
            f"{OPEN_ROWS} rows start collapsed.</p>"
            + "\n".join(_match(m, i) for i, m in enumerate(report.matches)))


def _match(m: Match, i: int) -> str:
    """One match card; its side-by-side is a <details>, open unless long."""
    head = (f"<h3>{escape(m.path)}:{m.start_line}-{m.end_line} ← {escape(m.upstream)}:"
            f"{escape(m.upstream_path)}:{m.upstream_start_line}-{m.upstream_end_line}</h3>"
            f"<p>similarity {m.similarity:.2f}, {escape(m.clone_type)}; "
            f"{escape(', '.join(m.names))} ← {escape(', '.join(m.upstream_names))}")
    if m.also_in:
        head += f"<br>also in: {escape(', '.join(m.also_in))}"
    head += "<br>" + _dates(m) + "</p>"
    renames = ""
    if m.renames:
        counts = [f" ×{n}" for n in m.rename_counts] if len(m.rename_counts) == len(m.renames) \
            else [""] * len(m.renames)
        renames = ("<p class=\"renames\">renamed: " + ", ".join(
            f"<code>{escape(a)}</code> → <code>{escape(b)}</code>{n}"
            for (a, b), n in zip(m.renames, counts)) + "</p>")
    rows = _aligned(m)
    state = " open" if len(rows) <= OPEN_ROWS else ""
    code = (f"<details{state}><summary>side by side, {len(rows)} rows</summary>"
            f"{_side_by_side(rows)}</details>")
    return (f"<section class=\"card\" id=\"{_card_id(i)}\"><div class=\"match\">{head}{renames}"
            f"{code}</div></section>")


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


def _side_by_side(aligned: list[Row]) -> str:
    """The rows as a fixed-layout table: the <col>s give the line numbers a few characters and
    the code the rest (under ``table-layout: fixed`` the first row would set them otherwise)."""
    rows = []
    for a, b in aligned:
        rows.append("<tr>" + (f"<td class=\"n\">{a.line}</td><td>{_marked(a)}</td>" if a
                              else "<td class=\"n\"></td><td></td>")
                    + (f"<td class=\"n\">{b.line}</td><td>{_marked(b, _UPSTREAM_MARK)}</td>"
                       if b else "<td class=\"n\"></td><td></td>") + "</tr>")
    return ("<table class=\"code\"><colgroup><col class=\"n\"><col><col class=\"n\"><col>"
            "</colgroup><tr><th colspan=\"2\">this repository</th><th colspan=\"2\">upstream</th>"
            "</tr>" + "".join(rows) + "</table>")


# -- leftovers and skips ----------------------------------------------------------------------

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
