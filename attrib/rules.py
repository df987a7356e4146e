# SPDX-License-Identifier: Apache-2.0
"""Rules: what an upstream's licence asks of code copied from it, as data.

A *rule* says when it applies (``Condition``: the upstream's licence or licence
family, the upstream itself, how many lines were copied, code or weights) and
which *obligation* then holds (``Obligation``: one check of ``CHECKS``, a
severity, the licence section it comes from, and the fix a user can apply).
The rules engine (``compliance.py``) runs the checks; this module only loads
and selects rules, and answers licence compatibility from ``compatibility``
entries (may code under the upstream's licence go into a project under its own?).

Rules are shipped in ``rules/*.yaml`` and extended by a project's own files
(``rules:`` in ``.attrib.yaml``, ``--rules FILE``).  A project rule with the id of
a shipped rule *replaces* it (so a project can lower a severity or reword a fix);
a project compatibility entry for an upstream licence replaces the shipped one.
Within the shipped files, or within the project's, an id may appear only once.

A rule file::

    rules:
      - id: apache-2.0/notice                   # lower-case words joined by '/'
        title: NOTICE content carried
        when: {licenses: [Apache-2.0]}           # also: families, upstreams, min_lines, artifact
        check: notice                            # one of CHECKS
        severity: error                          # error | warning | info
        citation: Apache-2.0 §4(d)
        summary: What must hold, in one sentence.
        fix: "Copy the upstream's NOTICE content into {notice_file}."
    compatibility:
      - upstream: GPL-3.0-only                   # an SPDX id or a family name
        allowed: [GPL-3.0-only, GPL-3.0-or-later, AGPL-3.0-only]   # ids, families or "*"
        denied: []                               # ids or families excepted from "*"
        citation: FSF GPL FAQ, compatibility matrix

Within ``when`` every key given must hold, and a list holds when any of its items
does; an omitted key holds always.  ``fix`` may use {upstream}, {url}, {license},
{notice_file} and {paths}; write ``{{`` and ``}}`` for literal braces.
"""
from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .yamlschema import (
    Enum,
    Int,
    List,
    Mapping,
    Spdx,
    Str,
    load,
    normalise_spdx,
    spdx_licensing,
)

CHECKS = ("license-known", "license-text", "notice", "headers", "change-notice", "credit",
          "compatible", "authorship")
SEVERITIES = ("error", "warning", "info")
ARTIFACTS = ("code", "weights", "any")
FAMILIES = ("permissive", "weak-copyleft", "strong-copyleft", "network-copyleft", "public-domain",
            "unknown")
FIX_FIELDS = ("upstream", "url", "license", "notice_file", "paths")

# Licence families, for conditions and compatibility entries.  "public-domain" means no
# conditions at all (dedications, and 0BSD/MIT-0, which drop even the notice condition).
_FAMILY_IDS = {
    "permissive": "MIT Apache-2.0 Apache-1.1 BSD-2-Clause BSD-3-Clause BSD-3-Clause-Clear "
                  "BSD-4-Clause ISC Zlib BSL-1.0 Python-2.0 PSF-2.0 X11 NCSA UPL-1.0 "
                  "PostgreSQL curl HPND Unicode-3.0 Unicode-DFS-2016 AFL-3.0 Artistic-2.0 "
                  "CC-BY-4.0 MS-PL",
    "public-domain": "Unlicense CC0-1.0 0BSD MIT-0 WTFPL",
    "weak-copyleft": "LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1-only LGPL-2.1-or-later "
                     "LGPL-3.0-only LGPL-3.0-or-later MPL-1.1 MPL-2.0 "
                     "MPL-2.0-no-copyleft-exception EPL-1.0 EPL-2.0 CDDL-1.0 CDDL-1.1 MS-RL "
                     "CPL-1.0",
    "strong-copyleft": "GPL-1.0-only GPL-1.0-or-later GPL-2.0-only GPL-2.0-or-later GPL-3.0-only "
                       "GPL-3.0-or-later EUPL-1.1 EUPL-1.2 CC-BY-SA-4.0",
    "network-copyleft": "AGPL-1.0-only AGPL-1.0-or-later AGPL-3.0-only AGPL-3.0-or-later "
                        "OSL-3.0 SSPL-1.0",
}
_FAMILIES = {spdx: family for family, ids in _FAMILY_IDS.items() for spdx in ids.split()}
_UNDECLARED = ("NONE", "NOASSERTION")


@dataclass(frozen=True)
class Condition:
    """When a rule applies; an empty tuple holds for any value."""

    licenses: tuple[str, ...] = ()  # SPDX ids (normalised)
    families: tuple[str, ...] = ()  # of FAMILIES
    upstreams: tuple[str, ...] = ()  # upstream names
    min_lines: int = 0  # copied lines from that upstream at least this many
    artifact: str = "code"  # of ARTIFACTS


@dataclass(frozen=True)
class Obligation:
    check: str  # one of CHECKS
    severity: str  # one of SEVERITIES
    citation: str  # e.g. "Apache-2.0 §4(a)"
    summary: str  # what must hold, one sentence
    fix: str  # what the user should do; may use the FIX_FIELDS placeholders


@dataclass(frozen=True)
class Rule:
    id: str  # e.g. "apache-2.0/notice"
    title: str
    when: Condition
    obligation: Obligation
    origin: str  # "rules/apache-2.0.yaml:12"


@dataclass(frozen=True)
class Compatibility:
    """May code under ``upstream`` (an SPDX id or a family) go into a project under another?"""

    upstream: str
    allowed: tuple[str, ...]  # SPDX ids, family names, or "*"
    citation: str
    origin: str
    denied: tuple[str, ...] = ()  # ids or families excepted from "*"


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    compatibility: tuple[Compatibility, ...]

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        ids = [r.id for r in self.rules]
        near = difflib.get_close_matches(rule_id, ids, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"unknown rule {rule_id!r}{hint} (valid ids: {', '.join(sorted(ids))})")

    def applicable(self, license: str | None, upstream: str, lines: int,
                   artifact: str = "code") -> list[Rule]:
        """The rules for ``lines`` copied lines of ``artifact`` from ``upstream``.

        For ``A OR B`` the copier may pick either licence, so the rules are those of the
        alternative that asks least (fewest errors, then warnings; a recognised licence
        before an unrecognised one); for ``A AND B`` both licences' rules apply.
        """
        options = []
        for choice in _choices(license):
            picked = [r for r in self.rules if _applies(r.when, choice, upstream, lines, artifact)]
            weight = [sum(r.obligation.severity == s for r in picked) for s in SEVERITIES[:2]]
            unknown = any(_family(_base(i)) == "unknown" for i in choice)
            options.append(((unknown, *weight, len(picked)), picked))
        return min(options, key=lambda o: o[0])[1]

    def compatible(self, upstream_license: str,
                   project_license: str | None) -> tuple[bool | None, str]:
        """May code under ``upstream_license`` be used in a project under ``project_license``?

        (True, citation), (False, reason) or (None, why it cannot tell).  An upstream
        ``A OR B`` needs one alternative that fits, ``A AND B`` both.  A project ``A OR B``
        must fit each alternative its users may choose; a project ``A AND B`` (a work
        already combining both) needs the code to fit one of them.
        """
        if not project_license or project_license.strip().upper() in _UNDECLARED:
            return None, "the project's licence is not declared"
        if not upstream_license or upstream_license.strip().upper() in _UNDECLARED:
            return None, "the upstream's licence is unknown"
        project = _tree(project_license)
        return _evaluate(_tree(upstream_license), "or", lambda u: _evaluate(
            project, "and", lambda p: self._pair(u, p)))

    def _pair(self, upstream: str, project: str) -> tuple[bool | None, str]:
        u, p = _base(upstream), _base(project)
        if u == p:
            return True, f"same licence ({u})"
        entry = self._entry(u)
        if entry is None:
            return None, f"no compatibility entry for {u}"
        if p in entry.denied or _family(p) in entry.denied:
            return False, f"{u} code may not be used in a {p} project ({entry.citation})"
        if "*" in entry.allowed or p in entry.allowed or _family(p) in entry.allowed:
            return True, entry.citation
        return False, (f"{u} code may be used only in a project under "
                       f"{', '.join(entry.allowed)} ({entry.citation})")

    def _entry(self, spdx: str) -> Compatibility | None:
        by_key = {c.upstream: c for c in self.compatibility}
        return by_key.get(spdx) or by_key.get(_family(spdx))


def load_rules(extra: Sequence[str | Path] = ()) -> RuleSet:
    """The shipped rules, then the project's ``extra`` rule files (which may override)."""
    shipped = [load_rule_text(text, name) for name, text in shipped_rule_texts()]
    project = [load_rule_file(path) for path in extra]
    rules: dict[str, Rule] = {}
    compat: dict[str, Compatibility] = {}
    for layer in (shipped, project):
        _merge(layer, rules, compat)
    return RuleSet(tuple(rules.values()), tuple(compat.values()))


def _merge(layer: list[RuleSet], rules: dict[str, Rule], compat: dict[str, Compatibility]) -> None:
    seen: dict[str, str] = {}
    for ruleset in layer:
        for key, item in [(r.id, r) for r in ruleset.rules] + \
                         [("compatibility " + c.upstream, c) for c in ruleset.compatibility]:
            if key in seen:
                what = f"rule id {key!r}" if isinstance(item, Rule) else f"{key!r} entry"
                raise ConfigError(f"{item.origin}: duplicate {what} (first at {seen[key]})")
            seen[key] = item.origin
            if isinstance(item, Rule):
                rules[key] = item
            else:
                compat[item.upstream] = item


def shipped_rule_texts() -> list[tuple[str, str]]:
    """(display name, YAML text) of each shipped rule file, sorted by name.

    From the source tree's ``rules/`` when attrib runs from a checkout (editable
    install), else from the package-data copy ``attrib/data/rules``.
    """
    tree = Path(__file__).resolve().parents[1]
    if (tree / "rules").is_dir() and (tree / "pyproject.toml").is_file():
        folder: Any = tree / "rules"
    else:
        folder = resources.files("attrib") / "data" / "rules"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    if not files:
        raise ConfigError(f"{folder}: no shipped rule files (a broken installation?)")
    return [(f"rules/{f.name}", f.read_text(encoding="utf-8")) for f in files]


def load_rule_file(path: str | Path) -> RuleSet:
    """One rule file, validated; its rules as a RuleSet (no shipped rules)."""
    return _build(*load(Path(path), _FILE, str(path)), str(path))


def load_rule_text(text: str, name: str) -> RuleSet:
    return _build(*load(text, _FILE, name), name)


def _build(data: dict, lines: dict, name: str) -> RuleSet:
    rules = tuple(_rule(r, f"{name}:{lines[('rules', i)]}")
                  for i, r in enumerate(data.get("rules", [])))
    compat = tuple(Compatibility(c["upstream"], tuple(c["allowed"]), c["citation"],
                                 f"{name}:{lines[('compatibility', i)]}",
                                 tuple(c.get("denied", ())))
                   for i, c in enumerate(data.get("compatibility", [])))
    return RuleSet(rules, compat)


def _rule(d: dict, origin: str) -> Rule:
    w = d.get("when", {})
    when = Condition(_unique(w.get("licenses", ())), _unique(w.get("families", ())),
                     _unique(w.get("upstreams", ())), w.get("min_lines", 0),
                     w.get("artifact", "code"))
    obligation = Obligation(d["check"], d["severity"], d["citation"], d["summary"], d["fix"])
    return Rule(d["id"], d["title"], when, obligation, origin)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# ---------------------------------------------------------------- selection

def _applies(when: Condition, choice: tuple[str, ...], upstream: str, lines: int,
             artifact: str) -> bool:
    return (when.artifact in ("any", artifact) and lines >= when.min_lines
            and (not when.upstreams or upstream.lower() in {u.lower() for u in when.upstreams})
            and any(_license_holds(when, spdx) for spdx in choice))


def _license_holds(when: Condition, spdx: str) -> bool:
    base = _base(spdx)
    return ((not when.licenses or spdx in when.licenses or base in when.licenses)
            and (not when.families or _family(base) in when.families))


def _family(spdx: str) -> str:
    return _FAMILIES.get(spdx, "unknown")


def _base(spdx: str) -> str:
    """The licence of ``X WITH exception``: an exception adds permissions, never conditions."""
    return spdx.split(" WITH ")[0]


