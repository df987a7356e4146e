# SPDX-License-Identifier: Apache-2.0
"""Licence detection: texts in disguise, SPDX headers, metadata, trees, bad input."""
from __future__ import annotations

import textwrap

import pytest

from attrib import licenses
from attrib.errors import ConfigError
from attrib.licenses import (
    copyright_lines, decode, detect_license_text, detect_metadata, detect_source, detect_text,
    detect_tree, license_family, spdx_headers, validate_spdx,
)
from attrib.engine.sources import open_source

from helpers import write_tree

BARE = {  # reference text -> what a bare copy of it is
    "Apache-2.0": "Apache-2.0", "MIT": "MIT", "MIT-0": "MIT-0", "BSD-2-Clause": "BSD-2-Clause",
    "BSD-3-Clause": "BSD-3-Clause", "ISC": "ISC", "0BSD": "0BSD", "Unlicense": "Unlicense",
    "CC0-1.0": "CC0-1.0", "Zlib": "Zlib", "BSL-1.0": "BSL-1.0", "MPL-2.0": "MPL-2.0",
    "GPL-2.0": "GPL-2.0-only", "GPL-3.0": "GPL-3.0-only", "LGPL-2.0": "LGPL-2.0-only",
    "LGPL-2.1": "LGPL-2.1-only", "LGPL-3.0": "LGPL-3.0-only", "AGPL-3.0": "AGPL-3.0-only",
}
LATER_NOTICE = ("This program is free software: you can redistribute it and/or modify it\n"
                "under the terms of the {name} as published by the Free Software\n"
                "Foundation, either version {version} of the License, or (at your option)\n"
                "any later version.\n\n")
GPL_NAMES = {"GPL": "GNU General Public License", "LGPL": "GNU Lesser General Public License",
             "AGPL": "GNU Affero General Public License"}


def ref(name: str) -> str:
    return (licenses.DATA / f"{name}.txt").read_text(encoding="utf-8")


def rewrap(text: str, width: int = 60) -> str:
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width) for p in text.split("\n\n") if p.strip())


def commented(text: str, middle: str, first: str = "", last: str = "") -> str:
    body = [middle + line for line in text.splitlines()]
    return "\n".join([first] * bool(first) + body + [last] * bool(last))


def later(name: str, text: str | None = None) -> str:
    family, version = name.split("-")
    notice = LATER_NOTICE.format(name=GPL_NAMES[family], version=version.removesuffix(".0"))
    return "frobnicate\nCopyright (C) 2024 Example Org\n\n" + notice + (ref(name) if text is None else text)


# ---------------------------------------------------------------- licence texts

@pytest.mark.parametrize("name", sorted(BARE))
@pytest.mark.parametrize("disguise", [
    lambda t: t,
    rewrap,
    lambda t: commented(t, "# "),
    lambda t: commented(t, " * ", "/*", " */"),
    lambda t: commented(t, "// "),
    lambda t: t.replace("\n", "\r\n"),
    lambda t: "Copyright (c) 2019-2024 Example Org\nCopyright 2023 Jane Doe\n\n" + t,
], ids=["verbatim", "rewrapped", "hash", "block", "slashes", "crlf", "copyrights"])
def test_every_reference_text_is_recognised_in_disguise(name, disguise):
    found = detect_license_text(disguise(ref(name)), "LICENSE")
    assert found.spdx == BARE[name]
    assert found.source == "license-file" and found.confidence >= 0.9 and found.line >= 1


@pytest.mark.parametrize("name", ["GPL-2.0", "GPL-3.0", "LGPL-2.1", "LGPL-3.0", "AGPL-3.0"])
def test_gpl_or_later_comes_from_the_notice_not_from_the_text(name):
    assert detect_text(ref(name)) == f"{name}-only"  # the appendix's template notice does not count
    assert detect_text(later(name)) == f"{name}-or-later"
    assert detect_text(rewrap(commented(later(name), "# "))) == f"{name}-or-later"
    assert detect_text(f"Licensed under the {name.split('-')[0]} version "
                       f"{name.split('-')[1]} only.\n\n" + ref(name)) == f"{name}-only"


