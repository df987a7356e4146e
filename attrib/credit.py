# SPDX-License-Identifier: Apache-2.0
"""What counts as credit: a line that names the upstream as a source.

Credit names the upstream by its URL or owner/repo, by its copyright holders
or authors, or by its name inside a sentence or a section that credits a
source ("based on", "adapted from", "Acknowledgements", a NOTICE or CREDITS
file).  Never credit: the scanned project's own name (a copier who calls
the project after its upstream is not crediting it), a name found inside a
longer word, and anything listed under "Other implementations", "See also",
"Alternatives" and the like (a list of alternatives names competitors, not
sources).  Pure functions over texts; the rules engine reads the files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .headers import AUTHORSHIP

# a phrase that says the code comes from somewhere (issue 9: based on, adapted from, ...)
CREDITING = re.compile(
    r"\b(based\s+(?:up)?on|adapted\s+from|derived\s+from|derivative\s+of|"
    r"includes?\s+(?:\w+\s+){0,3}from|(?:code|portions?|parts?)\s+(?:\w+\s+){0,2}from|forked\s+from|fork\s+of|port\s+of|"
    r"ported\s+from|copied\s+from|taken\s+from|borrowed\s+from|modified\s+from|originally\s+"
    r"(?:from|by|written\s+by)|vendored\s+from|credits?\s+(?:go(?:es)?\s+)?to|thanks\s+to|"
    r"courtesy\s+of|built\s+(?:up)?on|uses?\s+code\s+from|reimplementation\s+of)\b", re.I)
# headings under which a name is a credit, and under which it is not
CREDIT_HEADING = re.compile(r"acknowledg|credit|thanks|third[-_ ]?party|attribution|notice|"
                            r"origin|based on|derived|upstream|license|licence|copyright", re.I)
ALTERNATIVES_HEADING = re.compile(r"other\s+(implementations?|projects?|libraries|tools|ports)|"
                                  r"see\s+also|similar|alternatives?|related|comparison|"
                                  r"competitors|ecosystem|awesome", re.I)
# "See also: ..." on a line of its own opens a list of alternatives that runs to the next blank line
_INLINE_ALTERNATIVES = re.compile(r"^\W{0,4}(other\s+(implementations?|projects?|libraries|tools)|"
                                  r"see\s+also|similar\s+(projects?|libraries|tools)|"
                                  r"alternatives?)\W{0,4}:", re.I)
_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")
_HEADING_MD = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^\s*([=\-~^*+#])\1{2,}\s*$")
_COPYRIGHT = re.compile(r"^\W*(copyright\b|\(c\)|©)", re.I)
_YEARS = re.compile(r"\b(19|20)\d\d(\s*[-–,]\s*((19|20)?\d\d|present))*\b", re.I)
_SKIP_NAMES = {"the", "authors", "contributors", "the authors", "all rights reserved", "and"}


@dataclass(frozen=True)
class Needle:
    """Something that names the upstream, and how strongly."""

    text: str
    kind: str  # url | repo | holder | author | name
    pattern: re.Pattern[str]

    @property
    def strong(self) -> bool:
        """A URL, owner/repo, holder or author credits wherever it stands; a bare name does not."""
        return self.kind != "name"


@dataclass(frozen=True)
class Credit:
    """A line that credits the upstream: where, the line itself, and what it names."""

    path: str
    line: int
    text: str
    names: str  # the needle found
    kind: str

    def quote(self) -> str:
        return f"{self.path}:{self.line}: {self.text.strip()[:200]}"


def is_copyright_line(line: str) -> bool:
    """A line that states a copyright (``Copyright (c) 2019 Jane Doe``, ``(C) 2019 ...``)."""
    return bool(_COPYRIGHT.search(line))


def authorship_names(lines: tuple[str, ...] | list[str]) -> list[str]:
    """The authors a header's authorship lines name: ``@author: utkarsh`` -> ``utkarsh``."""
    out = []
    for line in lines:
        found = AUTHORSHIP.search(line.strip())
        if not found:
            continue
        rest = line.strip()[found.end():].lstrip(" :=-")
        rest = re.sub(r"<[^>]*@[^>]*>|\S+@\S+|\(.*?\)|https?://\S+", " ", rest)
        for part in re.split(r"\s*(?:,|;|&|\band\b)\s*", rest):
            part = " ".join(re.sub(r"^[\W_]+|[\W_]+$", "", part).split())
            if len(part) >= 3 and part.lower() not in _SKIP_NAMES | _NO_AUTHOR and part not in out:
                out.append(part)
    return out


_NO_AUTHOR = {"admin", "user", "root", "unknown", "none", "name", "your name", "author",
              "administrator", "me", "todo"}


def is_authorship_line(line: str) -> bool:
    """A header line that says who wrote the file (``@author: jane``)."""
    return bool(AUTHORSHIP.search(line.strip()))


def holder_names(lines: tuple[str, ...] | list[str]) -> list[str]:
    """The holders a copyright line names: ``Copyright (c) 2019-2021 Jane Doe`` -> ``Jane Doe``."""
    out = []
    for line in lines:
        if not _COPYRIGHT.search(line):
            continue
        name = re.sub(r"(?i)copyright|\(c\)|©|all rights reserved\.?", " ", line)
        name = _YEARS.sub(" ", name)
        name = re.sub(r"<[^>]*@[^>]*>|\S+@\S+", " ", name)  # e-mail addresses are not names
        if _PLACEHOLDER.search(name):  # a template's blank, not a holder (cobra's scaffold)
            continue
        name = " ".join(re.sub(r"^[\W_]+|[\W_]+$", "", name).split())
        for part in re.split(r"\s*(?:,|;|\band\b)\s*", name):
            part = part.strip(" .")
            if len(part) >= 3 and part.lower() not in _SKIP_NAMES and part not in out:
                out.append(part)
    return out


# the blanks of licence templates and generators: "<copyright holders>", "[fullname]",
# "NAME HERE <EMAIL ADDRESS>", "{{ author }}", "YOUR NAME"
_PLACEHOLDER = re.compile(r"<\s*(copyright\s+holders?|owner|name|author|email(\s+address)?|year)"
                          r"\s*>|\[\s*(fullname|name|owner|year|yyyy|author)\s*\]|\{\{|"
                          r"\bname\s+here\b|\byour\s+name\b|\bemail\s+address\b", re.I)


def own_names(root_name: str, texts: dict[str, str]) -> set[str]:
    """Names the scanned project goes by: its directory, package metadata and README title."""
    names = {root_name}
    for path, text in texts.items():
        low = path.lower()
        if low in ("pyproject.toml", "setup.cfg", "cargo.toml"):
            names |= set(re.findall(r"(?m)^\s*name\s*=\s*[\"']?([\w.\-]+)", text)[:1])
        elif low == "package.json":
            names |= set(re.findall(r"\"name\"\s*:\s*\"(?:@[^/\"]+/)?([^\"]+)\"", text)[:1])
        elif low == "setup.py":
            names |= set(re.findall(r"name\s*=\s*[\"']([\w.\-]+)", text)[:1])
        elif low.startswith("readme"):
            title = _title(text)
            if title:
                names.add(title)
                names |= set(re.findall(r"[\w.\-]+", title)[:1])  # "gridlib (fork)" -> gridlib
    return {_squash(n) for n in names if n}


def _title(text: str) -> str | None:
    lines = text.splitlines()[:40]
    for i, line in enumerate(lines):
        if m := _HEADING_MD.match(line):
            return m.group(2)
        if i + 1 < len(lines) and line.strip() and _UNDERLINE.match(lines[i + 1]):
            return line.strip()
    return None


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def word(text: str) -> re.Pattern[str]:
    """``text`` as a whole word: not inside a longer name (``grid`` is not in ``gridlib``)."""
    return re.compile(r"(?<![\w\-./])" + re.escape(text) + r"(?![\w\-]|\.\w)", re.I)


def needles(name: str, url: str | None, holders: list[str], authors: list[str],
            own: set[str], signed: list[str] = ()) -> list[Needle]:
    """What would name the upstream; nothing the scanned project is itself called.

    ``signed`` are the authors the upstream's file headers name ("@author: jroe"): a name
    the upstream wrote down as its author, however short, unlike a git login."""
    out: list[Needle] = []
    if url:
        bare = re.sub(r"^[a-z+]+://(www\.)?|^git@", "", url.strip().lower()).rstrip("/")
        bare = bare.removesuffix(".git").replace(":", "/")
        out.append(Needle(url, "url", re.compile(re.escape(bare) + r"(?![\w\-])", re.I)))
        parts = bare.split("/")
        if len(parts) >= 3:
            repo = "/".join(parts[-2:])
            out.append(Needle(repo, "repo", word(repo)))
            # the upstream's owner, linked by its profile page ("refer to
            # [gitabcworld](https://github.com/gitabcworld/)'s implementation")
            profile = "/".join(parts[:-1])
            out.append(Needle(profile, "url",
                              re.compile(re.escape(profile) + r"/?(?![\w\-]|\.\w|/\w)", re.I)))
            for older in _former_names(parts[-1]):
                was = "/".join([*parts[:-1], older])
                out.append(Needle(was, "url", re.compile(re.escape(was) + r"(?![\w\-])", re.I)))
                out.append(Needle(f"{parts[-2]}/{older}", "repo", word(f"{parts[-2]}/{older}")))
    for h in holders:
        if _squash(h) not in own:
            out.append(Needle(h, "holder", word(h)))
    for a in authors:  # a git author is a name only when it is more than one short word
        if (len(a) >= 6 or " " in a.strip()) and _squash(a) not in own:
            out.append(Needle(a, "author", word(a)))
    for a in signed:
        if len(a) >= 3 and _squash(a) not in own and a not in authors:
            out.append(Needle(a, "author", word(a)))
    if len(_squash(name)) >= 3 and _squash(name) not in own:
        out.append(Needle(name, "name", word(name)))
    return out


def _former_names(repo: str) -> list[str]:
    """Names the same owner's repository plausibly had before a rename that appended a part
    (ikostrikov/pytorch-a2c-ppo-acktr became ...-acktr-gail; GitHub redirects the old
    links, so credit written before the rename still names the old one): the name cut at a
    ``-`` or ``_``, keeping most of it."""
    cuts = [m.start() for m in re.finditer(r"[-_]", repo)]
    return [repo[:c] for c in cuts if c >= 0.6 * len(repo) and c >= 6]


def find_credits(path: str, text: str, found: list[Needle],
                 whole_file_credits: bool) -> list[Credit]:
    """The lines of ``text`` that credit: a strong needle outside a list of alternatives, or the
    name in a crediting sentence or section (anywhere in a NOTICE/CREDITS file)."""
    out = []
    rows = list(_lines(text))
    # a crediting sentence wraps: "based on the work\nof gridlib" credits across its paragraph
    saying = _paragraphs_that_credit([line for _, line, _ in rows])
    for (lineno, line, section), said in zip(rows, saying):
        if section == "alternatives":
            continue
        crediting = whole_file_credits or section == "credit" or said
        elsewhere = _links_elsewhere(line, found)
        for n in found:
            if elsewhere and n.kind not in ("url", "repo"):
                continue  # "[LLaVA-UHD + OpenBMB](github.com/thunlp/LLaVA-UHD)" credits LLaVA-UHD
            if (n.strong or crediting) and n.pattern.search(line):
                out.append(Credit(path, lineno, line, n.text, n.kind))
                break
    return out


_REPO_LINK = re.compile(r"(?:https?://)?(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|"
                        r"codeberg\.org|huggingface\.co|sr\.ht)/[\w.\-]+/[\w.\-]+", re.I)


def _links_elsewhere(line: str, found: list[Needle]) -> bool:
    """The line links a repository, and not the upstream's: what it names, it names as part of
    that other project's credit (a holder of many projects does not get one project's credit
    from a line about another)."""
    links = _REPO_LINK.findall(line)
    if not links:
        return False
    ours = [n for n in found if n.kind in ("url", "repo")]
    return not any(n.pattern.search(link) for link in links for n in ours)


def _paragraphs_that_credit(lines: list[str]) -> list[bool]:
    """Per line: whether its paragraph holds a crediting phrase (a paragraph is a run of
    non-blank lines; each list item is a paragraph of its own)."""
    out, start = [False] * len(lines), 0
    for i in range(len(lines) + 1):
        item = i < len(lines) and bool(_LIST_ITEM.match(lines[i]))
        if i == len(lines) or not lines[i].strip() or item:
            said = bool(CREDITING.search(" ".join(lines[start:i])))
            out[start:i] = [said] * (i - start)
            start = i if item else i + 1
    return out


def find_comment_credits(path: str, comments: list[tuple[int, str]],
                         found: list[Needle]) -> list[Credit]:
    """A comment in a copied file that credits it: ``# adapted from <url>``."""
    out = []
    for lineno, line in comments:
        _comment_credits(line, found, out, path, lineno)
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _comment_credits(line: str, found: list[Needle], out: list[Credit], path: str,
                     lineno: int) -> bool:
    """Whether one sentence of ``line`` credits the upstream: the crediting phrase and the name
    in the same sentence ("Created by Jane. Icons thanks to Bob." credits Bob, not Jane)."""
    copyright_line = bool(_COPYRIGHT.search(line)) or is_authorship_line(line)
    for sentence in _SENTENCE_END.split(line):
        crediting = copyright_line or bool(CREDITING.search(sentence))
        for n in found:
            if (crediting or n.kind in ("url", "repo")) and n.pattern.search(sentence):
                out.append(Credit(path, lineno, line, n.text, n.kind))
                return True
    return False


def _lines(text: str):
    """(line number, line, section kind) where kind is credit | alternatives | "" (plain)."""
    stack: list[tuple[int, str]] = []  # (heading level, kind)
    lines = text.splitlines()
    inline = False
    for i, line in enumerate(lines):
        inline = bool(_INLINE_ALTERNATIVES.match(line)) or (inline and bool(line.strip()))
        if inline:
            yield i + 1, line, "alternatives"
            continue
        level, heading = _heading(lines, i)
        if heading is not None:
            while stack and stack[-1][0] >= level:
                stack.pop()
            kind = ("alternatives" if ALTERNATIVES_HEADING.search(heading)
                    else "credit" if CREDIT_HEADING.search(heading) else "")
            stack.append((level, kind))
        section = next((k for _, k in reversed(stack) if k), "")
        yield i + 1, line, section


def _heading(lines: list[str], i: int) -> tuple[int, str | None]:
    line = lines[i]
    if m := _HEADING_MD.match(line):
        return len(m.group(1)), m.group(2)
    if i + 1 < len(lines) and line.strip() and _UNDERLINE.match(lines[i + 1]) \
            and not _UNDERLINE.match(line):
        return (1 if lines[i + 1].strip()[0] == "=" else 2), line.strip()
    if m := re.match(r"^\s*(?:\*\*|__)([^*_]{2,60})(?:\*\*|__):?\s*$", line):  # **Credits**
        return 3, m.group(1)
    if m := re.match(r"^\s*<h([1-6])[^>]*>(.*?)</h\1>", line, re.I):
        return int(m.group(1)), m.group(2)
    return 0, None
