# SPDX-License-Identifier: Apache-2.0
"""The records that flow through the pipeline, all frozen.

Vocabulary: a *fragment* here is an extracted code unit (module, class,
function or token window) with its line span; Dolos uses the word for a
matched run, which we call a *tile*.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceFile:
    """One file read from a directory or a git tree."""

    path: str  # posix path relative to the source root
    blob_id: str  # git blob id (computed the way `git hash-object` does for plain files)
    data: bytes
    date: int | None = None  # unix time of the commit that introduced the blob, if known
    commit: str | None = None
    author: str | None = None
    first_date: int | None = None  # unix time of the oldest commit holding this path at all
    # the author dates of those two commits: a rewritten history keeps them, a copier can
    # set them by hand; who had it first reads both (attrib/history.py)
    author_date: int | None = None
    first_author_date: int | None = None


@dataclass(frozen=True)
class Skip:
    """A file that was not analysed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Source:
    """What a source yielded: readable files, recorded skips, and where it came from."""

    root: str
    files: tuple[SourceFile, ...]
    skipped: tuple[Skip, ...]
    ref: str | None = None
    commit: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class TokenStream:
    """A file's normalised tokens.

    ``texts`` are what fingerprints and alignment see (identifiers a copier can
    rename become ``$``, literals ``S``/``N``); ``raw`` keeps the original text
    of every token, so a rename map and the clone type can be told.

    Each token's place in the file: it starts on ``lines[i]`` at character
    column ``cols[i]`` and ends on ``end_lines[i]`` before column ``end_cols[i]``
    (0-based, end exclusive, counted in characters of the decoded line, a tab
    being one), so quoted evidence can mark the matched tokens on the file's own
    lines.  Tokens the normaliser makes up (block markers) have no width.
    """

    texts: tuple[str, ...]
    raw: tuple[str, ...]
    lines: tuple[int, ...]
    renameable: tuple[bool, ...]  # True where texts[i] abstracts an identifier
    cols: tuple[int, ...] = ()
    end_lines: tuple[int, ...] = ()
    end_cols: tuple[int, ...] = ()


@dataclass(frozen=True)
class Fragment:
    """A code unit: a slice ``[tok_start, tok_end)`` of its file's token stream."""

    kind: str  # module | class | function | window
    name: str  # qualified name within the file (``Resampler.forward``)
    start_line: int
    end_line: int
    tok_start: int
    tok_end: int

    @property
    def size(self) -> int:
        return self.tok_end - self.tok_start


@dataclass(frozen=True)
class ParsedFile:
    """A source file after parsing and normalisation."""

    path: str
    blob_id: str
    language: str
    stream: TokenStream
    fragments: tuple[Fragment, ...]
    line_count: int
    date: int | None = None
    commit: str | None = None
    author: str | None = None
    header: tuple[str, ...] = ()  # copyright and licence lines of the file's leading comments
    first_date: int | None = None  # when its history first held this path (any version)
    text_lines: tuple[str, ...] = ()  # the file's own lines, decoded, without line endings
    author_date: int | None = None  # the author dates of ``date``'s and ``first_date``'s commits
    first_author_date: int | None = None


@dataclass(frozen=True)
class Tile:
    """A run of identical normalised tokens on both sides (greedy string tiling)."""

    s_start: int  # token index in the suspect stream
    u_start: int  # token index in the upstream stream
    length: int


@dataclass(frozen=True)
class Evidence:
    """Line-level evidence of one tile: suspect lines beside upstream lines."""

    start_line: int
    end_line: int
    upstream_start_line: int
    upstream_end_line: int


@dataclass(frozen=True)
class QuotedLine:
    """One line of a file quoted as evidence: the file's own text, never rebuilt.

    ``spans`` are the column ranges ``[start, end)`` of the tokens the
    alignment matched; ``renamed`` those of identifiers the rename map renames.
    """

    line: int
    text: str
    spans: tuple[tuple[int, int], ...] = ()
    renamed: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Match:
    """A region of a suspect file derived from a region of an upstream file."""

    path: str
    start_line: int
    end_line: int
    upstream: str
    upstream_path: str
    upstream_start_line: int
    upstream_end_line: int
    similarity: float
    clone_type: str  # exact | renamed | edited
    renames: tuple[tuple[str, str], ...]  # (upstream name, suspect name), sorted, one-to-one
    names: tuple[str, ...] = ()  # suspect fragment names the region covers
    upstream_names: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    also_in: tuple[str, ...] = ()  # other upstreams holding the same code
    upstream_date: int | None = None
    upstream_commit: str | None = None
    excerpt: tuple[QuotedLine, ...] = ()  # suspect lines, verbatim
    upstream_excerpt: tuple[QuotedLine, ...] = ()
    upstream_header: tuple[str, ...] = ()  # copyright/licence lines atop the upstream file
    alignment: tuple[tuple[int, int], ...] = ()  # (suspect line, upstream line) that tiles pair
    date: int | None = None  # when the suspect's history introduced the file's blob, if known
    commit: str | None = None
    author: str | None = None
    upstream_author: str | None = None
    # when each side's history first held the file at all (any version): who had it first
    # compares the copy's own version with the upstream file's first appearance
    first_date: int | None = None
    upstream_first_date: int | None = None
    rename_counts: tuple[int, ...] = ()  # aligned occurrences supporting each of ``renames``
    # the author dates of the same four commits (None: unknown, e.g. an index built before
    # they were kept): a history rewritten later keeps them (attrib/history.py)
    author_date: int | None = None
    first_author_date: int | None = None
    upstream_author_date: int | None = None
    upstream_first_author_date: int | None = None


