# SPDX-License-Identifier: Apache-2.0
"""Report formatters: each a pure function ``Report -> str``, chosen by name."""
from __future__ import annotations

from typing import Callable

from ..errors import UsageError
from ..model import Report

SCHEMA_VERSION = 1


def _text(report: Report, **kw) -> str:
    from .text import render

    return render(report, **kw)


def _json(report: Report, **kw) -> str:
    from .json import render

    return render(report)


FORMATTERS: dict[str, Callable[..., str]] = {"text": _text, "json": _json}


def render(report: Report, name: str, **kw) -> str:
    try:
        formatter = FORMATTERS[name]
    except KeyError:
        raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATTERS)})") from None
    return formatter(report, **kw)
