# SPDX-License-Identifier: Apache-2.0
"""The checks of the rules engine: one function per obligation, ``(Group, Context) -> Outcome``.

``attrib/compliance.py`` says what each check means and turns their outcomes
into findings and verdicts; this module holds what they read (the scanned
tree, lazily) and the checks themselves.
"""
from __future__ import annotations

import fnmatch
import re
import time
from bisect import bisect_right
from itertools import accumulate
from dataclasses import dataclass, field
from typing import Callable

from . import credit as credits
from . import history
from .config import Config
from .headers import has_change_notice, leading_comments
from .model import Match, Source, UpstreamInfo
from .rules import RuleSet

# a file whose whole content is credit: a name anywhere in it credits
_CREDIT_FILE = re.compile(r"^(NOTICE|CREDITS|AUTHORS|THANKS|CONTRIBUTORS|THIRD[-_]?PARTY|"
                          r"ACKNOWLEDG)", re.I)
_DOC_DIRS = ("docs/", "doc/")
_DOC_EXT = re.compile(r"\.(md|markdown|rst|txt|adoc)$", re.I)
_MAX_DOCS = 200
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|;|%|<!--|\"\"\"|\'\'\')")
LICENSE_FILES = re.compile(r"^(LICEN[CS]E|COPYING|UNLICENSE)([-._][^/]*)?$|^LICENSES/[^/]+$", re.I)
NOTICE_FILES = re.compile(r"^(NOTICE|THIRD[-_]PARTY[^/]*|CREDITS|ACKNOWLEDG[^/]*)(\.[^/]*)?$", re.I)
READ_LIMIT = 2_000_000  # bytes of a credit or licence file that are read



@dataclass
class Outcome:
    """What a check found: passed (True/False/None for unknown), and why."""

    passed: bool | None
    message: str
    paths: tuple[str, ...] = ()
    fix_detail: str = ""
    basis: str = ""  # credit | vacuous | "": see the module docstring


@dataclass
class Context:
    """Everything a check may look at, computed once per scan."""

    source: Source
    config: Config
    rules: RuleSet
    project_license: str | None
    license_files: dict[str, str | None]  # path -> detected SPDX expression
    texts: dict[str, str] = field(default_factory=dict)  # path -> text, read lazily
    _own: set[str] | None = field(default=None, repr=False)
    _rewritten: dict[str, str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.by_path = {f.path: f for f in self.source.files}

    def text(self, path: str) -> str:
        if path not in self.texts:
            f = self.by_path.get(path)
            self.texts[path] = decode(f.data[:READ_LIMIT]) if f else ""
        return self.texts[path]

    def credit_paths(self) -> list[str]:
        """Files where the project gives credit: the ``credit.files`` globs, matched without
        regard to case (``readme.md``, ``Readme.rst``), and the text files under docs/."""
        globs = [g.lower() for g in self.config.credit_files]
        found = sorted(p for p in self.by_path if any(fnmatch.fnmatch(p.lower(), g) for g in globs))
        docs = sorted(p for p in self.by_path
                      if p.lower().startswith(_DOC_DIRS) and _DOC_EXT.search(p))[:_MAX_DOCS]
        return found + [p for p in docs if p not in found]

    def notice_paths(self) -> list[str]:
        return sorted(p for p in self.by_path if NOTICE_FILES.match(p))

    def own_names(self) -> set[str]:
        """What the scanned project calls itself: not credit when an upstream has the same name."""
        if self._own is None:
            import posixpath

            meta = {p: self.text(p) for p in self.by_path if "/" not in p and (
                p.lower() in ("pyproject.toml", "setup.cfg", "setup.py", "package.json",
                              "cargo.toml") or p.lower().startswith("readme"))}
            root = posixpath.basename(str(self.source.url or self.source.root).rstrip("/"))
            self._own = credits.own_names(root.removesuffix(".git"), meta)
        return self._own

    def rewritten(self) -> dict[str, str]:
        """The scanned history's commits with hand-set dates (read once, only when asked)."""
        if self._rewritten is None:
            self._rewritten = history.rewritten_commits(self.source.root, self.source.commit)
        return self._rewritten


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@dataclass(frozen=True)
class Group:
    """The matches of one upstream, and what it is."""

    upstream: UpstreamInfo
    matches: tuple[Match, ...]

    @property
    def lines(self) -> int:
        """Distinct suspect lines the matches cover (overlapping spans counted once)."""
        total, last = 0, ("", 0)  # the path and the last line counted there
        for path, start, end in sorted((m.path, m.start_line, m.end_line) for m in self.matches):
            if path != last[0]:
                last = (path, 0)
            if end > last[1]:
                total += end - max(start, last[1] + 1) + 1
                last = (path, end)
        return total

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted({m.path for m in self.matches}))


