# SPDX-License-Identifier: Apache-2.0
"""``attrib notice --fix-headers``: the copied files' headers, the way REUSE reads them.

What a copy must keep at its top, and in which form (REUSE Specification 3.3,
https://reuse.software/spec-3.3/):

* the upstream's copyright notices (Apache-2.0 §4(c), MIT, BSD), each kept word
  for word behind an ``SPDX-FileCopyrightText:`` tag;
* one ``SPDX-License-Identifier`` line per file.  A file that combines the
  copier's licence with the upstream's says so in one SPDX expression
  (``MIT AND Apache-2.0``); a second identifier line would be a second,
  contradictory claim (SPDX Annex E allows one expression per tag);
* for a modified copy, a change notice (Apache-2.0 §4(b), GPL-3.0 §5(a)) that
  names the upstream by its public URL, else by its name; never by the path it
  was indexed from on this machine.

The upstream's licence boilerplate lines ("Licensed under the Apache License,
...") are not copied one by one: the SPDX expression states the licence, and
the licence texts go to ``LICENSES/`` (:mod:`attrib.notices`).
"""
from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .headers import HEADER_LINES, has_change_notice, leading_comments
from .licenses.expressions import _join, _normalise
from .model import Match, Report, UpstreamInfo
from .notices import upstream_source

# the tags are spelt in two halves so that REUSE does not read this module's own code as tags
LICENSE_TAG = "SPDX-License-" + "Identifier:"
COPYRIGHT_TAG = "SPDX-File" + "CopyrightText:"
_LICENSE_LINE = re.compile(re.escape(LICENSE_TAG) + r"[ \t]*(.*?)[ \t]*(?:\*/|-->)?[ \t]*$")
_ONLY_TAG = re.compile(r"^[ \t]*(?:#+|//+|/\*+|\*+|--|;+|<!--)?[ \t]*" + re.escape(LICENSE_TAG))
_COPYRIGHT = re.compile(r"copyright|\(c\)|©", re.I)
_SLASHES = {".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".c", ".cc", ".cpp", ".cxx", ".h",
            ".hh", ".hpp", ".java", ".go", ".rs", ".kt", ".swift", ".scala", ".cs"}
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")  # PEP 263: must stay on line 1 or 2


@dataclass
class Wanted:
    """What one copied file's header must say."""

    copyrights: list[str] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def wanted_headers(report: Report) -> dict[str, Wanted]:
    """Per copied file: the upstream copyright notices, licences and change notices it needs."""
    infos = {u.name: u for u in report.upstreams}
    wanted: dict[str, Wanted] = defaultdict(Wanted)
    for m in report.matches:
        want = wanted[m.path]
        for line in _copyrights(m):
            if line not in want.copyrights:
                want.copyrights.append(line)
        lic = _license_of(m, infos.get(m.upstream))
        if lic and lic not in want.licenses:
            want.licenses.append(lic)
        note = change_notice(m, infos.get(m.upstream))
        if m.clone_type != "exact" and note not in want.notes:
            want.notes.append(note)
    return dict(wanted)


def change_notice(m: Match, info: UpstreamInfo | None) -> str:
    source = upstream_source(info) if info else None
    return f"Modified from {m.upstream}" + (f" ({source})" if source else "") \
        + f", {m.upstream_path}."


def _copyrights(m: Match) -> list[str]:
    return [h for h in m.upstream_header if _COPYRIGHT.search(h) and LICENSE_TAG not in h]


def _license_of(m: Match, info: UpstreamInfo | None) -> str | None:
    """The copied upstream file's own SPDX header, else the upstream's licence."""
    for h in m.upstream_header:
        found = _LICENSE_LINE.search(h)
        if found and _normalise(found.group(1))[0]:
            return _normalise(found.group(1))[0]
    lic = info.license_for("code") if info else None
    return _normalise(lic)[0] if lic else None


def _expression(line: str) -> str:
    found = _LICENSE_LINE.search(line.rstrip())
    return found.group(1) if found else ""


def and_terms(expression: str) -> list[str]:
    """The top-level AND operands of a normalised expression (parenthesised groups kept)."""
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(expression):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and expression.startswith(" AND ", i):
            terms.append(expression[start:i])
            start = i + 5
    terms.append(expression[start:])
    return [t.strip() for t in terms if t.strip()]


def combined(existing: list[str], wanted: list[str]) -> tuple[str | None, str | None]:
    """(one expression for the file, or None if it needs none new; a problem, or None)."""
    terms: list[str] = []
    for expr in existing:
        spdx = _normalise(expr)[0]
        if spdx is None:
            return None, (f"its {LICENSE_TAG} {expr!r} is not a valid SPDX expression: "
                          "fix it by hand")
        terms += [t for t in and_terms(spdx) if t not in terms]
    new = [w for w in wanted if w not in terms]
    if not new and len(existing) == 1:
        return None, None
    return _join(terms + new), None


def rewrite(text: str, want: Wanted, prefix: str, own_license: str | None
            ) -> tuple[str | None, str | None]:
    """(the new text, or None if nothing is missing; a reason it cannot be fixed, or None)."""
    lines = text.splitlines(keepends=True)
    header = leading_comments(text)
    have = _norm(" ".join(t for _, t in header))
    # identifier lines of the header that hold nothing else (a code line is never removed)
    spdx_at = [n - 1 for n, t in header if t.startswith(LICENSE_TAG)
               and _ONLY_TAG.match(lines[n - 1])]
    existing = [_expression(lines[i]) for i in spdx_at]
    licenses = want.licenses if existing else [x for x in [own_license] if x] + want.licenses
    expression, problem = combined(existing, licenses)
    if problem:
        return None, problem
    added = [f"{COPYRIGHT_TAG} {c}" if not c.startswith(COPYRIGHT_TAG) else c
             for c in want.copyrights if _norm(c.replace(COPYRIGHT_TAG, "")) not in have]
    if expression and not spdx_at:
        added.append(f"{LICENSE_TAG} {expression}")
    if not has_change_notice(text):
        added += want.notes
    if not added and not expression:
        return None, None
    eol = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if expression and spdx_at:  # one identifier line, where the first one was
        line = lines[spdx_at[0]]
        end = line[len(line.rstrip("\r\n")):]
        lines[spdx_at[0]] = (line[:line.index(LICENSE_TAG)] + f"{LICENSE_TAG} {expression}"
                             + _closing(line) + end)
        for i in reversed(spdx_at[1:]):
            del lines[i]
    top = _top(lines)
    lines[top:top] = [f"{prefix}{ln}{eol}" for ln in added]
    return "".join(lines), None


def _closing(line: str) -> str:
    body = line.rstrip()
    return " */" if body.endswith("*/") else " -->" if body.endswith("-->") else ""


def _top(lines: list[str]) -> int:
    """Where the new header lines go: after a shebang and a PEP 263 coding line."""
    top = 1 if lines and lines[0].startswith("#!") else 0
    if len(lines) > top and top < 2 and _CODING.match(lines[top]):
        top += 1
    return top


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w@.©]+", " ", text.lower()).split())


def comment_prefix(path: Path) -> str:
    return "// " if path.suffix.lower() in _SLASHES else "# "


def fix_headers(root: Path, report: Report) -> tuple[list[str], list[tuple[str, str]]]:
    """Give each copied file the header REUSE and the upstream's licence ask for.

    Returns the paths changed, and (path, why) of those refused.  Only regular
    files under ``root`` that the report names are touched, never through a
    symlink (of the file or of a directory out of ``root``); each is rewritten
    atomically (:func:`attrib.safewrite.write_atomic`).  Running it again
    changes nothing.
    """
    from .errors import OutputError
    from .safewrite import write_atomic

    changed: list[str] = []
    refused: list[tuple[str, str]] = []
    for rel, want in sorted(wanted_headers(report).items()):
        path = root / rel
        why = _unfit(root, path)
        if why:
            refused.append((rel, why))
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            refused.append((rel, f"cannot read it ({getattr(exc, 'strerror', None) or exc})"))
            continue
        body, problem = rewrite(text, want, comment_prefix(path), report.project_license)
        if problem:
            refused.append((rel, problem))
        if body is None:
            continue
        try:
            write_atomic(path, body.encode("utf-8"), root=root, refuse_symlink=True)
        except OutputError as exc:
            refused.append((rel, str(exc)))
            continue
        changed.append(rel)
    return changed, refused


def header_licenses(root: Path, paths: list[str]) -> list[str]:
    """The SPDX expressions the header lines of ``paths`` (under ``root``) hold."""
    found = []
    for rel in paths:
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for line in text.splitlines()[:HEADER_LINES]:
            m = _LICENSE_LINE.search(line)
            if m and _normalise(m.group(1))[0]:
                found.append(_normalise(m.group(1))[0])
    return found


def _unfit(root: Path, path: Path) -> str | None:
    """Why ``path`` may not be rewritten in place, or None: a regular file inside ``root``."""
    if path.is_symlink():
        return "is a symbolic link"
    real, top = os.path.realpath(path), os.path.realpath(root)
    if not real.startswith(top.rstrip(os.sep) + os.sep):
        return "resolves outside the tree"
    if not path.is_file():
        return "is not a regular file"
    return None
