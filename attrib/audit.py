# SPDX-License-Identifier: Apache-2.0
"""``attrib audit``: one evidence report on a whole repository that is not ours.

The audited repository is hostile.  Nothing here executes or imports its
code, follows its symlinks, or reads its ``.attrib.yaml``/rule files (an
attacker who wrote them would choose what counts as credit and which findings
are "resolved"): the shipped rules, the user's ``--rules`` files and a default
:class:`~attrib.config.Config` decide.  Git runs through :mod:`attrib.gitsafe`
(never with the repository's own config); a URL is cloned bare with
:func:`attrib.upstreams.local_repo` (no hooks, no checkout, no submodules,
safe transports; a ``file://`` URL is read in place) under size and
file-count bounds.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ContextManager

from .errors import AttribError, SourceError, UsageError
from .engine.index.base import Store
from .model import FileSummary, Report, Source
from .engine.sources import Limits

AUDIT_SCHEMA_VERSION = 1
# git's remote helpers ("ext::sh -c ...", "fd::") run programs: refused before git sees them.
_TRANSPORT = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
SAFE_SCHEMES = ("https", "http", "ssh", "git", "file")
MAX_REPO_BYTES = 2_000_000_000
MAX_FILES = 50_000


@dataclass(frozen=True)
class Audit:
    """A scan with the rules engine over a whole tree, and what the report needs besides."""

    location: str  # what the user passed: a path or a URL
    report: Report
    artifacts: dict  # the model-artifact section: {"status": ..., "sections": [...]}
    against: tuple[str, ...] = ()
    commit: str | None = None  # the audited commit, when read from git
    leftovers: tuple[dict, ...] = ()  # references only an upstream satisfies (leftovers.py)


def check_location(location: str) -> None:
    """UsageError for a location git would hand to a program or an unsafe transport."""
    if location.startswith("-"):
        raise UsageError(f"{location!r}: a location may not start with '-'")
    if _TRANSPORT.match(location):
        raise UsageError(f"{location.split('::')[0]}:: transport refused "
                         f"(allowed: {', '.join(SAFE_SCHEMES)} URLs or a local path)")
    scheme = _SCHEME.match(location)
    if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
        raise UsageError(f"{scheme.group(1)}:// transport refused "
                         f"(allowed: {', '.join(SAFE_SCHEMES)} URLs or a local path)")


def _tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _, names in os.walk(root, followlinks=False):
        for name in names:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


@contextmanager
def open_audited(location: str, ref: str | None = None, limits: Limits = Limits(),
                 max_repo_bytes: int = MAX_REPO_BYTES) -> Iterator[Source]:
    """The audited tree as a :class:`Source`: a local path as it is, a URL from a bare clone."""
    from .engine.sources import open_source, with_history
    from .upstreams import is_clone, is_url, local_repo

    check_location(location)
    if not is_url(location):
        source = open_source(location, ref, limits)
        if ref is None and Path(location).is_dir():
            source = with_history(source, Path(location))
        yield source
        return
    # a clone runs no filter (no git-lfs smudge: no global config), no hooks, no prompt
    with local_repo(location) as bare:
        size = _tree_bytes(bare) if is_clone(location) else 0
        if size > max_repo_bytes:
            raise SourceError(f"{location}: repository too large ({size} bytes > "
                              f"{max_repo_bytes}); clone it yourself and audit a checkout")
        source = open_source(bare, ref or "HEAD", limits)
        yield replace(source, root=location, url=location)


def audit(location: str, store: Store, ref: str | None = None, against: tuple[str, ...] = (),
          rule_files: tuple[str, ...] = (), limits: Limits = Limits(max_files=MAX_FILES),
          progress: Callable[[str, int], ContextManager[Any]] | None = None,
          compare: Callable[..., Any] | None = None) -> Audit:
    """Scan ``location`` against ``store``, check the licence rules, compare model artifacts.

    ``progress(label, total)`` gives a context manager yielding a ``bar(n)``
    callback (:func:`attrib.cli.common.progress`); ``compare`` replaces
    :func:`attrib.artifacts.compare_models` (tests).
    """
    from .config import Config
    from .rules import load_rules
    from .scan import check_rules, scan_source

    rules = load_rules(list(rule_files))  # shipped + the user's, never the audited repo's
    known = [u.name for u in store.upstreams()]
    unknown = [a for a in against if a not in known]
    if unknown:
        raise UsageError(f"unknown upstream {unknown[0]!r} for --against (indexed: "
                         f"{', '.join(known) or 'none'})")
    with open_audited(location, ref, limits) as source:
        with (progress("Auditing", len(source.files)) if progress else nullcontext()) as bar:
            report = scan_source(store, source, progress=bar)
        report = limit_to(report, against)
        report = check_rules(report, source, rules, Config(None))
        commit = source.commit
        left = _leftovers(source, store, report)
        local = None if ref or not Path(location).is_dir() else Path(location)
        with _materialised(source, local) as model_dir:
            artifacts = model_artifacts(model_dir, report, compare, store)
    return Audit(location, report, artifacts, tuple(against), commit, left)


@contextmanager
def _materialised(source, local: Path | None) -> Iterator[Path | None]:
    """The audited tree's model files as a directory (see attrib.artifacts.indexed)."""
    try:
        from .artifacts.indexed import model_tree
    except ImportError:  # the optional comparer is not installed: nothing to compare
        yield local
        return
    with model_tree(source, local) as tree:
        yield tree


def _leftovers(source, store: Store, report: Report) -> tuple[dict, ...]:
    from dataclasses import asdict

    from .leftovers import find_leftovers, renamed_model_types

    found = find_leftovers(source, store, report) + renamed_model_types(report, source, store)
    return tuple(asdict(x) for x in found)


def limit_to(report: Report, against: tuple[str, ...]) -> Report:
    """The report with only the matches, file shares and upstreams of ``against`` (all if empty)."""
    if not against:
        return report
    keep = set(against)
    files = []
    for f in report.files:
        ups = tuple((n, k) for n, k in f.upstreams if n in keep)
        if ups:
            derived = min(f.derived_lines, sum(k for _, k in ups))
            files.append(FileSummary(f.path, f.lines, derived, ups))
    return replace(report, matches=tuple(m for m in report.matches if m.upstream in keep),
                   files=tuple(files),
                   upstreams=tuple(u for u in report.upstreams if u.name in keep))


# -- model artifacts -----------------------------------------------------------------------

def model_artifacts(local: Path | None, report: Report,
                    compare: Callable[..., Any] | None = None, store: Store | None = None) -> dict:
    """The model-artifact section: a plain dict, ``status`` "compared" or "not compared".

    Each matched upstream is compared from its files when it was indexed from a local
    directory that still has them (the weights then too), else from the model artifacts
    the index recorded for it (``source`` says which). With no code match at all, every
    upstream with indexed model artifacts is compared: a model-only copy has no code to
    match. A comparer that fails is recorded, and the audit goes on.
    """
    compare = compare or _comparer()
    if compare is None:
        return _not_compared("the model-artifact comparer (attrib.artifacts) is not installed")
    if local is None:
        return _not_compared("the audited repository is not a local directory (a URL or a ref)")
    if not _has_model_files(local):
        return _not_compared("no model files (config, tokenizer, weights, weight map, LFS pointers) in the audited tree")
    indexed, problems = _indexed(store)
    matched = {m.upstream for m in report.matches}
    candidates = [u for u in report.upstreams if u.name in matched] or \
        [u for u in report.upstreams if u.name in indexed]
    pairs = [(u, "files" if _has_model_files(Path(u.location)) else "index")
             for u in candidates if u.name in indexed or _has_model_files(Path(u.location))]
    if not pairs:
        return _not_compared("no matched upstream has model files, in its directory or in "
                             "the index")
    sections = []
    for u, how in pairs:
        try:
            result = compare(str(local), u.location) if how == "files" else \
                _compare_indexed(indexed[u.name], local, u.name)
        except Exception as exc:  # noqa: BLE001 - bad model files are data, not a crash
            sections.append({"name": u.name, "upstream": u.name, "source": how,
                             "verdict": "error", "figures": {},
                             "problems": [f"{type(exc).__name__}: {exc}"]})
            continue
        code = sorted({r for m in report.matches if m.upstream == u.name
                       for r in getattr(m, "renames", ())})
        sections += [_with_code_renames({**s, "upstream": u.name, "source": how}, code,
                                        upstream_first=how == "index")
                     for s in artifact_sections(result)]
    out = {"status": "compared", "reason": "", "sections": sections}
    if problems:
        out["problems"] = [f"{where}: {why}" for where, why in problems]
    return out


def _indexed(store: Store | None) -> tuple[dict[str, dict], list]:
    """The model fingerprints the index holds, by upstream ({} for a store without them)."""
    if store is None or not hasattr(store, "artifacts"):
        return {}, []
    from .artifacts.indexed import indexed_models

    return indexed_models(store)


def _compare_indexed(fp: dict, local: Path, name: str) -> Any:
    from .artifacts.fingerprint import compare_with_fingerprint

    return compare_with_fingerprint(fp, local, f"{name} (indexed)")


def _with_code_renames(section: dict, code: list[tuple[str, str]],
                       upstream_first: bool = False) -> dict:
    """The config's key rename map beside the code's identifier rename map: a key renamed
    the same way in both (``vision_batch_size -> vision_chunk``) is one disguise, twice."""
    keys = section.get("figures", {}).get("renamed_keys")
    if section.get("name") != "config" or not (keys or code):
        return section
    # the audit compares (audited, upstream); code renames read upstream -> audited
    # (an indexed upstream is compared as (upstream, audited): its map reads that way already)
    pairs = [(b, a) if not upstream_first else (a, b) for a, b in (keys or {}).items()]
    leaf = {a.rsplit(".", 1)[-1]: b.rsplit(".", 1)[-1] for a, b in pairs}
    both = sorted(f"{a} -> {b}" for a, b in code if leaf.get(a) == b)
    figures = {**section["figures"], "code_renames": [f"{a} -> {b}" for a, b in code[:40]],
               "renamed_in_config_and_code": both}
    return {**section, "figures": figures}


def _comparer() -> Callable[..., Any] | None:
    """``attrib.artifacts.compare_models`` when that optional package is there."""
    try:
        from . import artifacts
    except ImportError:
        return None
    return getattr(artifacts, "compare_models", None)


def _not_compared(reason: str) -> dict:
    return {"status": "not compared", "reason": reason, "sections": []}


def _has_model_files(path: Path) -> bool:
    """Whether the tree at ``path`` holds model files anywhere (bounded walk, no symlinks)."""
    try:
        if not path.is_dir():
            return False
        from .artifacts.files import locate

        return locate(path).found
    except (OSError, AttribError):
        return False


def artifact_sections(result: Any) -> list[dict]:
    """An ``ArtifactReport`` (or a dict of one) as plain section dicts.

    Each section: ``name``, ``verdict``, ``figures`` (name -> number or text),
    ``problems`` (texts), and optionally ``histogram`` ({edges, counts, gaussian})
    and ``correlations`` ([[tensor, r], ...]).
    """
    from dataclasses import asdict, is_dataclass

    if hasattr(result, "to_dict"):
        result = result.to_dict()
    elif is_dataclass(result) and not isinstance(result, type):
        result = asdict(result)
    raw = result.get("sections", result) if isinstance(result, dict) else result
    kinds = ("config", "tokenizer", "weight_map", "lfs", "weights")
    if isinstance(raw, dict) and any(k in raw for k in kinds):
        # an ArtifactReport: its sections, not its run parameters (a, b, seed, ...)
        raw = [raw[k] for k in kinds if isinstance(raw.get(k), dict)
               and (raw[k].get("verdict") != "absent" or raw[k].get("problems"))]
    if isinstance(raw, dict):
        raw = [{"name": k, **(v if isinstance(v, dict) else {"verdict": str(v)})}
               for k, v in raw.items()]
    out = []
    for s in raw or []:
        if is_dataclass(s) and not isinstance(s, type):
            s = asdict(s)
        if not isinstance(s, dict):
            continue
        figures = dict(s.get("figures") or {})
        pairs = figures.pop("pairs", None) or []
        extra = {}
        if figures.get("histogram"):
            extra["histogram"] = figures.pop("histogram")
        if pairs:
            extra["correlations"] = [[p.get("b"), p.get("correlation")] for p in pairs][:60]
        out.append({**s, **extra, "name": str(s.get("name", s.get("kind", "artifact"))),
                    "verdict": str(s.get("verdict", "unknown")), "figures": figures,
                    "problems": [str(p) for p in s.get("problems") or []]})
    return out


