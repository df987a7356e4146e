# SPDX-License-Identifier: Apache-2.0
"""The rules engine: do the matched copies carry what their upstream's licence requires?

For each upstream the scan matched, the rules that apply (by licence, licence
family, upstream and amount copied; ``rules/*.yaml``) name obligations; each
obligation is a *check* here, run against the scanned tree:

=============  ==============================================================
license-known  the upstream has a licence at all (no licence: no permission)
license-text   the licence text ships with the copy (Apache-2.0 §4(a), MIT, BSD)
notice         the upstream's NOTICE content is carried (Apache-2.0 §4(d))
headers        the copied files keep the upstream file's copyright lines (§4(c))
change-notice  modified copies say they were modified (Apache-2.0 §4(b))
credit         README/NOTICE/CREDITS/... name the upstream (a policy)
compatible     the upstream's licence may be used under the project's licence
authorship     the suspect's history shows the code arriving after the upstream
=============  ==============================================================

A check returns pass, fail or unknown with a specific message; a failure
gets the rule's fix with the exact lines to add.  A project's resolutions
(``.attrib.yaml``) turn a failure at a path and line range into
``resolved``.  The verdict per upstream follows from the credit obligations.
"""
from __future__ import annotations

import datetime
import fnmatch
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from .config import Config
from .headers import has_change_notice, leading_comments
from .model import Finding, Match, Source, UpstreamInfo, Verdict
from .rules import Rule, RuleSet

# the obligations that together make "credit" in the verdict's sense
CREDIT_CHECKS = ("license-text", "notice", "headers", "credit", "change-notice")
LICENSE_FILES = re.compile(r"^(LICEN[CS]E|COPYING|UNLICENSE)([-._][^/]*)?$|^LICENSES/[^/]+$", re.I)
NOTICE_FILES = re.compile(r"^(NOTICE|THIRD[-_]PARTY[^/]*|CREDITS|ACKNOWLEDG[^/]*)(\.[^/]*)?$", re.I)
_READ_LIMIT = 2_000_000  # bytes of a credit or licence file that are read


@dataclass
class Outcome:
    """What a check found: passed (True/False/None for unknown), and why."""

    passed: bool | None
    message: str
    paths: tuple[str, ...] = ()
    fix_detail: str = ""


@dataclass
class Context:
    """Everything a check may look at, computed once per scan."""

    source: Source
    config: Config
    rules: RuleSet
    project_license: str | None
    license_files: dict[str, str | None]  # path -> detected SPDX expression
    texts: dict[str, str] = field(default_factory=dict)  # path -> text, read lazily

    def __post_init__(self) -> None:
        self.by_path = {f.path: f for f in self.source.files}

    def text(self, path: str) -> str:
        if path not in self.texts:
            f = self.by_path.get(path)
            self.texts[path] = _decode(f.data[:_READ_LIMIT]) if f else ""
        return self.texts[path]

    def credit_paths(self) -> list[str]:
        """Files where the project gives credit (config ``credit.files`` globs)."""
        return sorted(p for p in self.by_path
                      if any(fnmatch.fnmatch(p, g) for g in self.config.credit_files))

    def notice_paths(self) -> list[str]:
        return sorted(p for p in self.by_path if NOTICE_FILES.match(p))


def _decode(data: bytes) -> str:
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
        spans = {(m.path, n) for m in self.matches for n in range(m.start_line, m.end_line + 1)}
        return len(spans)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted({m.path for m in self.matches}))


def check_report(matches: tuple[Match, ...], upstreams: dict[str, UpstreamInfo], source: Source,
                 rules: RuleSet, config: Config,
                 today: datetime.date | None = None) -> tuple[list[Finding], list[Verdict], str | None]:
    """Findings and verdicts for every upstream with matches; and the project's licence."""
    from .licenses import detect_tree

    from .licenses import detect_license_text

    tree = detect_tree(source)
    project_license = config.license or tree.spdx
    license_files = {f.path: detect_license_text(_decode(f.data[:_READ_LIMIT]), f.path).spdx
                     for f in source.files if LICENSE_FILES.match(f.path)}
    ctx = Context(source, config, rules, project_license, license_files)
    today = today or datetime.date.today()
    by_upstream: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        by_upstream[m.upstream].append(m)
    findings: list[Finding] = []
    verdicts: list[Verdict] = []
    for name in sorted(by_upstream):
        info = upstreams.get(name) or UpstreamInfo(name, name, None, None, None)
        group = Group(info, tuple(by_upstream[name]))
        found = [_finding(rule, group, ctx, today)
                 for rule in rules.applicable(info.license_for("code"), name, group.lines, "code")]
        findings += found
        verdicts.append(verdict(group, found))
    return findings, verdicts, project_license