@dataclass(frozen=True)
class FileSummary:
    """What share of a suspect file derives from which upstream."""

    path: str
    lines: int
    derived_lines: int
    upstreams: tuple[tuple[str, int], ...]  # (upstream name, lines derived from it)


@dataclass(frozen=True)
class UpstreamInfo:
    """An indexed upstream project."""

    name: str
    location: str  # path or URL it was indexed from
    ref: str | None
    commit: str | None
    license: str | None
    url: str | None = None
    files: int = 0
    fragments: int = 0
    lines: int = 0
    indexed_at: int | None = None
    notice: str | None = None  # the upstream's NOTICE text (Apache-2.0 §4(d) asks it be carried)
    artifacts: tuple[tuple[str, str], ...] = ()  # (artifact, SPDX id): weights may differ from code
    copyrights: tuple[str, ...] = ()  # copyright lines of its licence file (MIT/BSD ask they stay)

    @classmethod
    def from_dict(cls, d: dict) -> "UpstreamInfo":
        """From JSON (lists where tuples were); unknown keys are ignored."""
        known = {f for f in cls.__dataclass_fields__}
        d = {k: v for k, v in d.items() if k in known}
        d["artifacts"] = tuple(tuple(a) for a in d.get("artifacts") or ())
        d["copyrights"] = tuple(d.get("copyrights") or ())
        return cls(**d)

    def license_for(self, artifact: str = "code") -> str | None:
        """The licence of one artifact: its own if declared, else the upstream's."""
        return dict(self.artifacts).get(artifact, self.license)


@dataclass(frozen=True)
class Finding:
    """One obligation checked for one upstream: what the licence asks, and whether it holds."""

    rule: str
    check: str
    severity: str  # error | warning | info
    upstream: str
    status: str  # fail | pass | resolved | unknown
    citation: str
    summary: str  # what must hold
    message: str  # what was found, specifically
    fix: str = ""  # what to add, exactly where possible
    paths: tuple[str, ...] = ()  # suspect files concerned
    resolution: str | None = None  # reason and comment, when a project resolution applies
    # the matched spans concerned: (path, start, end, upstream path, upstream start, end)
    spans: tuple[tuple[str, int, int, str, int, int], ...] = ()
    # why a pass passed: "credit" (the upstream is named or its notice carried), "vacuous"
    # (the upstream had nothing to carry: not evidence of credit), "" (an obligation met)
    basis: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome for one upstream (the words are defined in attrib/compliance.py).

    copy without credit, partial, copy with credit, this repository had it
    first, or shared lineage.
    """

    upstream: str
    license: str | None
    verdict: str
    copied_lines: int
    passed: tuple[str, ...]  # rule ids
    failed: tuple[str, ...]
    unmet: tuple[str, ...] = ()  # the checks that fail (error and warning), for the verdict line
    direction: str = ""  # who had the code first, from both histories, or "direction unknown: ..."
    detail: str = ""  # the verdict line's explanation: what credits, what is unmet, whose code

    @property
    def line(self) -> str:
        """``COPY WITHOUT CREDIT (unmet: ...; direction unknown: ...)``, as reports print it."""
        return self.verdict.upper() + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Report:
    """The outcome of a scan or compare."""

    target: str
    matches: tuple[Match, ...]
    files: tuple[FileSummary, ...]
    skipped: tuple[Skip, ...]
    upstreams: tuple[UpstreamInfo, ...] = ()
    stats: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
    findings: tuple[Finding, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    project_license: str | None = None
    # where the scanned tree lies in the repository the user runs in ("examples/llama3v", or ""):
    # formats GitHub reads (SARIF, workflow commands) name files from the repository root
    root_prefix: str = ""

    def repo_path(self, path: str) -> str:
        """``path`` (relative to the scanned tree) relative to the repository root."""
        return f"{self.root_prefix.rstrip('/')}/{path}" if self.root_prefix else path

    @property
    def failed(self) -> bool:
        """Whether an obligation of severity error fails (unresolved): the exit code's test."""
        return any(f.status == "fail" and f.severity == "error" for f in self.findings)
