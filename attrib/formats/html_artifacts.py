# SPDX-License-Identifier: Apache-2.0
"""The HTML report's model-artifact section: figures, problems, and inline SVG charts.

Every value comes from files of the audited repository and goes through
:func:`html.escape`; numbers that are not finite are drawn as 0.
"""
from __future__ import annotations

import math
from html import escape
from typing import Any


def _short(text: str, limit: int = 56) -> str:
    return text if len(text) <= limit else text[:20] + "…" + text[-(limit - 21):]


def artifacts(art: dict | None) -> str:
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
            out.append("<table>" + "".join(f"<tr><th>{escape(str(k))}</th><td>{_value(v)}"
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


def _value(v: Any) -> str:
    """A figure as HTML: a list as its items, a mapping as ``key → value`` lines, else the
    number or text (never a Python repr with its quotes and brackets)."""
    if isinstance(v, dict):
        return "<br>".join(f"<code>{escape(str(k))}</code> → {_items(x)}"
                           for k, x in v.items()) or "none"
    return _items(v) if isinstance(v, (list, tuple)) else escape(_num(v))


def _items(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(f"<code>{escape(_num(x))}</code>" for x in v) or "none"
    return f"<code>{escape(_num(v))}</code>"


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