# ---------------------------------------------------------------- the checks

def _license_known(group: Group, ctx: Context) -> Outcome:
    lic = group.upstream.license_for("code")
    if lic and lic not in ("NOASSERTION", "NONE"):
        return Outcome(True, f"{group.upstream.name} is licensed {lic}")
    return Outcome(False, f"{group.upstream.name} has no licence attrib could find: the code was "
                          "copied without any permission to do so", group.paths)


def _license_text(group: Group, ctx: Context) -> Outcome:
    """The licence text ships with the copy; for notice licences, with the upstream's holders.

    MIT, BSD and ISC ask for "the above copyright notice and this permission
    notice": a copier's own MIT file with its own name on it does not carry
    the upstream's.
    """
    wanted = group.upstream.license_for("code")
    if not wanted:
        return Outcome(None, "the upstream licence is unknown")
    from .licenses import detect_license_text

    ids = _ids(wanted)
    found = [p for p, spdx in sorted(ctx.license_files.items()) if spdx and ids & _ids(spdx)]
    for path in ctx.notice_paths():  # a THIRD_PARTY_NOTICES that carries the full text
        spdx = detect_license_text(ctx.text(path), path).spdx
        if spdx and ids & _ids(spdx):
            found.append(path)
    found += [p for p in group.paths if _header_license(ctx.text(p), ids)]
    if found and not _notice_license(wanted):
        return Outcome(True, f"{found[0]} holds the {wanted} text")
    if found:
        # a copyright line that names no one ("Copyright (c) 2017") is kept by anyone's:
        # keeping it credits no one (matching-networks)
        holders = [h for h in group.upstream.copyrights if credits.holder_names([h])]
        where = found + ctx.notice_paths() + list(group.paths)
        have = [line for p in where for line in ctx.text(p).splitlines()]
        lost = [h for h in holders if not _kept(h, have)]
        if not lost:  # for MIT/BSD/ISC the kept copyright notice is the credit
            return Outcome(True, f"{found[0]} holds the {wanted} text"
                                 + (" with the upstream's copyright notice" if holders else ""),
                           basis="credit" if holders else "")
        theirs = [ln.strip() for ln in ctx.text(found[0]).splitlines()
                  if re.match(r"\W*copyright\b", ln, re.I)][:3]
        instead = f" (it says {'; '.join(repr(t) for t in theirs)} instead)" if theirs else ""
        return Outcome(False, f"the {wanted} text is there ({', '.join(found)}) but not "
                              f"{group.upstream.name}'s copyright notice "
                              f"{'; '.join(repr(h) for h in lost)}{instead}: the notice is the "
                              "credit", group.paths,
                       "Lines to add to your LICENSE or THIRD_PARTY_NOTICES, with the "
                       f"{wanted} text:\n" + _indent("\n".join(lost)))
    have = ", ".join(f"{p} ({s or 'unrecognised'})" for p, s in sorted(ctx.license_files.items()))
    return Outcome(False, f"no copy of the {wanted} licence text in the repository"
                          + (f" (licence files: {have})" if have else " (no licence file at all)"),
                   group.paths)


def _header_license(text: str, ids: set[str]) -> bool:
    """Whether a copied file's own leading comment carries the licence's full text.

    gorp's files carried the whole MIT text and copyright line in their headers
    (beside gorp's own BSD notice), which is the very copy MIT asks for
    ("included in all copies or substantial portions"), though no LICENSE file
    held it.  An SPDX line or a "licensed under" sentence does not carry a text.
    """
    from .licenses.texts import full_texts

    header = "\n".join(t for _, t in leading_comments(text, 120))
    # a versioned text's key has no suffix (GPL-3.0 for GPL-3.0-only and -or-later)
    return any(i == k or i.startswith(k + "-") for k in full_texts(header) for i in ids)