def _finding(rule: Rule, group: Group, ctx: Context, today: datetime.date) -> Finding:
    ob = rule.obligation
    outcome = CHECKS[ob.check](group, ctx)
    severity = ctx.config.credit_severity if ob.check == "credit" else ob.severity
    status = {True: "pass", False: "fail", None: "unknown"}[outcome.passed]
    resolution = None
    if status == "fail":
        resolution = _resolution(rule.id, group, outcome.paths, ctx.config, today)
        if resolution:
            status = "resolved"
    fix = ""
    if status == "fail":
        fix = _fix(ob.fix, group, ctx, outcome)
    concerned = set(outcome.paths or group.paths)
    spans = tuple((m.path, m.start_line, m.end_line, m.upstream_path, m.upstream_start_line,
                   m.upstream_end_line) for m in group.matches if m.path in concerned)
    return Finding(rule.id, ob.check, severity, group.upstream.name, status, ob.citation,
                   ob.summary, outcome.message, fix, outcome.paths, resolution, spans)


def _fix(template: str, group: Group, ctx: Context, outcome: Outcome) -> str:
    info = group.upstream
    values = {"upstream": info.name, "url": info.url or info.location,
              "license": info.license_for("code") or "its licence",
              "notice_file": (ctx.notice_paths() or ["NOTICE"])[0],
              "paths": ", ".join(outcome.paths or group.paths)}
    try:
        text = template.format(**values)
    except (KeyError, IndexError, ValueError):
        text = template
    return (text + ("\n" + outcome.fix_detail if outcome.fix_detail else "")).strip()


def _resolution(rule_id: str, group: Group, paths: tuple[str, ...], config: Config,
                today: datetime.date) -> str | None:
    """A project resolution that covers every span this failure concerns."""
    spans = [(m.path, m.start_line, m.end_line) for m in group.matches
             if not paths or m.path in paths] or [(p, 1, 1) for p in paths]
    found = [config.resolution_for(rule_id, p, a, b, today) for p, a, b in spans]
    r = found[0] if found and all(found) else None
    if r is None:
        return None
    return f"{r.reason}: {r.comment}" if r.comment else r.reason


def verdict(group: Group, findings: list[Finding]) -> Verdict:
    """copy with credit: nothing fails; copy without credit: no credit obligation holds."""
    passed = tuple(f.rule for f in findings if f.status in ("pass", "resolved"))
    failed = tuple(f.rule for f in findings if f.status == "fail" and f.severity != "info")
    credit = [f for f in findings if f.check in CREDIT_CHECKS]
    if not failed:
        word = "copy with credit"
    elif credit and not any(f.status in ("pass", "resolved") for f in credit):
        word = "copy without credit"
    else:
        word = "partial"
    return Verdict(group.upstream.name, group.upstream.license_for("code"), word, group.lines,
                   passed, failed)


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
    if found and not _notice_license(wanted):
        return Outcome(True, f"{found[0]} holds the {wanted} text")
    if found:
        holders = group.upstream.copyrights
        where = found + ctx.notice_paths() + list(group.paths)
        have = _norm(" ".join(ctx.text(p) for p in where))
        lost = [h for h in holders if _norm(h) not in have]
        if not lost:
            return Outcome(True, f"{found[0]} holds the {wanted} text"
                                 + (" with the upstream's copyright notice" if holders else ""))
        return Outcome(False, f"the {wanted} text is there ({', '.join(found)}) but not "
                              f"{group.upstream.name}'s copyright notice", group.paths,
                       "Lines to add to your LICENSE or THIRD_PARTY_NOTICES, with the "
                       f"{wanted} text:\n" + _indent("\n".join(lost)))
    have = ", ".join(f"{p} ({s or 'unrecognised'})" for p, s in sorted(ctx.license_files.items()))
    return Outcome(False, f"no copy of the {wanted} licence text in the repository"
                          + (f" (licence files: {have})" if have else " (no licence file at all)"),
                   group.paths)


def _notice_license(spdx: str) -> bool:
    """Licences whose condition is keeping the copyright notice with the permission text."""
    return bool(_ids(spdx) & {"MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC", "BSL-1.0", "Zlib"})


