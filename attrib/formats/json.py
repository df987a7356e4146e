# SPDX-License-Identifier: Apache-2.0
"""JSON report: stable keys, sorted, with ``schema_version``."""
from __future__ import annotations

import json
from dataclasses import asdict, fields

from .. import __version__
from ..model import Match, QuotedLine, Report


def match_dict(m: Match) -> dict:
    # field by field rather than asdict(): asdict deep-copies every quoted line, and a
    # fork's report quotes thousands of them
    d = {f.name: getattr(m, f.name) for f in fields(m) if f.name != "rename_counts"}
    counts = m.rename_counts if len(m.rename_counts) == len(m.renames) else (None,) * len(m.renames)
    d["renames"] = [{"upstream": a, "suspect": b, "count": n}
                    for (a, b), n in zip(m.renames, counts)]
    d["excerpt"] = [quoted_dict(q) for q in m.excerpt]
    d["upstream_excerpt"] = [quoted_dict(q) for q in m.upstream_excerpt]
    d["evidence"] = [asdict(e) for e in m.evidence]
    d["names"] = list(m.names)
    d["upstream_names"] = list(m.upstream_names)
    d["also_in"] = list(m.also_in)
    d["upstream_header"] = list(m.upstream_header)
    d["alignment"] = [list(p) for p in m.alignment]
    return d


def quoted_dict(q: QuotedLine) -> dict:
    """One quoted line: its number, the file's own text, and the matched column ranges."""
    return {"line": q.line, "text": q.text, "spans": [list(s) for s in q.spans],
            "renamed": [list(s) for s in q.renamed]}


def report_dict(report: Report) -> dict:
    from . import SCHEMA_VERSION

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "attrib", "version": __version__},
        "target": report.target,
        "matches": [match_dict(m) for m in report.matches],
        "files": [{"path": f.path, "lines": f.lines, "derived_lines": f.derived_lines,
                   "share": round(f.derived_lines / f.lines, 3) if f.lines else 0.0,
                   "upstreams": dict(f.upstreams)} for f in report.files],
        "upstreams": [asdict(u) for u in report.upstreams],
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "project_license": report.project_license,
        "verdicts": [asdict(v) for v in report.verdicts],
        "findings": [asdict(f) for f in report.findings],
        "failed": report.failed,
        "stats": {k: round(v, 4) for k, v in sorted(report.stats.items())},
    }


def render(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, sort_keys=False) + "\n"