@pytest.mark.parametrize("text, expected", [
    (ref("Apache-2.0").split("APPENDIX: How to apply")[0], "Apache-2.0"),
    (ref("Apache-2.0").split("END OF TERMS AND CONDITIONS")[0], "Apache-2.0"),
    (ref("GPL-3.0").split("How to Apply These Terms")[0], "GPL-3.0-only"),
    (ref("MPL-2.0").split("Exhibit A - Source Code Form License")[0], "MPL-2.0"),
    (ref("MIT").replace("<year> <copyright holders>", "2024 Example Org"), "MIT"),
    (ref("BSD-3-Clause").replace("the copyright holder nor", "Example Org nor"), "BSD-3-Clause"),
    (ref("BSD-3-Clause").replace("COPYRIGHT HOLDERS", "REGENTS"), "BSD-3-Clause"),
    (ref("MIT").replace("the Software", "this software"), "MIT"),
    ("# MIT License\n\n**Copyright (c) 2024 Example**\n\n" + ref("MIT").split("\n", 3)[3], "MIT"),
])
def test_modified_and_partial_texts(text, expected):
    assert detect_text(text) == expected


@pytest.mark.parametrize("text, expected", [
    (ref("BSD-2-Clause"), "BSD-2-Clause"),
    (ref("BSD-3-Clause"), "BSD-3-Clause"),
    (ref("ISC"), "ISC"),
    (ref("0BSD"), "0BSD"),
    (ref("MIT"), "MIT"),
    (ref("MIT-0"), "MIT-0"),
    (ref("GPL-3.0"), "GPL-3.0-only"),
    (ref("AGPL-3.0"), "AGPL-3.0-only"),
    (ref("LGPL-2.0"), "LGPL-2.0-only"),
    (ref("LGPL-2.1"), "LGPL-2.1-only"),
])
def test_look_alikes_are_told_apart(text, expected):
    assert detect_text(rewrap(text, 72)) == expected


@pytest.mark.parametrize("text, expected", [
    (ref("MIT") + "\n\n" + ref("Apache-2.0"), "MIT AND Apache-2.0"),
    (ref("Apache-2.0") + "\n---\n" + ref("BSD-3-Clause"), "Apache-2.0 AND BSD-3-Clause"),
    ("This project is dual licensed under the MIT and Apache 2.0 licences, at your choice.\n\n"
     + ref("MIT") + "\n\n" + ref("Apache-2.0"), "MIT OR Apache-2.0"),
    ("Licensed under either of\n * Apache License, Version 2.0\n * MIT license\nat your option.\n",
     "Apache-2.0 OR MIT"),
    (ref("GPL-3.0") + "\n\n" + ref("LGPL-3.0"), "LGPL-3.0-only"),  # COPYING + COPYING.LESSER
    (later("LGPL-3.0", ref("GPL-3.0") + "\n\n" + ref("LGPL-3.0")), "LGPL-3.0-or-later"),
])
def test_combined_files(text, expected):
    assert detect_text(text) == expected


def test_a_bundle_of_third_party_licences_is_and_even_if_one_part_is_dual():
    text = ("Bundled libraries\n\n" + "libbar: see its README\n" * 30
            + "libfoo is dual licensed, choose one of the two licenses below.\n"
            + "unrelated words here\n" * 40 + ref("MIT") + "\n\n" + ref("Zlib"))
    assert detect_text(text) == "MIT AND Zlib"


@pytest.mark.parametrize("text, expected", [
    ("Licensed under the Apache License, Version 2.0 (the \"License\");\n", "Apache-2.0"),
    (commented(ref("Apache-2.0.notice"), "# "), "Apache-2.0"),
    (commented(ref("MPL-2.0.notice"), " * ", "/*", " */"), "MPL-2.0"),
    (ref("GPL-2.0.notice"), "GPL-2.0-or-later"),
    (ref("LGPL-2.1.notice"), "LGPL-2.1-or-later"),
    (ref("AGPL-3.0.notice"), "AGPL-3.0-or-later"),
    ("Copyright 2020 X\n\nReleased under the GPLv3+.\n", "GPL-3.0-or-later"),
    ("This library is distributed under the terms of the LGPL 2.1 only.\n", "LGPL-2.1-only"),
    ("This project is released under the Unlicense.\n", "Unlicense"),
    ("License: MIT\n", "MIT"),
])
def test_notices_and_statements(text, expected):
    assert detect_text(text) == expected


