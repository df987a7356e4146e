# SPDX-License-Identifier: Apache-2.0
"""SARIF 2.1.0 report, for code scanning (GitHub's upload-sarif, IDE viewers).

One run; one *result* per failing obligation at its scope (attrib/formats/scope.py):
a repository-level obligation (``license-known``, ``license-text``, ``notice``,
``credit``, ``compatible``, ``authorship``) is one result, on the first copied
file with the other files as related locations; a file-level one (``headers``,
``change-notice``) is one result per copied file, on its first copied span.  No
obligation check is span-level; matches are: code copied from an upstream whose
obligations all hold is a note-level result of the ``attrib/match`` rule per
match.  Results are ordered most important first (errors, repository-level).

Obligations a project resolved stay as results with an external suppression
(SARIF 2.1.0 ``result.suppressions``), so code scanning shows them closed with
the reason.

Paths are relative to the repository root (``%SRCROOT%``, declared in
``originalUriBaseIds``): ``Report.root_prefix`` says where the scanned tree lies.
The upstream side of a span is a related location: its web page at the indexed
commit and lines when the upstream's URL is a GitHub or GitLab one, else a URI
of our own scheme, ``attrib-upstream://NAME/PATH``, which consumers show
without trying to open.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from urllib.parse import quote

from .. import __version__
from ..model import Finding, Match, Report, Verdict
from .scope import REPOSITORY, by_file, importance, scope, upstream_info, upstream_link

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://pypi.org/project/attrib/"
MATCH_RULE = "attrib/match"
UPSTREAM_SCHEME = "attrib-upstream"
SRCROOT = "%SRCROOT%"  # SARIF 2.1.0 originalUriBaseIds: the customary base of repo-relative paths
FINGERPRINT = "attribSpan/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
MAX_RELATED = 20  # GitHub shows related locations in a list: enough to find the rest
# one short sentence per check for shortDescription; the licence's words go in fullDescription
SHORT = {"license-known": "The upstream's licence is known.",
         "license-text": "The upstream's licence text ships with the copy.",
         "notice": "The upstream's NOTICE content is carried.",
         "headers": "Copied files keep the upstream's copyright and licence notices.",
         "change-notice": "Modified copies say that they were changed.",
         "credit": "The project credits the upstream it copies.",
         "compatible": "The upstream's licence allows this project's licence.",
         "authorship": "The histories say who had the code first."}
SPDX_PAGE = "https://spdx.org/licenses/{}.html"
COMPATIBILITY_PAGE = "https://www.gnu.org/licenses/license-list.html"

Span = tuple[str, int, int, str, int, int]  # path, start, end, upstream path, upstream start, end


def render(report: Report) -> str:
    text = json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
    # a file name that is not UTF-8 arrives as surrogate escapes: its URI carries the bytes
    # (%FF, see _uri); in message texts a lone surrogate becomes U+FFFD, so the log is UTF-8
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def sarif_log(report: Report) -> dict:
    """The SARIF log of ``report``, as plain JSON data."""
    matches = {_match_key(m): m for m in report.matches}
    results = [*_finding_results(report, matches), *sorted(_match_results(report), key=_order)]
    rules = _rules(report, {r["ruleId"] for r in results})
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    _number_fingerprints(results)
    driver = {"name": "attrib", "version": __version__, "semanticVersion": __version__,
              "informationUri": INFORMATION_URI, "rules": rules}
    base = {SRCROOT: {"description": {"text": "The root of the repository attrib ran in; "
                                              "result paths are relative to it."}}}
    run = {"tool": {"driver": driver}, "invocations": [_invocation(report)],
           "originalUriBaseIds": base, "results": results}
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
    short = SHORT.get(f.check) or _sentence(f.rule)
    return {
        "id": f.rule,
        "name": _pascal(f.rule),
        "shortDescription": {"text": short},
        "fullDescription": {"text": f"{f.summary} ({f.citation})"},
        "helpUri": _help_uri(f),
        "help": {"text": f"{f.summary}\nSource: {f.citation}.",
                 "markdown": f"**{short}**\n\n> {_quote(f.summary)}\n\n*{f.citation}*"},
        "defaultConfiguration": {"level": LEVELS.get(f.severity, "warning")},
        "properties": {"citation": f.citation, "check": f.check, "scope": scope(f),
                       "tags": ["licensing", "attribution"]},
    }


def _help_uri(f: Finding) -> str:
    """The licence's text (SPDX's page, from the citation's licence id), else the rule's source."""
    if f.check == "compatible":
        return COMPATIBILITY_PAGE
    first = f.citation.split(" ", 1)[0].rstrip(";,")
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9.+]*-[0-9][A-Za-z0-9.+-]*|MIT|ISC|Unlicense", first):
        return SPDX_PAGE.format(first)
    return INFORMATION_URI


def _quote(text: str) -> str:
    return " ".join(text.split())


def _match_rule() -> dict:
    text = "Code derived from an indexed upstream, whose licence obligations all hold."
    return {
        "id": MATCH_RULE,
        "name": "DerivedFromUpstream",
        "shortDescription": {"text": "Code derived from an indexed upstream."},
        "fullDescription": {"text": text},
        "helpUri": INFORMATION_URI,
        "defaultConfiguration": {"level": "note"},
        "properties": {"scope": "span", "tags": ["licensing", "attribution"]},
    }


def _pascal(rule_id: str) -> str:
    """``apache-2.0/license-text`` -> ``Apache20LicenseText``, for reportingDescriptor.name."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", rule_id))


# ---------------------------------------------------------------- results


