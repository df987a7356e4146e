# SPDX-License-Identifier: Apache-2.0
"""The library entry points behind ``attrib scan``, ``attrib compare`` and ``attrib notice``."""
from __future__ import annotations

import fnmatch
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .engine.index.base import Store
from .engine.lang import language_of
from .engine.indexing import Parsed, Progress, index_source, parse_source, supported
from .engine.match import MatchOptions, match_files
from .model import ParsedFile, Report, Source, UpstreamInfo

if TYPE_CHECKING:
    from .config import Config
    from .rules import RuleSet


def scan_source(store: Store, source: Source, options: MatchOptions | None = None,
                progress: Progress | None = None,
                parser: Callable[[Source], Parsed] | None = None,
                focus: dict[str, frozenset[int]] | None = None) -> Report:
    """Match every supported file of ``source`` against ``store``.

    ``parser`` replaces plain parsing (``attrib check`` reuses cached blobs);
    ``focus`` limits the search to the lines a change adds.
    """
    t0 = time.perf_counter()
    parsed = _parse_reusing(store, source, parser, progress)
    t1 = time.perf_counter()
    matches, summaries, stats = match_files(store, list(parsed.files), options or MatchOptions(),
                                            focus)
    stats = {**stats, "parse_seconds": t1 - t0, "files": float(len(parsed.files)),
             "lines": float(sum(p.line_count for p in parsed.files)),
             "unsupported_files": float(parsed.unsupported)}
    return Report(
        target=source.root,
        matches=tuple(sorted(matches, key=lambda m: (m.path, m.start_line, m.upstream))),
        files=tuple(s for s in summaries if s.derived_lines),
        skipped=parsed.skipped,
        upstreams=tuple(store.upstreams()),
        stats=stats,
    )


def _parse_reusing(store: Store, source: Source, parser: Callable[[Source], Parsed] | None,
                   progress: Progress | None) -> Parsed:
    """Parse ``source``, taking the blobs the index already holds from the index.

    A fork is mostly its upstream's blobs: decoding them is much cheaper than
    parsing, and they are byte for byte what the index parsed with the same
    normaliser (the index refuses other fingerprint parameters).
    """
    held = store.known_blobs({f.blob_id for f in supported(source.files)})
    reused: dict[str, ParsedFile] = {}
    for f in supported(source.files):
        if f.blob_id in held:
            blob = store.load_blob(f.blob_id)
            # a blob with no lines cannot be quoted; a .h blob indexed as C may be C++ here
            if (blob.text_lines or not f.data.strip()) and blob.language == language_of(f.path):
                reused[f.path] = replace(blob, path=f.path, date=f.date, commit=f.commit,
                                         author=f.author, first_date=f.first_date,
                                         author_date=f.author_date,
                                         first_author_date=f.first_author_date)
    rest = replace(source, files=tuple(f for f in source.files if f.path not in reused))
    parsed = parser(rest) if parser else parse_source(rest, progress=progress)
    if not reused:
        return parsed
    if progress:
        progress(len(reused))
    files = sorted((*parsed.files, *reused.values()), key=lambda p: p.path)
    return replace(parsed, files=tuple(files))


def compare_sources(suspect: Source, upstream: Source, upstream_name: str | None = None,
                    options: MatchOptions | None = None) -> Report:
    """Pairwise: which parts of ``suspect`` derive from ``upstream``; no index on disk."""
    from .engine.index.sqlite import SqliteStore
    from .licenses import detect_source

    name = upstream_name or Path(upstream.root).resolve().name or "upstream"
    store = SqliteStore.open(":memory:", create=True)
    try:
        index_source(store, upstream, UpstreamInfo(name, upstream.root, upstream.ref,
                                                   upstream.commit, detect_source(upstream)),
                     workers=1)
        return scan_source(store, suspect, options)
    finally:
        store.close()


def apply_config(report: Report, config: "Config") -> Report:
    """Drop matches the project's config excludes or holds too small or too weak."""
    def kept(m) -> bool:
        if any(fnmatch.fnmatch(m.path, g) for g in config.exclude):
            return False
        if config.min_lines and m.end_line - m.start_line + 1 < config.min_lines:
            return False
        return not (config.min_similarity and m.similarity < config.min_similarity)

    matches = tuple(m for m in report.matches if kept(m))
    if len(matches) == len(report.matches):
        return report
    paths = {m.path for m in matches}
    return replace(report, matches=matches, files=tuple(f for f in report.files if f.path in paths))


def check_rules(report: Report, source: Source, rules: "RuleSet", config: "Config") -> Report:
    """The report with the rules engine's findings, verdicts and the project's licence."""
    from .compliance import check_report

    t0 = time.perf_counter()
    report = apply_config(report, config)
    findings, verdicts, project_license = check_report(
        report.matches, declared(report.upstreams, config), source, rules, config)
    stats = {**report.stats, "rules_seconds": time.perf_counter() - t0}
    return replace(report, findings=tuple(findings), verdicts=tuple(verdicts),
                   project_license=project_license, stats=stats)


def declared(upstreams: tuple[UpstreamInfo, ...], config: "Config") -> dict[str, UpstreamInfo]:
    """The indexed upstreams, completed by what the project's config declares of them.

    A licence, URL or artifact licence the config states fills in what the
    index lacks (an upstream with no detectable licence file, say); the
    index's own findings stand where it has them.
    """
    out = {u.name: u for u in upstreams}
    for d in config.upstreams:
        u = out.get(d.name)
        if u is None:
            continue
        artifacts = dict(u.artifacts)
        for artifact, spdx in d.artifacts.items():
            artifacts.setdefault(artifact, spdx)
        out[d.name] = replace(u, license=u.license or d.license, url=u.url or d.url,
                              artifacts=tuple(sorted(artifacts.items())))
    return out