@pytest.mark.parametrize("text", [
    ("# frobnicate\n\nA library. We get asked about the MIT, BSD and GPL licences a lot;\n"
     "read each dependency's licence and keep its notices.\n"),
    "This product includes software developed at Example Org (https://example.org/).\n",
    "Copyright (c) 2024 Example Org. All rights reserved.\nConfidential and proprietary.\n",
    "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND.\n",
    "def main():\n    return 0\n",
    "",
    ref("MIT").split("The above copyright")[0],  # the grant alone, half of MIT
])
def test_texts_that_are_not_licences(text):
    found = detect_license_text(text)
    assert found.spdx is None and found.line == 0 and found.source == "text"


def test_detection_reports_line_and_copyrights():
    text = "Project X\n\nCopyright (c) 2024 Example Org\n# Copyright 2023 Jane Doe\n\n" + ref("MIT")
    found = detect_license_text(text, "LICENSE")
    assert (found.spdx, found.path, found.source) == ("MIT", "LICENSE", "license-file")
    assert found.line == 6  # "MIT License", the template copyright line being skipped
    assert found.copyrights == ("Copyright (c) 2024 Example Org", "Copyright 2023 Jane Doe")


# ---------------------------------------------------------------- copyright lines

@pytest.mark.parametrize("line, expected", [
    ("Copyright (c) 2024 Example Org", "Copyright (c) 2024 Example Org"),
    ("# Copyright 2019-2024 The Foo Authors", "Copyright 2019-2024 The Foo Authors"),
    (" * (C) 2021 Jane Doe */", "(C) 2021 Jane Doe"),
    ("// © Example Org", "© Example Org"),
    ("<!-- Copyright The Kubernetes Authors. -->", "Copyright The Kubernetes Authors."),
    ("# SPDX-FileCopyrightText: 2024 Jane Doe <jane@example.org>",
     "SPDX-FileCopyrightText: 2024 Jane Doe <jane@example.org>"),
    ("COPYRIGHT (C) 1999 BIG CORP", "COPYRIGHT (C) 1999 BIG CORP"),
    ("Copyright [yyyy] [name of copyright owner]", None),
    ("Copyright (c) <year> <copyright holders>", None),
    ("Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>", None),
    ("COPYRIGHT HOLDERS AND CONTRIBUTORS \"AS IS\" AND ANY EXPRESS", None),
    ("copyright owner or by an individual or Legal Entity authorized", None),
    ("(c) You must retain, in the Source form of any Derivative Works", None),
    ("The above copyright notice and this permission notice", None),
])
def test_copyright_lines(line, expected):
    assert copyright_lines(f"x = 1\n{line}\n") == ((expected,) if expected else ())


def test_copyright_lines_stop_at_the_limit_and_deduplicate():
    text = "Copyright 2020 A\n" * 3 + "\n" * 100 + "Copyright 2021 B\n"
    assert copyright_lines(text) == ("Copyright 2020 A",)
    assert copyright_lines(text, limit_lines=200) == ("Copyright 2020 A", "Copyright 2021 B")


# ---------------------------------------------------------------- SPDX headers

@pytest.mark.parametrize("text, expected", [
    ("# SPDX-License-Identifier: MIT\nimport os\n", [("MIT", 1)]),
    ("// SPDX-License-Identifier: Apache-2.0 OR MIT\n", [("Apache-2.0 OR MIT", 1)]),
    ("/* SPDX-License-Identifier: GPL-2.0+ */\n", [("GPL-2.0-or-later", 1)]),
    ("<!-- SPDX-License-Identifier: CC0-1.0 -->\n", [("CC0-1.0", 1)]),
    ("#!/usr/bin/env python\n-- SPDX-License-Identifier: gpl-2.0\n", [("GPL-2.0-only", 2)]),
    ('"""\nSPDX-License-Identifier: (MIT OR Apache-2.0) AND BSD-3-Clause\n"""\n',
     [("(MIT OR Apache-2.0) AND BSD-3-Clause", 2)]),
    ("# SPDX-License-Identifier: GPL-2.0-only WITH Classpath-exception-2.0\n",
     [("GPL-2.0-only WITH Classpath-exception-2.0", 1)]),
    ("; SPDX-License-Identifier: LicenseRef-Proprietary\n", [("LicenseRef-Proprietary", 1)]),
    ("# SPDX-License-Identifier: Not-A-Licence\n", [(None, 1)]),
    ('pattern = "SPDX-License-Identifier: " + name\n', []),
    ("no header here\n", []),
])
def test_spdx_headers(text, expected):
    found = spdx_headers(text, "f.py")
    assert [(d.spdx, d.line) for d in found] == expected
    assert all(d.source == "spdx-header" and d.path == "f.py" for d in found)


