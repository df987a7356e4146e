# SPDX-License-Identifier: Apache-2.0
"""The rules engine: do the matched copies carry what their upstream's licence requires?

For each upstream the scan matched, the rules that apply (by licence, licence
family, upstream and amount copied; ``rules/*.yaml``) name obligations; each
obligation is a *check* (attrib/checks.py), run against the scanned tree:

=============  ==============================================================
license-known  the upstream has a licence at all (no licence: no permission)
license-text   the licence text ships with the copy (Apache-2.0 §4(a), MIT, BSD)
notice         the upstream's NOTICE content is carried (Apache-2.0 §4(d))
headers        the copied files keep the upstream file's copyright lines (§4(c))
change-notice  modified copies say they were modified (Apache-2.0 §4(b))
credit         README/NOTICE/CREDITS/docs or the copied files name the upstream
               as a source (attrib/credit.py says what counts)
compatible     the upstream's licence may be used under the project's licence
authorship     both histories: who had the code first, re-authored or backdated
               commits (attrib/history.py)
=============  ==============================================================

A check returns pass, fail or unknown with a specific message; a failure
gets the rule's fix with the exact lines to add.  A pass says why it passed
(``basis``): ``credit`` when the upstream is named or its notice carried,
``vacuous`` when there was nothing to carry (no NOTICE, no headers), which
is not evidence of credit.  A project's resolutions (``.attrib.yaml``) turn
a failure at a path and line range into ``resolved``.

The verdict per upstream (issue 9), one meaning per word:

``copy without credit``
    copied code, and nothing names the upstream: no crediting line, no kept
    copyright notice or header, no NOTICE carried.  Vacuous passes prove
    nothing.  For MIT/BSD/ISC the copyright notice is the credit: the licence
    text with the copier's name on it is this verdict.
``partial``
    the upstream is credited, but an error or warning obligation is unmet;
    the verdict line names the unmet checks.
``copy with credit``
    credited, and every error and warning obligation holds.
``this repository had it first``
    both histories are dated and the scanned repository held every matched
    file before the upstream did: the obligations run the other way, none is
    charged (unless the dates were set by hand: then the credit verdict).
``shared lineage``
    the code this repository shares with the upstream is older in another
    indexed upstream, to which the matches were attributed: credit the oldest.

The credit verdicts add ``direction unknown`` when a side has no history:
the verdict stands, since the upstream was indexed as the reference, but
the line says no history could confirm who copied whom.
"""
from __future__ import annotations

import datetime
import re
from collections import defaultdict

from . import history
from .checks import CHECKS, LICENSE_FILES, READ_LIMIT, Context, Group, Outcome, decode
from .config import Config
from .model import Finding, Match, Source, UpstreamInfo, Verdict
from .rules import Rule, RuleSet

# the checks whose pass can name the upstream (basis "credit"): they make "credit" in the verdict
CREDIT_CHECKS = ("license-text", "notice", "headers", "credit")
HAD_IT_FIRST = "this repository had it first"
SHARED_LINEAGE = "shared lineage"


def check_report(matches: tuple[Match, ...], upstreams: dict[str, UpstreamInfo], source: Source,
                 rules: RuleSet, config: Config,
                 today: datetime.date | None = None) -> tuple[list[Finding], list[Verdict], str | None]:
    """Findings and verdicts for every upstream with matches; and the project's licence."""
    from .licenses import detect_tree

    from .licenses import detect_license_text

    tree = detect_tree(source)
    project_license = config.license or tree.spdx
    license_files = {f.path: detect_license_text(decode(f.data[:READ_LIMIT]), f.path).spdx
                     for f in source.files if LICENSE_FILES.match(f.path)}
    ctx = Context(source, config, rules, project_license, license_files)
    today = today or datetime.date.today()
    by_upstream: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        by_upstream[m.upstream].append(m)
    findings: list[Finding] = []
    verdicts: list[Verdict] = []
    for name in sorted(by_upstream):
        group = Group(_info(upstreams, name), tuple(by_upstream[name]))
        found, v = judge(group, ctx, today)
        findings += found
        verdicts.append(v)
    verdicts += _shared_lineage(matches, set(by_upstream), upstreams)
    return findings, sorted(verdicts, key=lambda v: v.upstream), project_license


def _info(upstreams: dict[str, UpstreamInfo], name: str) -> UpstreamInfo:
    return upstreams.get(name) or UpstreamInfo(name, name, None, None, None)