def _tree(expression: str) -> tuple:
    """("or"|"and", [subtrees]) or ("id", "MIT"); an unparsable licence is one unknown id.

    normalise_spdx bounds the expression (length, licences, nesting, alternatives: see
    attrib.licenses.expressions), so one too large to evaluate is one unknown id too.
    """
    try:
        text = normalise_spdx(expression)
    except ValueError:
        return ("id", " ".join(expression.split())[:200])
    if text in _UNDECLARED:
        return ("id", text)
    licensing = spdx_licensing()

    def walk(node: Any) -> tuple:
        if isinstance(node, (licensing.AND, licensing.OR)):
            op = "and" if isinstance(node, licensing.AND) else "or"
            return (op, [walk(a) for a in node.args])
        return ("id", str(node))
    return walk(licensing.parse(text, strict=True))


def _choices(license: str | None) -> list[tuple[str, ...]]:
    """The licence alternatives of an expression (its disjunctive normal form).

    At most MAX_ALTERNATIVES (``_tree`` refuses larger expressions); expanding stops there
    all the same, so no input makes this exponential.
    """
    from .licenses.expressions import MAX_ALTERNATIVES

    def dnf(tree: tuple) -> list[tuple[str, ...]]:
        if tree[0] == "id":
            return [(tree[1],)]
        parts = [dnf(t) for t in tree[1]]
        if tree[0] == "or":
            return [c for p in parts for c in p][:MAX_ALTERNATIVES]
        out: list[tuple[str, ...]] = [()]
        for p in parts:
            out = [a + b for a in out for b in p][:MAX_ALTERNATIVES]
        return out
    return dnf(_tree(license)) if license and license.strip() else [("NONE",)]


def _evaluate(tree: tuple, any_of: str, leaf: Any) -> tuple[bool | None, str]:
    """Three-valued logic over a licence tree: ``any_of`` names the operator needing one."""
    if tree[0] == "id":
        return leaf(tree[1])
    results = [_evaluate(t, any_of, leaf) for t in tree[1]]
    want = tree[0] == any_of
    for value in (want, None, not want):
        hits = [why for ok, why in results if ok is value]
        if hits:
            return value, "; ".join(dict.fromkeys(hits)) if value is False else hits[0]
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- schema

class _RuleId(Str):
    def convert(self, value: Any) -> Any:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.+_-]*(/[a-z0-9][a-z0-9.+_-]*)*", value):
            raise ValueError("expected lower-case words joined by '/', e.g. apache-2.0/notice")
        return value


class _Fix(Str):
    def convert(self, value: Any) -> Any:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
        except ValueError:
            raise ValueError("unbalanced braces: write {{ and }} for literal ones") from None
        for f in fields:
            if f not in FIX_FIELDS:
                raise ValueError(f"unknown placeholder {{{f}}}; expected one of: "
                                 + ", ".join("{" + n + "}" for n in FIX_FIELDS))
        return super().convert(value)


class _LicenseOrFamily(Str):
    def __init__(self, star: bool = False) -> None:
        self.star = star

    def convert(self, value: Any) -> Any:
        if value in FAMILIES or (self.star and value == "*"):
            return value
        return normalise_spdx(value, expression=False)


_WHEN = Mapping(optional={"licenses": List(Spdx(expression=False)),
                          "families": List(Enum(*FAMILIES)), "upstreams": List(Str()),
                          "min_lines": Int(min=0), "artifact": Enum(*ARTIFACTS)})
_RULE = Mapping(required={"id": _RuleId(), "title": Str(), "check": Enum(*CHECKS),
                          "severity": Enum(*SEVERITIES), "citation": Str(), "summary": Str(),
                          "fix": _Fix()},
                optional={"when": _WHEN}, noun="rule", name_key="id")
_COMPATIBILITY = Mapping(required={"upstream": _LicenseOrFamily(),
                                   "allowed": List(_LicenseOrFamily(star=True)),
                                   "citation": Str()},
                         optional={"denied": List(_LicenseOrFamily())},
                         noun="compatibility entry", name_key="upstream")
_FILE = Mapping(optional={"rules": List(_RULE), "compatibility": List(_COMPATIBILITY)})
