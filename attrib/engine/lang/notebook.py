# SPDX-License-Identifier: Apache-2.0
"""Jupyter notebooks: their code cells read as one Python file, placed on the notebook's lines.

A notebook (nbformat 4, JSON) keeps each cell's source as a list of strings,
which Jupyter writes one per line.  The code cells are joined into one Python
text (a blank line between cells; IPython magics and shell escapes become
blank lines, since they are not Python) and parsed like any ``.py`` file.
Every line of that text is then put back on the line of the notebook that
holds it, so a match names ``notebook.ipynb:57`` and a reviewer opening the
file finds that code on line 57, JSON-quoted.  The quoted text of such a line
is its decoded string (``x = f(a)`` for ``    "x = f(a)\\n",``), which is what
Jupyter shows; the notebook's other lines (JSON, prose, outputs) are neither
quoted nor stored.

A notebook whose source strings do not sit one per line (one long string, or
minified JSON) maps each cell to the line where its source starts, and that line is quoted
as the file holds it.  Markdown
cells and outputs are not code; they are not read.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

_MAGIC = re.compile(r"\s*[%!]")
MAX_CELLS = 10_000


@dataclass(frozen=True)
class Extracted:
    """The code of a notebook and where each of its lines sits in the notebook."""

    code: str  # the code cells, joined
    lines: tuple[int, ...]  # 1-based notebook line of each code line
    file_lines: tuple[str, ...]  # the notebook's lines: code lines decoded, the others empty


def extract(text: str) -> Extracted:
    """The code cells of notebook ``text``; raises ValueError with a reason when it is none."""
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not a notebook (invalid JSON: {str(exc)[:80]})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a notebook (no list of cells: nbformat 4 is read)")
    if len(cells) > MAX_CELLS:
        raise ValueError(f"too many cells ({len(cells)} > {MAX_CELLS})")
    sources = [_source(c) for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    raw = text.split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    shown = [""] * len(raw)  # JSON, prose and outputs are not quoted (nor stored)
    code: list[str] = []
    where: list[int] = []
    at = 0  # the notebook line the search for the next source string starts from
    misses = 0  # strings not found one per line: past a few, the layout is another
    for cell in sources:
        if not cell:
            continue
        if code:
            code.append("")
            where.append(where[-1])
        start = at
        for piece in cell:
            found = _find(raw, piece, at) if misses < 8 else None
            if found is None:
                misses += 1  # not one string per line: the cell's lines share one place
                found = start if start < len(raw) else max(len(raw) - 1, 0)
            else:
                at = found + 1
                if "\n" not in piece.rstrip("\n"):  # one code line on this notebook line
                    shown[found] = piece.rstrip("\n").rstrip("\r")
                else:
                    shown[found] = raw[found].rstrip("\r")
            for part in _lines(piece):
                code.append("" if _MAGIC.match(part) else part)
                where.append(found + 1)
    return Extracted("\n".join(code) + ("\n" if code else ""), tuple(where), tuple(shown))


def _source(cell: dict) -> list[str]:
    source = cell.get("source", [])
    if isinstance(source, str):
        return [source] if source else []
    if isinstance(source, list):
        return [s for s in source if isinstance(s, str)]
    return []


def _lines(piece: str) -> list[str]:
    parts = piece.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts] or [""]


def _find(raw: list[str], piece: str, start: int) -> int | None:
    """The first line from ``start`` that is exactly this JSON string (a trailing comma allowed)."""
    want = json.dumps(piece)
    want_ascii = json.dumps(piece, ensure_ascii=False)
    for i in range(start, len(raw)):
        line = raw[i].strip()
        if line.endswith(","):
            line = line[:-1]
        if line == want or line == want_ascii:
            return i
        if line.startswith('"') and _decodes_to(line, piece):
            return i
    return None


def _decodes_to(line: str, piece: str) -> bool:
    try:
        return json.loads(line) == piece
    except ValueError:
        return False