def _ids(expression: str) -> set[str]:
    return {t for t in re.split(r"[\s()]+", expression) if t and t.upper() not in ("AND", "OR", "WITH")}


def _notice(group: Group, ctx: Context) -> Outcome:
    notice = (group.upstream.notice or "").strip()
    if not notice:
        return Outcome(True, f"{group.upstream.name} has no NOTICE file to carry")
    wanted = [_norm(line) for line in notice.splitlines() if _norm(line)]
    for path in ctx.notice_paths() + ctx.credit_paths():
        have = _norm(ctx.text(path))
        if wanted and sum(1 for w in wanted if w in have) >= 0.8 * len(wanted):
            return Outcome(True, f"{path} carries {group.upstream.name}'s NOTICE")
    return Outcome(False, f"{group.upstream.name}'s NOTICE is not carried (no NOTICE file holds "
                          "its content)", group.paths,
                   fix_detail="Lines to add:\n" + _indent(notice))


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w@.©]+", " ", text.lower()).split())


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _headers(group: Group, ctx: Context) -> Outcome:
    missing: dict[str, list[str]] = {}
    for m in group.matches:
        wanted = [h for h in m.upstream_header if re.search(r"copyright|\(c\)|©", h, re.I)]
        if not wanted:
            continue
        have = _norm(" ".join(t for _, t in leading_comments(ctx.text(m.path))))
        lost = [h for h in wanted if _norm(h) not in have]
        if lost:
            missing.setdefault(m.path, [])
            missing[m.path] += [h for h in lost if h not in missing[m.path]]
    if not any(m.upstream_header for m in group.matches):
        return Outcome(True, "the copied upstream files carry no copyright headers")
    if not missing:
        return Outcome(True, "the copied files keep the upstream copyright lines")
    detail = "\n".join(f"{path}: add to its header\n" + _indent("\n".join(lines))
                       for path, lines in sorted(missing.items()))
    return Outcome(False, f"{len(missing)} copied file(s) dropped the upstream copyright lines: "
                          + ", ".join(sorted(missing)), tuple(sorted(missing)), detail)


def _change_notice(group: Group, ctx: Context) -> Outcome:
    modified = sorted({m.path for m in group.matches if m.clone_type != "exact"})
    if not modified:
        return Outcome(True, "the copies are unmodified")
    silent = [p for p in modified if not has_change_notice(ctx.text(p))]
    if not silent:
        return Outcome(True, "the modified copies say they were modified")
    return Outcome(False, f"{len(silent)} modified copied file(s) do not state the change: "
                          + ", ".join(silent), tuple(silent))


def _credit(group: Group, ctx: Context) -> Outcome:
    needles = _credit_needles(group.upstream)
    for path in ctx.credit_paths() + ctx.notice_paths():
        text = ctx.text(path).lower()
        squashed = re.sub(r"[^a-z0-9]", "", text)
        if any(n in text or (len(n) > 4 and re.sub(r"[^a-z0-9]", "", n) in squashed)
               for n in needles):
            return Outcome(True, f"{path} credits {group.upstream.name}")
    where = ", ".join(ctx.credit_paths()) or "no README, NOTICE or CREDITS file"
    return Outcome(False, f"no credit to {group.upstream.name} ({where})", group.paths)


def _credit_needles(info: UpstreamInfo) -> list[str]:
    out = [info.name.lower()]
    if info.url:
        url = info.url.lower().rstrip("/").removesuffix(".git")
        out.append(url)
        tail = "/".join(url.split("/")[-2:])  # owner/repo
        if "/" in tail:
            out.append(tail)
    return out


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
    claims = []
    for m in group.matches:
        if m.date and m.upstream_date and m.date > m.upstream_date \
                and (m.author or "") != (m.upstream_author or ""):
            claims.append(f"{m.path}:{m.start_line}-{m.end_line} first committed "
                          f"{_day(m.date)} by {m.author or '?'} ({(m.commit or '')[:10]}); "
                          f"{group.upstream.name} had it since {_day(m.upstream_date)}")
    if not any(m.date for m in group.matches):
        return Outcome(None, "no git history for the copied files")
    if not claims:
        return Outcome(True, "the history does not claim the copied code as the suspect's own")
    return Outcome(False, "copied code committed as the suspect's own, after the upstream had "
                          "it:\n" + "\n".join("  " + c for c in claims[:20]),
                   tuple(sorted({m.path for m in group.matches if m.date})))


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
