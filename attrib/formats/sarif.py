# SPDX-License-Identifier: Apache-2.0
"""SARIF 2.1.0 report, for code scanning (GitHub's upload-sarif, IDE viewers).

One run; one *result* per failing obligation per matched span, so each copied
region carries the obligations its upstream's licence puts on it.  Obligations
a project resolved stay as results with an external suppression (SARIF 2.1.0
``result.suppressions``), so code scanning shows them closed with the reason.  Code copied from
an upstream whose obligations all hold is a note-level result of the
``attrib/match`` rule: derived, and credited.

The upstream side of a span is a related location with a URI of our own
scheme, ``attrib-upstream://NAME/PATH``: the upstream is not in the scanned
repository, and consumers show such a location without trying to open it.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from urllib.parse import quote

from .. import __version__
from ..model import Finding, Match, Report, Verdict

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://pypi.org/project/attrib/"
MATCH_RULE = "attrib/match"
UPSTREAM_SCHEME = "attrib-upstream"
SRCROOT = "%SRCROOT%"  # SARIF 2.1.0 originalUriBaseIds: the customary base of repo-relative paths
FINGERPRINT = "attribSpan/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}

Span = tuple[str, int, int, str, int, int]  # path, start, end, upstream path, upstream start, end


def render(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: Report) -> dict:
    """The SARIF log of ``report``, as plain JSON data."""
    matches = {_match_key(m): m for m in report.matches}
    results = [*_finding_results(report, matches), *_match_results(report)]
    results.sort(key=_order)
    rules = _rules(report, {r["ruleId"] for r in results})
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    _number_fingerprints(results)
    driver = {"name": "attrib", "version": __version__, "semanticVersion": __version__,
              "informationUri": INFORMATION_URI, "rules": rules}
    run = {"tool": {"driver": driver}, "invocations": [_invocation(report)], "results": results}
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


# ---------------------------------------------------------------- rules


def _rules(report: Report, used: set[str]) -> list[dict]:
    first: dict[str, Finding] = {}
    for f in report.findings:
        if f.rule in used:
            first.setdefault(f.rule, f)
    rules = [_rule(f) for f in first.values()]
    if MATCH_RULE in used:
        rules.append(_match_rule())
    return sorted(rules, key=lambda r: r["id"])


def _rule(f: Finding) -> dict:
    return {
        "id": f.rule,
        "name": _pascal(f.rule),
        "shortDescription": {"text": f.summary},
        "fullDescription": {"text": f"{f.summary} ({f.citation})"},
        "help": {"text": f"{f.summary}\nSource: {f.citation}."},
        "defaultConfiguration": {"level": LEVELS.get(f.severity, "warning")},
        "properties": {"citation": f.citation, "check": f.check,
                       "tags": ["licensing", "attribution"]},
    }


def _match_rule() -> dict:
    text = "Code derived from an indexed upstream, whose licence obligations all hold."
    return {
        "id": MATCH_RULE,
        "name": "DerivedFromUpstream",
        "shortDescription": {"text": "Code derived from an indexed upstream."},
        "fullDescription": {"text": text},
        "defaultConfiguration": {"level": "note"},
        "properties": {"tags": ["licensing", "attribution"]},
    }


def _pascal(rule_id: str) -> str:
    """``apache-2.0/license-text`` -> ``Apache20LicenseText``, for reportingDescriptor.name."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", rule_id))


# ---------------------------------------------------------------- results


def _finding_results(report: Report, matches: dict[tuple, Match]) -> Iterable[dict]:
    for f in report.findings:
        if f.status not in ("fail", "resolved"):
            continue
        for span in f.spans or _path_spans(f):
            match = matches.get((f.upstream, *span)) if span else None
            yield _finding_result(f, span, match)


def _path_spans(f: Finding) -> tuple[Span | None, ...]:
    """A finding with no matched span: one result per file it names, else one without location."""
    return tuple((p, 0, 0, "", 0, 0) for p in sorted(f.paths)) or (None,)


def _finding_result(f: Finding, span: Span | None, match: Match | None) -> dict:
    fix_lines = f.fix.splitlines()
    text = _sentence(f.message) + (f" Fix: {fix_lines[0]}" if fix_lines else "")
    result: dict = {"ruleId": f.rule, "level": LEVELS.get(f.severity, "warning"),
                    "message": {"text": text, "markdown": _markdown_message(f)}}
    props: dict = {"upstream": f.upstream, "citation": f.citation, "status": f.status}
    if f.fix:
        props["fix"] = f.fix
    if span is not None:
        _locate(result, f.upstream, span)
        result["partialFingerprints"] = {FINGERPRINT: _fingerprint(f.rule, f.upstream, span)}
    if match is not None:
        props.update(_match_properties(match))
    result["properties"] = props
    if f.status == "resolved":
        # suppression.kind "external": suppressed outside the code, here by .attrib.yaml
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": f.resolution or "resolved"}]
    return result