def _notice_license(spdx: str) -> bool:
    """Licences whose condition is keeping the copyright notice with the permission text."""
    return bool(_ids(spdx) & {"MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC", "BSL-1.0", "Zlib"})


def _ids(expression: str) -> set[str]:
    return {t for t in re.split(r"[\s()]+", expression) if t and t.upper() not in ("AND", "OR", "WITH")}


def _notice(group: Group, ctx: Context) -> Outcome:
    notice = (group.upstream.notice or "").strip()
    if not notice:
        return Outcome(True, f"{group.upstream.name} has no NOTICE file to carry (not evidence of "
                             "credit)", basis="vacuous")
    wanted = [_norm(line) for line in notice.splitlines() if _norm(line)]
    for path in ctx.notice_paths() + ctx.credit_paths():
        have = _norm(ctx.text(path))
        if wanted and sum(1 for w in wanted if w in have) >= 0.8 * len(wanted):
            return Outcome(True, f"{path} carries {group.upstream.name}'s NOTICE", basis="credit")
    return Outcome(False, f"{group.upstream.name}'s NOTICE is not carried (no NOTICE file holds "
                          "its content)", group.paths,
                   fix_detail="Lines to add:\n" + _indent(notice))


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w@.©]+", " ", text.lower()).split())


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _headers(group: Group, ctx: Context) -> Outcome:
    """The upstream's copyright lines are kept with each copied file.

    For MIT, BSD, ISC and the like the condition is that the copyright notice
    ships with the copies, so a line the project's licence or notice file keeps
    is kept (strsim carries the levenshtein-rs holder beside the MIT text in its
    LICENSE, the fix its upstream accepted); Apache-2.0 §4(c) and the copyleft
    licences ask for the notices in the derived source files themselves.
    """
    missing: dict[str, list[str]] = {}
    lic = group.upstream.license_for("code") or ""
    shipped_in = sorted(ctx.license_files) + ctx.notice_paths() if _notice_license(lic) else []
    shipped = [line for p in shipped_in for line in ctx.text(p).splitlines()]
    elsewhere: set[str] = set()
    for m in group.matches:
        wanted = _holder_lines(m.upstream_header)
        if not wanted:
            continue
        have = [t for _, t in leading_comments(ctx.text(m.path))]
        lost = [h for h in wanted if not _kept(h, have)]
        if lost and shipped and all(_kept(h, shipped) for h in lost):
            elsewhere.add(m.path)
            continue
        if lost:
            missing.setdefault(m.path, [])
            missing[m.path] += [h for h in lost if h not in missing[m.path]]
    with_lines = {m.path for m in group.matches if _holder_lines(m.upstream_header)}
    if not with_lines:
        return Outcome(True, "the copied upstream files carry no copyright headers (nothing to "
                             "keep: not evidence of credit)", basis="vacuous")
    kept = "credit" if with_lines - set(missing) else ""  # a file that kept them credits
    if not missing:
        if elsewhere:
            where = ", ".join(p for p in shipped_in if all(
                _kept(h, ctx.text(p).splitlines()) for m in group.matches if m.path in elsewhere
                for h in _holder_lines(m.upstream_header))) \
                or ", ".join(shipped_in)
            return Outcome(True, f"the upstream copyright lines ship in {where} ({lic} asks "
                                 "that the notice go with the copies, not that it stay in each "
                                 "file)", basis=kept)
        return Outcome(True, "the copied files keep the upstream copyright lines", basis=kept)
    detail = "\n".join(f"{path}: add to its header\n" + _indent("\n".join(lines))
                       for path, lines in sorted(missing.items()))
    return Outcome(False, f"{len(missing)} copied file(s) dropped the upstream copyright lines: "
                          + ", ".join(sorted(missing)), tuple(sorted(missing)), detail, kept)


def _kept(line: str, lines: list[str]) -> bool:
    """Whether ``lines`` keep the copyright line ``line``: the line itself, or a copyright
    line naming each of its holders (a notice carried over changes its years and commas:
    linux-list's LICENSE keeps "Copyright (c) 2012-2016, Sven Eckelmann" as "Copyright (C)
    2018 Sven Eckelmann", the fix its upstream asked for)."""
    if _norm(line) in _norm(" ".join(lines)):
        return True
    holders = [_norm(h) for h in credits.holder_names([line])]
    notices = [f" {_norm(t)} " for t in lines if credits.is_copyright_line(t)]
    return bool(holders) and all(any(f" {h} " in n for n in notices) for h in holders)


def _holder_lines(header: tuple[str, ...]) -> list[str]:
    """The copyright lines of a header that name a holder (a bare "Copyright (c) 2017",
    whose author sits on another line, is in every copy of the template and proves nothing)."""
    return [h for h in header if re.search(r"copyright|\(c\)|©", h, re.I)
            and credits.holder_names([h])]


def _change_notice(group: Group, ctx: Context) -> Outcome:
    modified = sorted({m.path for m in group.matches if m.clone_type != "exact"})
    if not modified:
        return Outcome(True, "the copies are unmodified", basis="vacuous")
    silent = [p for p in modified if not has_change_notice(ctx.text(p))]
    if not silent:
        return Outcome(True, "the modified copies say they were modified")
    return Outcome(False, f"{len(silent)} modified copied file(s) do not state the change: "
                          + ", ".join(silent), tuple(silent))


def _credit(group: Group, ctx: Context) -> Outcome:
    """The upstream named as a source (attrib/credit.py), quoted at path:line."""
    info = group.upstream
    headers = [h for m in group.matches for h in m.upstream_header]
    authors = sorted({m.upstream_author for m in group.matches if m.upstream_author})
    own = ctx.own_names()
    # the authors its files' headers name too: a copy that keeps "@author: utkarsh" atop each
    # file keeps its author's credit there
    found = credits.needles(info.name, info.url, credits.holder_names(list(info.copyrights)
                                                                      + headers), authors, own,
                            credits.authorship_names(headers))
    paths = ctx.credit_paths() + [p for p in ctx.notice_paths() if p not in ctx.credit_paths()]
    project = [c for p in paths for c in credits.find_credits(
        p, ctx.text(p), found, bool(_CREDIT_FILE.match(p.rsplit("/", 1)[-1])))]
    if project:
        return Outcome(True, f"{info.name} is credited: " + _quotes(project), basis="credit")
    in_file = {p: c for p in group.paths if (c := credits.find_comment_credits(
        p, _comment_lines(ctx.text(p)), found))}
    silent = tuple(p for p in group.paths if p not in in_file)
    quoted = _quotes([c for cs in in_file.values() for c in cs])
    if in_file and not silent:
        return Outcome(True, f"each copied file credits {info.name}: {quoted}", basis="credit")
    looked = (f"looked in {', '.join(paths) or 'no README, NOTICE, CREDITS or docs file'} and in "
              f"the {len(group.paths)} copied file(s) for "
              + ", ".join(f"{n.kind} {n.text!r}" for n in found))
    if not any(n.kind == "name" for n in found):
        looked += f" (its name {info.name!r} is this project's own name: not a credit)"
    if in_file:
        return Outcome(False, f"{info.name} is credited only inside {quoted}; not for "
                              f"{', '.join(silent)} ({looked})", silent, basis="credit")
    return Outcome(False, f"no credit to {info.name}: {looked}", group.paths)


def _comment_lines(text: str) -> list[tuple[int, str]]:
    """Comment lines and crediting sentences of a copied file (a docstring's too).

    A fork's few hundred copied files are a hundred thousand lines, and the crediting
    regex on each was a third of its scan: only lines holding one of the words every
    crediting phrase has (``_CREDIT_WORDS``) are searched, which finds the same lines."""
    lines = text.splitlines()
    maybe = _maybe_crediting(text, lines)
    # the header's authorship lines too, a docstring's "@author: jane" among them
    maybe |= {i for i, t in leading_comments(text) if credits.is_authorship_line(t)}
    return [(i, ln) for i, ln in enumerate(lines, 1)
            if _COMMENT.match(ln) or (i in maybe and (credits.CREDITING.search(ln)
                                                       or credits.is_authorship_line(ln)))]


