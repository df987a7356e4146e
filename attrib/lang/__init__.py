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

from ..model import ParsedFile, SourceFile

# file ending -> (module, language name)
_GENERIC = "attrib.lang.generic"
EXTENSIONS: dict[str, tuple[str, str]] = {
    ".py": ("attrib.lang.python", "python"),
    ".pyi": ("attrib.lang.python", "python"),
    ".js": (_GENERIC, "javascript"), ".mjs": (_GENERIC, "javascript"),
    ".cjs": (_GENERIC, "javascript"), ".jsx": (_GENERIC, "javascript"),
    ".ts": (_GENERIC, "typescript"), ".tsx": (_GENERIC, "typescript"),
    ".c": (_GENERIC, "c"), ".h": (_GENERIC, "c"),
    ".cc": (_GENERIC, "cpp"), ".cpp": (_GENERIC, "cpp"), ".cxx": (_GENERIC, "cpp"),
    ".hpp": (_GENERIC, "cpp"), ".hh": (_GENERIC, "cpp"), ".cu": (_GENERIC, "cpp"),
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


def parse_file(source: SourceFile) -> ParsedFile:
    """Parse one supported source file; raises :class:`ParseFailure` with a reason."""
    language = language_of(source.path)
    if language is None:
        raise ParseFailure("unsupported language")
    try:
        text = source.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseFailure(f"undecodable (not UTF-8 at byte {exc.start})") from None
    from ..headers import notice_lines

    module = _module(source.path)
    stream, fragments = module.parse(text, language)
    return ParsedFile(
        path=source.path, blob_id=source.blob_id, language=language, stream=stream,
        fragments=tuple(fragments), line_count=text.count("\n") + (not text.endswith("\n")),
        date=source.date, commit=source.commit, author=source.author,
        header=notice_lines(text), text_lines=file_lines(text),
    )


def file_lines(text: str) -> tuple[str, ...]:
    """The lines evidence quotes: split where tree-sitter and pygments count a new line.

    A trailing ``\r`` (CRLF files) is the line ending, not the line's text.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(line[:-1] if line.endswith("\r") else line for line in lines)
