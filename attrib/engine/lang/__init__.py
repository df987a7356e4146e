# SPDX-License-Identifier: Apache-2.0
"""Languages: each turns a file's bytes into a normalised token stream and its fragments.

A language is a module with ``NAME``, ``VERSION`` and
``parse(data: bytes) -> tuple[TokenStream, list[Fragment]]``; the explicit
table below maps file endings to them.  Python gets a tree-sitter grammar and
function-level fragments; the others fall back to pygments tokens at file and
window granularity.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from ...model import ParsedFile, SourceFile

# file ending -> (module, language name)
_GENERIC = "attrib.engine.lang.generic"
EXTENSIONS: dict[str, tuple[str, str]] = {
    ".py": ("attrib.engine.lang.python", "python"),
    ".ipynb": ("attrib.engine.lang.python", "python"),  # code cells, see lang/notebook.py
    ".pyi": ("attrib.engine.lang.python", "python"),
    ".js": (_GENERIC, "javascript"), ".mjs": (_GENERIC, "javascript"),
    ".cjs": (_GENERIC, "javascript"), ".jsx": (_GENERIC, "javascript"),
    ".ts": (_GENERIC, "typescript"), ".tsx": (_GENERIC, "typescript"),
    ".c": (_GENERIC, "c"), ".h": (_GENERIC, "c"),
    ".cc": (_GENERIC, "cpp"), ".cpp": (_GENERIC, "cpp"), ".cxx": (_GENERIC, "cpp"),
    ".hpp": (_GENERIC, "cpp"), ".hh": (_GENERIC, "cpp"), ".hxx": (_GENERIC, "cpp"),
    ".cu": (_GENERIC, "cpp"), ".cuh": (_GENERIC, "cpp"),
    # where C++ libraries keep inline and template definitions (Boost's .ipp, .inl, .tpp)
    ".ipp": (_GENERIC, "cpp"), ".inl": (_GENERIC, "cpp"), ".tpp": (_GENERIC, "cpp"),
    ".txx": (_GENERIC, "cpp"),
    ".java": (_GENERIC, "java"), ".go": (_GENERIC, "go"), ".rs": (_GENERIC, "rust"),
}


def language_of(path: str) -> str | None:
    """The language name for ``path``, or None when attrib does not read that kind of file."""
    dot = path.rfind(".")
    entry = EXTENSIONS.get(path[dot:].lower()) if dot >= 0 else None
    return entry[1] if entry else None


def _module(path: str) -> ModuleType:
    dot = path.rfind(".")
    return importlib.import_module(EXTENSIONS[path[dot:].lower()][0])


def normaliser_version() -> str:
    """One string naming every language's normaliser version; stored in the index."""
    from . import generic, python

    return f"py{python.VERSION}-gen{generic.VERSION}"


class ParseFailure(Exception):
    """A file could not be decoded or parsed; the message is the skip reason."""


# Bounds on one file, whatever --max-file-size allows (issue 11: a dense 1 MB Python file
# took ~1 GB through the pipeline, a 50 MB one-line file 24 GiB).  Hand-written files stay far
# below them: the largest in CPython, numpy, scipy and sympy have ~120k tokens, ~25k lines
# (generated tables reach 150k) and lines under 35k characters.  Peak memory is about
# 1.3 KB per token from parsing to fingerprints, so MAX_TOKENS keeps a file under ~350 MB.
MAX_TOKENS = 250_000
MAX_LINES = 200_000
MAX_LINE_CHARS = 50_000
# A cheap over-estimate of tokens (every word plus every other non-space character),
# checked before any grammar runs; comments and strings count too, hence the slack.
MAX_TOKEN_ESTIMATE = 4 * MAX_TOKENS
# each byte as w (word: letters, digits, _, any non-ASCII), s (space) or p (punctuation)
_CLASSES = bytes((ord("w") if chr(b).isalnum() or b == 95 or b > 127 else
                  ord("s") if chr(b).isspace() else ord("p")) for b in range(256))
_CHUNK = 1 << 22