# every alternative of credit.CREDITING holds one of these (lowercase): a line without any
# cannot match it
_CREDIT_WORDS = ("based", "adapted", "derive", "includ", "code", "portion", "part", "fork",
                 "port", "copied", "taken", "borrowed", "modified", "originally", "vendored",
                 "credit", "thanks", "courtesy", "built", "reimplementation")


def _maybe_crediting(text: str, lines: list[str]) -> set[int]:
    """Line numbers (1-based) that hold a crediting word."""
    if not text.isascii():  # lower() may change lengths: look line by line
        return {i for i, ln in enumerate(lines, 1)
                if any(w in ln.lower() for w in _CREDIT_WORDS)}
    low = text.lower()
    starts = list(accumulate((len(ln) for ln in text.splitlines(keepends=True)), initial=0))
    found: set[int] = set()
    for word in _CREDIT_WORDS:
        at = low.find(word)
        while at >= 0:
            found.add(bisect_right(starts, at))
            at = low.find(word, at + 1)
    return found


def _quotes(found: list[credits.Credit]) -> str:
    return "; ".join(c.quote() for c in found[:3]) + (f"; and {len(found) - 3} more"
                                                       if len(found) > 3 else "")


def _compatible(group: Group, ctx: Context) -> Outcome:
    upstream = group.upstream.license_for("code")
    if not upstream:
        return Outcome(None, "the upstream licence is unknown")
    if not ctx.project_license:
        return Outcome(None, f"the project's own licence is unknown; {upstream} code needs one "
                             "compatible with it")
    ok, why = ctx.rules.compatible(upstream, ctx.project_license)
    if ok is None:
        return Outcome(None, f"no compatibility data for {upstream} in {ctx.project_license}")
    if ok:
        return Outcome(True, f"{upstream} code may be used in a {ctx.project_license} project")
    return Outcome(False, f"{upstream} code inside a {ctx.project_license} project: {why}",
                   group.paths)


def _authorship(group: Group, ctx: Context) -> Outcome:
    """Both histories, per matched file: who had it first, and commits that rewrite that."""
    histories = history.file_histories(group.matches)
    way, why = history.direction(histories)
    name = group.upstream.name
    files = "\n".join("  " + h.line() for h in histories[:20])
    dated = tuple(h.path for h in histories if h.date)
    if way == history.UNKNOWN:
        return Outcome(None, f"{why}:\n{files}")
    reauthored = [h for h in histories if h.reauthored]
    if reauthored:
        return Outcome(False, f"history re-authored: {len(reauthored)} file(s) hold {name}'s "
                              f"content with its exact commit dates but another author:\n"
                              + "\n".join("  " + h.line() for h in reauthored[:20]),
                       tuple(h.path for h in reauthored))
    claimed = history.claimed_priority(histories, ctx.rewritten())
    if claimed:
        return Outcome(False, f"claimed priority: the copies are dated before {name}'s only by "
                              "commits whose dates were set by hand:\n"
                              + "\n".join("  " + c for c in claimed[:20]), dated)
    if way == history.SUSPECT_FIRST:
        return Outcome(True, f"{why}; {name} had it later:\n{files}")
    later = [h for h in histories if h.older == history.UPSTREAM_FIRST
             and (h.author or "") != (h.upstream_author or "")]
    if not later:
        return Outcome(True, f"the history does not claim the copied code as this project's own "
                             f"({why}):\n{files}")
    return Outcome(False, "copied code committed as the suspect's own, after the upstream had "
                          "it:\n" + "\n".join("  " + h.line() for h in later[:20]), dated)


def _day(stamp: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(stamp))


CHECKS: dict[str, Callable[[Group, Context], Outcome]] = {
    "license-known": _license_known,
    "license-text": _license_text,
    "notice": _notice,
    "headers": _headers,
    "change-notice": _change_notice,
    "credit": _credit,
    "compatible": _compatible,
    "authorship": _authorship,
}