def _match_results(report: Report) -> Iterable[dict]:
    """Matches of upstreams none of whose obligations fail: notes, credited copies."""
    failing = {f.upstream for f in report.findings if f.status == "fail"}
    verdicts = {v.upstream: v for v in report.verdicts}
    for m in report.matches:
        if m.upstream not in failing:
            yield _match_result(m, verdicts.get(m.upstream))


def _match_result(m: Match, verdict: Verdict | None) -> dict:
    outcome = verdict.verdict if verdict else "licence obligations not checked"
    text = (f"derives from {m.upstream}:{m.upstream_path}:{m.upstream_start_line}-"
            f"{m.upstream_end_line} ({outcome})")
    span = (m.path, m.start_line, m.end_line, m.upstream_path, m.upstream_start_line,
            m.upstream_end_line)
    result: dict = {"ruleId": MATCH_RULE, "level": "note", "message": {"text": text}}
    _locate(result, m.upstream, span)
    result["partialFingerprints"] = {FINGERPRINT: _fingerprint(MATCH_RULE, m.upstream, span)}
    result["properties"] = {"upstream": m.upstream, **_match_properties(m)}
    return result


def _match_properties(m: Match) -> dict:
    return {"upstream_path": m.upstream_path,
            "upstream_lines": [m.upstream_start_line, m.upstream_end_line],
            "similarity": m.similarity, "clone_type": m.clone_type,
            "renames": {old: new for old, new in m.renames},
            # who had it first: the upstream's history, and this repository's
            "upstream_date": m.upstream_date, "upstream_commit": m.upstream_commit,
            "upstream_author": m.upstream_author,
            "date": m.date, "commit": m.commit, "author": m.author}


def _locate(result: dict, upstream: str, span: Span) -> None:
    path, start, end, upath, ustart, uend = span
    result["locations"] = [{"physicalLocation": _physical(
        {"uri": _uri(path), "uriBaseId": SRCROOT}, start, end)}]
    if upath:
        uri = f"{UPSTREAM_SCHEME}://{quote(upstream, safe='')}/{_uri(upath)}"
        result["relatedLocations"] = [{
            "id": 1, "physicalLocation": _physical({"uri": uri}, ustart, uend),
            "message": {"text": f"upstream {upstream}: {upath}:{ustart}-{uend}"}}]


def _physical(artifact: dict, start: int, end: int) -> dict:
    loc: dict = {"artifactLocation": artifact}
    if start >= 1:  # SARIF regions are 1-based; 0 here means "the whole file": no region
        loc["region"] = {"startLine": start, "endLine": max(start, end)}
    return loc


def _uri(path: str) -> str:
    """A relative URI reference for a posix path (RFC 3986: spaces, '%', '#' encoded)."""
    return quote(path, safe="/")


def _markdown_message(f: Finding) -> str:
    out = f"{f.message}\n\n*{f.citation}*"
    if f.fix:
        fence = "`" * max(3, _longest_run(f.fix, "`") + 1)
        out += f"\n\n**Fix:**\n\n{fence}\n{f.fix}\n{fence}"
    if f.resolution:
        out += f"\n\nResolved: {f.resolution}"
    return out


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _longest_run(text: str, char: str) -> int:
    return max((len(run) for run in re.findall(f"{re.escape(char)}+", text)), default=0)


def _match_key(m: Match) -> tuple:
    return (m.upstream, m.path, m.start_line, m.end_line, m.upstream_path, m.upstream_start_line,
            m.upstream_end_line)


def _fingerprint(rule: str, upstream: str, span: Span) -> str:
    """Stable across edits that move the copy: the suspect's lines are left out on purpose."""
    path, _, _, upath, ustart, uend = span
    key = "\0".join((rule, upstream, path, upath, str(ustart), str(uend)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _number_fingerprints(results: list[dict]) -> None:
    """Two copies of the same upstream lines in one file: keep their fingerprints apart."""
    seen: dict[str, int] = {}
    for r in results:
        fp = r.get("partialFingerprints", {}).get(FINGERPRINT)
        if fp is None:
            continue
        seen[fp] = seen.get(fp, 0) + 1
        if seen[fp] > 1:
            r["partialFingerprints"][FINGERPRINT] = f"{fp}:{seen[fp]}"


def _order(result: dict) -> tuple:
    loc = (result.get("locations") or [{}])[0].get("physicalLocation", {})
    region = loc.get("region", {})
    related = json.dumps(result.get("relatedLocations", []), sort_keys=True)
    return (loc.get("artifactLocation", {}).get("uri", ""), region.get("startLine", 0),
            region.get("endLine", 0), result["ruleId"], result["properties"].get("upstream", ""),
            related)


def _invocation(report: Report) -> dict:
    """Files not analysed are data (STYLE: bad input is data): notes on the invocation."""
    notes = [{"level": "note", "message": {"text": f"skipped {s.path}: {s.reason}"},
              "locations": [{"physicalLocation": {"artifactLocation": {
                  "uri": _uri(s.path), "uriBaseId": SRCROOT}}}]}
             for s in sorted(report.skipped, key=lambda s: (s.path, s.reason))]
    invocation: dict = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation
