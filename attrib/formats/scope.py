# SPDX-License-Identifier: Apache-2.0
"""What an obligation is about, and where an upstream line lives on the web.

Scope (issue 12, annotation floods): a licence obligation holds or fails for the
repository, for a file, or for a span of copied lines, and a report says it once
at that level, not at every match.

* repository: ``license-known``, ``license-text``, ``notice``, ``credit``,
  ``compatible``, ``authorship`` (one licence text, one NOTICE, one credit line
  serve every copied file);
* file: ``headers``, ``change-notice`` (each copied file carries its own);
* span: none of the checks; each match is span-level (``attrib/match``).

A check not listed (a project's own rule file may bring one) is file-level:
saying it once per file is the cautious middle.
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from ..model import Finding, Report, UpstreamInfo

REPOSITORY = "repository"
FILE = "file"
SCOPES = {"license-known": REPOSITORY, "license-text": REPOSITORY, "notice": REPOSITORY,
          "credit": REPOSITORY, "compatible": REPOSITORY, "authorship": REPOSITORY,
          "headers": FILE, "change-notice": FILE}
_SEVERITY = {"error": 0, "warning": 1, "info": 2}

Span = tuple[str, int, int, str, int, int]


def scope(f: Finding) -> str:
    return SCOPES.get(f.check, FILE)


def importance(f: Finding) -> tuple:
    """Sort key, most important first: severity, then the wider scope, then names."""
    return (_SEVERITY.get(f.severity, 3), scope(f) != REPOSITORY, f.upstream, f.rule)


def by_file(f: Finding) -> dict[str, list[Span]]:
    """The finding's spans grouped by suspect file (files it names without spans: empty)."""
    out: dict[str, list[Span]] = {p: [] for p in sorted(f.paths)}
    for span in sorted(f.spans):
        out.setdefault(span[0], []).append(span)
    return dict(sorted(out.items()))


def upstream_info(report: Report, name: str) -> UpstreamInfo | None:
    return next((u for u in report.upstreams if u.name == name), None)


def upstream_link(info: UpstreamInfo | None, path: str, start: int, end: int) -> str | None:
    """The web page of ``path`` lines ``start``-``end`` at the indexed commit, when known.

    GitHub (``/blob/COMMIT/PATH#L10-L20``) and GitLab (``/-/blob/COMMIT/PATH#L10-20``)
    forms; other hosts, or no URL or commit, give None (nothing navigable is known).
    """
    if info is None or not info.commit:
        return None
    url = info.url or info.location
    parts = urlsplit(url or "")
    if parts.scheme != "https" or parts.hostname not in ("github.com", "gitlab.com"):
        return None
    base = f"https://{parts.hostname}{parts.path.rstrip('/').removesuffix('.git')}"
    lines = ""
    if start >= 1:
        last = max(start, end)
        lines = f"#L{start}" + (f"-L{last}" if parts.hostname == "github.com" else f"-{last}")
    blob = "blob" if parts.hostname == "github.com" else "-/blob"
    return f"{base}/{blob}/{quote(info.commit, safe='')}/{quote(path, safe='/')}{lines}"