def test_detect_text_prefers_an_spdx_header():
    assert detect_text("# SPDX-License-Identifier: MIT\n\n" + ref("MIT")) == "MIT"
    assert detect_text("// SPDX-License-Identifier: BSD-2-Clause\nint main;\n") == "BSD-2-Clause"


# ---------------------------------------------------------------- metadata

@pytest.mark.parametrize("files, expected", [
    ({"pyproject.toml": '[project]\nname = "x"\nlicense = "MIT"\n'}, [("MIT", 3, 1.0)]),
    ({"pyproject.toml": '[project]\nlicense = { text = "Apache 2.0" }\n'}, [("Apache-2.0", 2, 0.9)]),
    ({"pyproject.toml": '[project]\nlicense = {text = "GPLv3+"}\n'}, [("GPL-3.0-or-later", 2, 0.9)]),
    ({"pyproject.toml": '[project]\nlicense = {file = "LICENSE.txt"}\n', "LICENSE.txt": ref("ISC")},
     [("ISC", 2, 1.0)]),
    ({"pyproject.toml": '[project]\nlicense = {file = "missing"}\n'}, [(None, 2, 0.0)]),
    ({"pyproject.toml": '[project]\nclassifiers = [\n  "Programming Language :: Python",\n'
                        '  "License :: OSI Approved :: MIT License",\n]\n'}, [("MIT", 4, 0.8)]),
    ({"pyproject.toml": '[tool.poetry]\nlicense = "BSD-3-Clause"\n'}, [("BSD-3-Clause", 2, 1.0)]),
    ({"setup.cfg": "[metadata]\nname = x\nlicense = BSD 3-Clause\nclassifiers =\n"
                   "    License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)\n"},
     [("BSD-3-Clause", 3, 0.9), ("GPL-2.0-or-later", 5, 0.8)]),
    ({"package.json": '{"name": "x",\n "license": "(MIT OR Apache-2.0)"}'}, [("MIT OR Apache-2.0", 2, 1.0)]),
    ({"package.json": '{"license": "SEE LICENSE IN LICENSE.md"}', "LICENSE.md": ref("0BSD")},
     [("0BSD", 1, 1.0)]),
    ({"package.json": '{"license": "UNLICENSED"}'}, [(None, 1, 0.0)]),
    ({"package.json": '{"licenses": [{"type": "MIT"}, {"type": "GPL-2.0"}]}'},
     [("MIT OR GPL-2.0-only", 1, 1.0)]),
    ({"Cargo.toml": '[package]\nname = "x"\nlicense = "MIT/Apache-2.0"\n'}, [("MIT OR Apache-2.0", 3, 0.9)]),
    ({"pyproject.toml": '[project]\nlicense = "Proprietary"\n'}, [(None, 2, 0.0)]),
])
def test_metadata(files, expected):
    found = detect_metadata({k: v.encode() for k, v in files.items()})
    assert [(d.spdx, d.line, d.confidence) for d in found] == expected
    assert all(d.source == "metadata" for d in found)


@pytest.mark.parametrize("files", [
    {"pyproject.toml": b"[project\nlicense = 'MIT'"},
    {"pyproject.toml": b"project = 3\n"},
    {"pyproject.toml": b'[project]\nlicense = 3\nclassifiers = "x"\n'},
    {"package.json": b'{"license": '},
    {"package.json": b'["MIT"]'},
    {"package.json": b'{"license": {"type": ["MIT"]}}'},
    {"setup.cfg": b"license = MIT\n[metadata\n"},
    {"Cargo.toml": b"\xff\xfe\x00garbage"},
    {"pyproject.toml": b"\x00\x01\x02" * 100},
])
def test_malformed_metadata_is_skipped(files):
    assert detect_metadata(files) == []