def size_problem(text: str, data: bytes | None = None) -> str | None:
    """Why ``text`` (its UTF-8 bytes ``data``) is too large to parse within the bounds above,
    or None.  Counts only, in C (str.count, str.find, bytes.translate): no copy of the text."""
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        return f"too many lines ({lines} > {MAX_LINES})"
    longest = _longest_line(text) if len(text) > MAX_LINE_CHARS else 0
    if longest > MAX_LINE_CHARS:
        return f"line too long ({longest} > {MAX_LINE_CHARS} characters: generated or minified)"
    estimate = _token_estimate(text.encode("utf-8") if data is None else data)
    if estimate > MAX_TOKEN_ESTIMATE:
        return f"too many tokens (about {estimate} > {MAX_TOKEN_ESTIMATE})"
    return None


def _longest_line(text: str) -> int:
    longest, start = 0, 0
    while (end := text.find("\n", start)) >= 0:
        longest, start = max(longest, end - start), end + 1
    return max(longest, len(text) - start)


def _token_estimate(data: bytes) -> int:
    """Runs of word bytes plus punctuation bytes, in chunks (a 50 MB file costs 4 MB)."""
    total, previous = 0, b"s"
    for at in range(0, len(data), _CHUNK):
        classes = data[at:at + _CHUNK].translate(_CLASSES)
        total += classes.count(b"p") + classes.count(b"sw") + classes.count(b"pw")
        total += classes[:1] == b"w" and previous != b"w"
        previous = classes[-1:]
    return total


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR as LF, so a copy saved with other line endings reads the same and
    its line numbers are those an editor shows (tree-sitter and pygments count only LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_file(source: SourceFile) -> ParsedFile:
    """Parse one supported source file; raises :class:`ParseFailure` with a reason."""
    language = language_of(source.path)
    if language is None:
        raise ParseFailure("unsupported language")
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseFailure(f"undecodable (not UTF-8 at byte {exc.start})") from None
    from ...headers import notice_lines

    text = normalise_newlines(text)
    module = _module(source.path)
    shown = None
    if source.path.lower().endswith(".ipynb"):  # bounded on its code, not its JSON
        text, shown, stream, fragments = _notebook(text, module, language)
    else:
        if problem := size_problem(text, source.data):  # CR is a space to the estimate
            raise ParseFailure(problem)
        stream, fragments = module.parse(text, language)
    if len(stream.texts) > MAX_TOKENS:
        raise ParseFailure(f"too many tokens ({len(stream.texts)} > {MAX_TOKENS})")
    text_lines = file_lines(text) if shown is None else shown
    return ParsedFile(
        path=source.path, blob_id=source.blob_id, language=language, stream=stream,
        fragments=tuple(fragments),
        line_count=len(text_lines) if shown is not None
        else text.count("\n") + (not text.endswith("\n")),
        date=source.date, commit=source.commit, author=source.author,
        header=notice_lines(text), text_lines=text_lines, first_date=source.first_date,
        author_date=source.author_date, first_author_date=source.first_author_date,
    )


def _notebook(text: str, module: ModuleType, language: str):
    """A notebook's code cells parsed as one file, every line put back on its notebook line."""
    from dataclasses import replace

    from .notebook import extract

    try:
        nb = extract(text)
    except ValueError as exc:
        raise ParseFailure(str(exc)) from None
    if problem := size_problem(nb.code):
        raise ParseFailure(problem)
    stream, fragments = module.parse(nb.code, language)
    where = nb.lines

    def line(n: int) -> int:
        return where[min(max(n, 1), len(where)) - 1] if where else 1

    stream = replace(stream, lines=tuple(line(n) for n in stream.lines),
                     end_lines=tuple(line(n) for n in stream.end_lines))
    fragments = [replace(f, start_line=line(f.start_line), end_line=line(f.end_line))
                 for f in fragments]
    return nb.code, nb.file_lines, stream, fragments


def file_lines(text: str) -> tuple[str, ...]:
    """The lines evidence quotes: split where tree-sitter and pygments count a new line.

    A trailing ``\r`` (CRLF files) is the line ending, not the line's text.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(line[:-1] if line.endswith("\r") else line for line in lines)