def _finding_results(report: Report, matches: dict[tuple, Match]) -> Iterable[dict]:
    """Failing and resolved obligations at their scope, most important first."""
    for f in sorted(report.findings, key=importance):
        if f.status not in ("fail", "resolved"):
            continue
        files = by_file(f)
        if scope(f) == REPOSITORY:
            yield _finding_result(report, f, files, matches)
        else:
            for path, spans in (files or {"": []}).items():
                yield _finding_result(report, f, {path: spans} if path else {}, matches)


def _finding_result(report: Report, f: Finding, files: dict[str, list[Span]],
                    matches: dict[tuple, Match]) -> dict:
    fix_lines = f.fix.splitlines()
    text = _sentence(f.message) + (f" Fix: {fix_lines[0]}" if fix_lines else "")
    result: dict = {"ruleId": f.rule, "level": LEVELS.get(f.severity, "warning"),
                    "message": {"text": text, "markdown": _markdown_message(f)}}
    props: dict = {"upstream": f.upstream, "citation": f.citation, "status": f.status,
                   "scope": scope(f)}
    if f.fix:
        props["fix"] = f.fix
    if files:
        _place(result, report, f, files)
        first = next(iter(files.values()))
        match = matches.get((f.upstream, *first[0])) if first else None
        if match is not None:
            props.update(_match_properties(match))
        props["spans"] = [[report.repo_path(p), s, e, up, us, ue]
                          for spans in files.values() for p, s, e, up, us, ue in spans]
    result["properties"] = props
    if f.status == "resolved":
        # suppression.kind "external": suppressed outside the code, here by .attrib.yaml
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": f.resolution or "resolved"}]
    return result


def _place(result: dict, report: Report, f: Finding, files: dict[str, list[Span]]) -> None:
    """On the first file (its first copied span; none for a repository-level obligation)."""
    path, spans = next(iter(files.items()))
    whole = scope(f) == REPOSITORY or not spans
    start, end = (0, 0) if whole else spans[0][1:3]
    result["locations"] = [{"physicalLocation": _physical(
        {"uri": _uri(report.repo_path(path)), "uriBaseId": SRCROOT}, start, end)}]
    related = []
    for other in list(files)[1:] if scope(f) == REPOSITORY else []:
        related.append({"physicalLocation": {"artifactLocation": {
            "uri": _uri(report.repo_path(other)), "uriBaseId": SRCROOT}},
            "message": {"text": f"also copied from {f.upstream}"}})
    for span in [] if scope(f) == REPOSITORY else spans:
        related.append(_upstream_location(report, f.upstream, span))
    if related:
        for i, loc in enumerate(related[:MAX_RELATED], start=1):
            loc["id"] = i
        result["relatedLocations"] = related[:MAX_RELATED]
    # one result per file, or per repository: the fingerprint names no lines, so edits keep it
    key = ("" if scope(f) == REPOSITORY else path, 0, 0, "", 0, 0)
    result["partialFingerprints"] = {FINGERPRINT: _fingerprint(f.rule, f.upstream, key)}


def _upstream_location(report: Report, upstream: str, span: Span) -> dict:
    _, _, _, upath, ustart, uend = span
    link = upstream_link(upstream_info(report, upstream), upath, ustart, uend)
    uri = link or f"{UPSTREAM_SCHEME}://{quote(upstream, safe='')}/{_uri(upath)}"
    return {"physicalLocation": _physical({"uri": uri}, ustart, uend),
            "message": {"text": f"upstream {upstream}: {upath}:{ustart}-{uend}"}}


def _match_results(report: Report) -> Iterable[dict]:
    """Matches of upstreams none of whose obligations fail: notes, credited copies."""
    failing = {f.upstream for f in report.findings if f.status == "fail"}
    verdicts = {v.upstream: v for v in report.verdicts}
    for m in report.matches:
        if m.upstream not in failing:
            yield _match_result(report, m, verdicts.get(m.upstream))


def _match_result(report: Report, m: Match, verdict: Verdict | None) -> dict:
    outcome = verdict.verdict if verdict else "licence obligations not checked"
    text = (f"derives from {m.upstream}:{m.upstream_path}:{m.upstream_start_line}-"
            f"{m.upstream_end_line} ({outcome})")
    span = (m.path, m.start_line, m.end_line, m.upstream_path, m.upstream_start_line,
            m.upstream_end_line)
    result: dict = {"ruleId": MATCH_RULE, "level": "note", "message": {"text": text}}
    _locate(result, report, m.upstream, span)
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


def _locate(result: dict, report: Report, upstream: str, span: Span) -> None:
    path, start, end, upath, _, _ = span
    result["locations"] = [{"physicalLocation": _physical(
        {"uri": _uri(report.repo_path(path)), "uriBaseId": SRCROOT}, start, end)}]
    if upath:
        result["relatedLocations"] = [{"id": 1, **_upstream_location(report, upstream, span)}]


def _physical(artifact: dict, start: int, end: int) -> dict:
    loc: dict = {"artifactLocation": artifact}
    if start >= 1:  # SARIF regions are 1-based; 0 here means "the whole file": no region
        loc["region"] = {"startLine": start, "endLine": max(start, end)}
    return loc


def _uri(path: str) -> str:
    """A relative URI reference for a posix path (RFC 3986: spaces, '%', '#' encoded)."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


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
                  "uri": _uri(report.repo_path(s.path)), "uriBaseId": SRCROOT}}}]}
             for s in sorted(report.skipped, key=lambda s: (s.path, s.reason))]
    invocation: dict = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation
