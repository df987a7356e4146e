# SPDX-License-Identifier: Apache-2.0
"""Report formatters: each a pure function ``Report -> str``, chosen by name."""
from __future__ import annotations

from typing import Callable

from ..errors import UsageError
from ..model import Report

SCHEMA_VERSION = 2  # 2: verbatim quoted lines with spans; renames as a list with counts


def _text(report: Report, **kw) -> str:
    from .text import render

    return render(report, **kw)


def _json(report: Report, **kw) -> str:
    from .json import render

    return render(report)


def _sarif(report: Report, **kw) -> str:
    from .sarif import render

    return render(report)


def _github(report: Report, **kw) -> str:
    from .github import render

    return render(report)


def _markdown(report: Report, **kw) -> str:
    from .markdown import render

    return render(report)


def _html(report: Report, **kw) -> str:
    from .html import render

    return render(report, **kw)


FORMATTERS: dict[str, Callable[..., str]] = {"text": _text, "json": _json, "sarif": _sarif,
                                             "github": _github, "markdown": _markdown,
                                             "html": _html}


def render(report: Report, name: str, **kw) -> str:
    try:
        formatter = FORMATTERS[name]
    except KeyError:
        raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATTERS)})") from None
    return formatter(report, **kw)
