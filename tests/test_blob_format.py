# SPDX-License-Identifier: Apache-2.0
"""The index's blob format: what is stored is what was parsed, for awkward files too, and
the token stream read alone (to rank candidates) gives the same token ids."""
from __future__ import annotations

import pytest

from attrib.engine.fingerprint import token_ids
from attrib.engine.index.base import decode_blob, decode_token_ids, encode_blob
from attrib.engine.lang import parse_file
from attrib.engine.sources import blob_id
from attrib.model import SourceFile

from helpers import COPY_PY, UPSTREAM_PY

AWKWARD = {
    "empty.py": b"",
    "newline.py": b"\n",
    "comment_only.py": b"# nothing but a comment\n",
    "no_final_newline.py": b"def f(x):\n    return x + 1",
    "crlf.py": b"def f(x):\r\n    if x:\r\n        return 1\r\n    return 2\r\n",
    "tabs_unicode.py": "def grüße(naïve):\n\treturn '☃' + naïve  # ✓\n".encode(),
    "multiline.py": b'def f():\n    """A doc\n    on lines.\n    """\n    return """a\nb"""\n',
    "grid.py": UPSTREAM_PY.encode(),
    "pool.py": COPY_PY.encode(),
    "template.js": b"function f(a) {\n  return `x ${a} {y}`;\n}\n",
    "main.go": b"package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n",
    "lib.c": b"int add(int a, int b) {\n  /* sum\n     here */\n  return a + b;\n}\n",
    "empty.js": b"",
}


@pytest.mark.parametrize("path", sorted(AWKWARD))
def test_a_stored_blob_decodes_to_what_was_parsed(path):
    data = AWKWARD[path]
    parsed = parse_file(SourceFile(path, blob_id(data), data))
    stored = encode_blob(parsed)
    back = decode_blob(parsed.blob_id, stored, path)
    assert (back.stream, back.fragments, back.line_count, back.text_lines, back.header) == \
        (parsed.stream, parsed.fragments, parsed.line_count, parsed.text_lines, parsed.header)
    assert decode_token_ids(parsed.blob_id, stored).tolist() == \
        token_ids(parsed.stream.texts).tolist()