def judge(group: Group, ctx: Context, today: datetime.date) -> tuple[list[Finding], Verdict]:
    """The findings and the verdict of one upstream's matches."""
    histories = history.file_histories(group.matches)
    way, why = history.direction(histories)
    if way == history.SUSPECT_FIRST and not history.claimed_priority(histories, ctx.rewritten()):
        # the suspect is the source: no obligation is charged, the history is the finding
        found = [_finding(r, group, ctx, today)
                 for r in ctx.rules.applicable(group.upstream.license_for("code"),
                                               group.upstream.name, group.lines, "code")
                 if r.obligation.check == "authorship"]
        return found, Verdict(group.upstream.name, group.upstream.license_for("code"),
                              HAD_IT_FIRST, group.lines, (), (), (), why,
                              f"{why}: the obligations run the other way, none is charged here")
    found = [_finding(rule, group, ctx, today)
             for rule in ctx.rules.applicable(group.upstream.license_for("code"),
                                              group.upstream.name, group.lines, "code")]
    if any(h.reauthored for h in histories):
        why = "history re-authored: the upstream's dates under another author"
    elif way == history.SUSPECT_FIRST:
        why = "priority claimed by commits whose dates were set by hand"
    return found, verdict(group, found, why)


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
                   ob.summary, outcome.message, fix, outcome.paths, resolution, spans,
                   outcome.basis)


def _fix(template: str, group: Group, ctx: Context, outcome: Outcome) -> str:
    from .notices import upstream_source

    info = group.upstream
    # a line the user pastes into their files: the public URL, never a path of this machine
    values = {"upstream": info.name, "url": upstream_source(info) or "<its URL>",
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


def verdict(group: Group, findings: list[Finding], direction: str = "") -> Verdict:
    """The credit verdict: is the upstream named anywhere, and which obligations are unmet.

    Only a pass that names the upstream (basis ``credit``) is credit; a pass because
    the upstream had nothing to carry is not.
    """
    passed = tuple(f.rule for f in findings if f.status in ("pass", "resolved"))
    failing = [f for f in findings if f.status == "fail" and f.severity != "info"]
    failed = tuple(f.rule for f in failing)
    credited = [f for f in findings if f.check in CREDIT_CHECKS and (
        f.basis == "credit" or (f.check == "credit" and f.status == "resolved"))]
    # the word follows the licence: `partial` means one of its obligations is unmet; attrib's
    # own advice (a README credit line, a warning by policy) is listed, not a demotion, once
    # the upstream is credited some other way (its notice kept, its holders named); with no
    # credit at all, the missing credit line is simply unmet
    def advice(f: Finding) -> bool:
        return bool(credited) and f.check == "credit" and f.severity != "error"

    unmet = tuple(dict.fromkeys(f.check for f in failing if not advice(f)))
    advised = tuple(dict.fromkeys(f.check for f in failing if advice(f)))
    if not credited:
        word = "copy without credit"
    elif unmet:
        word = "partial"
    else:
        word = "copy with credit"
    parts = [f"unmet: {', '.join(unmet)}"] if unmet else []
    if advised:
        parts.append(f"advised: {', '.join(advised)}")
    if credited:
        parts.append("credited: " + ", ".join(_where_credited(f) for f in credited))
    if direction.startswith(("direction", "history", "priority")):  # what a reader must know
        parts.append(direction)
    return Verdict(group.upstream.name, group.upstream.license_for("code"), word, group.lines,
                   passed, failed, unmet, direction, "; ".join(parts))


def _where_credited(f: Finding) -> str:
    """``README.md:3`` for a credit line, else the check that credits (``license-text``)."""
    m = re.search(r"(\S+:\d+): ", f.message) if f.check == "credit" else None
    return m.group(1) if m else f.check


def _shared_lineage(matches: tuple[Match, ...], judged: set[str],
                    upstreams: dict[str, UpstreamInfo]) -> list[Verdict]:
    """Upstreams that hold the copied code only as a later copy of an older indexed upstream.

    The matching attributes shared code to its oldest holder (``also_in`` names the
    others): an upstream seen only there shares a lineage with this repository.
    """
    seen: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        for other in m.also_in:
            if other not in judged:
                seen[other].append(m)
    out = []
    for name, ms in sorted(seen.items()):
        oldest = sorted({m.upstream for m in ms})
        dated = all(m.upstream_date for m in ms)
        why = (f"the shared code is older in {', '.join(oldest)}: credit the oldest"
               if dated else f"the shared code is also in {', '.join(oldest)}; direction unknown: "
                             "no history to tell which is older")
        lines = len({(m.path, n) for m in ms for n in range(m.start_line, m.end_line + 1)})
        out.append(Verdict(name, _info(upstreams, name).license_for("code"), SHARED_LINEAGE, lines,
                           (), (), (), "", why))
    return out
