# SPDX-License-Identifier: Apache-2.0
"""The README points only at what a clone of this repository holds (issue 12 item 9)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATHLIKE = re.compile(r"^[\w.*<>/-]+\.(?:md|py|yaml|yml|toml|txt|json|sh|bin)$")


def prose() -> str:
    """The README without its fenced blocks (commands name the user's paths, not ours)."""
    return re.sub(r"```.*?```", "", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)


def test_no_link_leads_out_of_the_repository():
    links = re.findall(r"\]\(([^)\s]+)\)", prose())
    for target in links:
        if re.match(r"^[a-z]+://", target):
            continue
        resolved = (ROOT / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT) and resolved.exists(), target


def test_no_file_named_in_the_prose_lies_outside_the_repository():
    named = [t for t in re.findall(r"`([^`\s]+)`", prose()) if PATHLIKE.match(t)]
    outside = [t for t in named if t.startswith(("../", "/", "~"))]
    assert not outside, outside
    # a path into the repository names a file that is there
    ours = [t for t in named if "/" in t and not re.search(r"[*<>]", t)
            and t.split("/")[0] in {p.name for p in ROOT.iterdir()}]
    missing = [t for t in ours if not (ROOT / t).exists()]
    assert ours and not missing, missing