# ---------------------------------------------------------------- SPDX expressions and families

@pytest.mark.parametrize("given, expected", [
    ("MIT", "MIT"), ("mit", "MIT"), ("GPL-2.0", "GPL-2.0-only"), ("GPL-2.0+", "GPL-2.0-or-later"),
    ("apache-2.0 or mit", "Apache-2.0 OR MIT"), ("  MIT   AND\tBSD-3-Clause ", "MIT AND BSD-3-Clause"),
    ("LicenseRef-Acme", "LicenseRef-Acme"), ("GPL-3.0-or-later WITH GCC-exception-3.1",
                                             "GPL-3.0-or-later WITH GCC-exception-3.1"),
])
def test_validate_spdx_normalises(given, expected):
    assert validate_spdx(given) == expected


@pytest.mark.parametrize("given, hint", [
    ("Apache 2.0", "did you mean 'Apache-2.0'"), ("MIT/Apache-2.0", "did you mean 'MIT OR Apache-2.0'"),
    ("Foo-1.0", "unknown licence id"), ("MIT AND", ""), ("", "empty"), ("MIT WITH", ""),
])
def test_validate_spdx_rejects(given, hint):
    with pytest.raises(ConfigError) as err:
        validate_spdx(given)
    assert str(err.value).startswith(f"{given!r} is not a valid SPDX licence expression: ")
    assert hint in str(err.value)


@pytest.mark.parametrize("spdx, family", [
    ("MIT", "permissive"), ("Apache-2.0", "permissive"), ("CC0-1.0", "public-domain"),
    ("0BSD", "public-domain"), ("MPL-2.0", "weak-copyleft"), ("LGPL-2.1-or-later", "weak-copyleft"),
    ("GPL-2.0", "strong-copyleft"), ("GPL-3.0-only", "strong-copyleft"),
    ("AGPL-3.0-or-later", "network-copyleft"), ("MIT AND GPL-3.0-only", "strong-copyleft"),
    ("MIT OR AGPL-3.0-only", "network-copyleft"), ("GPL-2.0-only WITH Classpath-exception-2.0",
                                                   "weak-copyleft"),
    ("LicenseRef-Acme", "unknown"), ("MIT AND LicenseRef-Acme", "unknown"), ("not valid", "unknown"),
])
def test_license_family(spdx, family):
    assert license_family(spdx) == family


# ---------------------------------------------------------------- untrusted bytes

@pytest.mark.parametrize("data, expected", [
    ("MIT Licence ©".encode(), "MIT Licence ©"),
    ("MIT Licence ©".encode("utf-8-sig"), "MIT Licence ©"),
    ("MIT Licence ©".encode("utf-16"), "MIT Licence ©"),
    ("MIT Licence ©".encode("utf-16-be"), "MIT Licence ©"),
    ("MIT Licence ©".encode("latin-1"), "MIT Licence ©"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xd8", ""),
    (b"", ""),
])
def test_decode(data, expected):
    assert decode(data) == expected


def test_decode_bounds_what_it_reads():
    assert len(decode(b"a" * 1_000_000)) == licenses.MAX_BYTES
    assert decode("é".encode() * 150_000).startswith("é")  # cut inside a character: no latin-1 garbage


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 50, b"\xff\xfe" + b"\x00\xd8" * 1000, b"\x00" * 10_000,
    ("Permission " * 50_000).encode(), ref("MIT").encode("utf-16"), ref("GPL-3.0").encode("cp1252"),
])
def test_odd_input_never_raises(data):
    found = detect_license_text(decode(data), "LICENSE")
    assert found.spdx in (None, "MIT", "GPL-3.0-only")
    spdx_headers(decode(data))
    copyright_lines(decode(data))


def test_utf16_licence_file_is_read():
    assert detect_license_text(decode(ref("MIT").encode("utf-16")), "LICENSE").spdx == "MIT"