# -- the summary at the top of the report -----------------------------------------------------

def summary(report: Report) -> list[dict]:
    """One row per matched upstream: verdict, licence, lines copied, who had the code first."""
    verdicts = {v.upstream: v for v in report.verdicts}
    licences = {u.name: u.license for u in report.upstreams}
    rows = []
    for name in sorted({m.upstream for m in report.matches} | set(verdicts)):
        ms = [m for m in report.matches if m.upstream == name]
        v = verdicts.get(name)
        up = min((m.upstream_date for m in ms if m.upstream_date), default=None)
        ours = min((m.date for m in ms if m.date), default=None)
        rows.append({
            "upstream": name,
            "license": v.license if v else licences.get(name),
            "verdict": v.verdict if v else "match (rules not checked)",
            "copied_lines": v.copied_lines if v else sum(m.end_line - m.start_line + 1 for m in ms),
            "matches": len(ms),
            "files": len({m.path for m in ms}),
            "failed": list(v.failed) if v else [],
            "upstream_first": _day(up),
            "audited_first": _day(ours),
            "first": _first(up, ours),
        })
    return rows


def _day(t: int | None) -> str | None:
    return time.strftime("%Y-%m-%d", time.gmtime(t)) if t else None


def _first(upstream: int | None, audited: int | None) -> str:
    if upstream is None or audited is None:
        return "unknown (no dates on " + ("either side" if upstream == audited else
                                          "the upstream" if upstream is None else
                                          "the audited repository") + ")"
    if upstream < audited:
        return "upstream"
    return "audited repository" if audited < upstream else "same day"


def audit_dict(a: Audit) -> dict:
    """The audit for machines: the scan report's JSON plus an ``audit`` section."""
    from .formats.json import report_dict

    return {**report_dict(a.report), "audit": audit_section(a)}


def audit_section(a: Audit) -> dict:
    """What an audit adds to a scan report: where, the per-upstream summary, model artifacts."""
    return {"schema_version": AUDIT_SCHEMA_VERSION, "location": a.location, "commit": a.commit,
            "against": list(a.against), "summary": summary(a.report),
            "leftovers": list(a.leftovers), "model_artifacts": a.artifacts}


def summary_text(a: Audit) -> str:
    """The audit summary for a terminal, printed after the text report."""
    lines = [f"Audit of {a.location}:"]
    for row in summary(a.report):
        lines.append(f"  {row['upstream']} ({row['license'] or 'licence unknown'}): "
                     f"{row['verdict'].upper()}, {row['copied_lines']} lines copied in "
                     f"{row['files']} files; first: {row['first']}")
    if len(lines) == 1:
        lines.append("  no code from the indexed upstreams")
    for x in a.leftovers:
        lines.append(f"  leftover: {x['path']} {x['key']} = {x['value']!r}: {x['detail']}")
    art = a.artifacts
    lines.append(f"  model artifacts: {art['status']}"
                 + (f" ({art['reason']})" if art.get("reason") else ""))
    for s in art.get("sections", []):
        lines.append(f"    {s['name']}: {s['verdict']}")
    if out := art.get("outputs"):
        lines.append(f"  shared mistakes: {out['verdict']} ({out['detail']})")
    return "\n".join(lines) + "\n"