# ---------------------------------------------------------------- trees

def tree(tmp_path, files):
    return open_source(write_tree(tmp_path, files))


def test_tree_licence_file_first(tmp_path):
    found = detect_tree(tree(tmp_path, {
        "LICENSE": "Copyright 2024 Example Org\n\n" + ref("MIT"), "NOTICE": "Example\n",
        "pyproject.toml": '[project]\nlicense = "Apache-2.0"\n',
        "src/a.py": "# SPDX-License-Identifier: BSD-3-Clause\n", "license.py": "x = 1\n",
    }))
    assert found.spdx == "MIT"
    assert found.license_files == ("LICENSE",) and found.notice_files == ("NOTICE",)
    assert [(d.path, d.source, d.spdx) for d in found.detections] == [
        ("LICENSE", "license-file", "MIT"), ("pyproject.toml", "metadata", "Apache-2.0"),
        ("src/a.py", "spdx-header", "BSD-3-Clause")]
    assert found.detections[0].copyrights == ("Copyright 2024 Example Org",)


@pytest.mark.parametrize("files, expected", [
    ({"LICENSE-MIT": ref("MIT"), "LICENSE-APACHE": ref("Apache-2.0")}, "Apache-2.0 AND MIT"),
    ({"LICENSE-MIT": ref("MIT"), "LICENSE-APACHE": ref("Apache-2.0"),
      "Cargo.toml": '[package]\nlicense = "MIT OR Apache-2.0"\n'}, "MIT OR Apache-2.0"),
    ({"COPYING": ref("GPL-3.0"), "pyproject.toml": '[project]\nlicense = "GPL-3.0-or-later"\n'},
     "GPL-3.0-or-later"),
    ({"COPYING": ref("GPL-2.0"), "a.c": "// SPDX-License-Identifier: GPL-2.0+\n",
      "b.c": "// SPDX-License-Identifier: GPL-2.0+\n"}, "GPL-2.0-or-later"),
    ({"COPYING": later("GPL-2.0"), "pyproject.toml": '[project]\nlicense = "GPL-2.0-only"\n'},
     "GPL-2.0-or-later"),  # the file's own notice outranks the metadata
    ({"COPYING": ref("GPL-3.0"), "COPYING.LESSER": ref("LGPL-3.0")}, "LGPL-3.0-only"),
    ({"LICENCE.md": ref("Unlicense"), "package.json": '{"license": "MIT"}'}, "Unlicense"),
    ({"pyproject.toml": '[project]\nlicense = {text = "BSD 2-Clause"}\n'}, "BSD-2-Clause"),
    ({"setup.cfg": "[metadata]\nclassifiers =\n  License :: OSI Approved :: Apache Software License\n"
                   "  License :: OSI Approved :: MIT License\n"}, "Apache-2.0 OR MIT"),
    ({"a.py": "# SPDX-License-Identifier: MIT\n", "b.py": "# SPDX-License-Identifier: MIT\n",
      "c.py": "# SPDX-License-Identifier: ISC\n"}, "MIT"),
    ({"LICENSE": "All rights reserved.\n", "README.md": "Licensed under the MIT License.\n"}, None),
    ({"a.py": "print(1)\n"}, None),
])
def test_tree_licence(tmp_path, files, expected):
    assert detect_source(tree(tmp_path, files)) == expected


def test_tree_with_binary_and_broken_files(tmp_path):
    source = tree(tmp_path, {"LICENSE": ref("BSD-2-Clause").encode("latin-1"),
                             "pyproject.toml": b"[project\n", "blob.bin": bytes(range(256)),
                             "package.json": b"{"})
    assert detect_source(source) == "BSD-2-Clause"


@pytest.mark.parametrize("path, expected", [
    ("LICENSE", True), ("LICENCE.md", True), ("COPYING.LESSER", True), ("LICENSE-MIT", True),
    ("MIT-LICENSE.txt", True), ("UNLICENSE", True), ("license.rst", True), ("LICENSES", True),
    ("license.py", False), ("licenses.py", False), ("README.md", False), ("licensing.txt", False),
])
def test_is_license_file(path, expected):
    assert licenses.is_license_file(path) is expected
