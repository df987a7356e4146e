# SPDX-License-Identifier: Apache-2.0
"""What counts as credit (attrib/credit.py): a table of lines a reviewer would and would not sign."""
from __future__ import annotations

import pytest

from attrib import credit

URL = "https://github.com/upstream-org/gridlib"


def found(text: str, own: set[str] = frozenset(), path: str = "README.md",
          whole: bool = False) -> list[str]:
    needles = credit.needles("gridlib", URL, ["Upstream Org"], ["Jane Q Upstream"], set(own))
    return [c.quote() for c in credit.find_credits(path, text, needles, whole)]


@pytest.mark.parametrize("text", [
    "Based on gridlib, with pooling added.",
    "Portions adapted from [the original](https://github.com/upstream-org/gridlib).",
    "A port of upstream-org/gridlib to Rust.",
    "# Acknowledgements\n\n- gridlib, for the grid kernel",
    "Thanks to Jane Q Upstream for the original code.",
    "Includes code from gridlib (Copyright 2023 Upstream Org).",
    "Credits\n=======\n\ngridlib\n",
    "forked from GITHUB.COM/upstream-org/gridlib.git",
    "Thanks to Upstream Org ([gridlib](https://github.com/upstream-org/gridlib)).",
    "This library is based on the excellent\nwork of the gridlib project.",
])
def test_lines_that_credit(text):
    assert found(text), text


@pytest.mark.parametrize("text", [
    "We use gridlib-style grids.",  # a bare name, no crediting sentence
    "Based on gridlibx, our own kernel.",  # a longer word
    "Based on minigridlib.",
    "## Other implementations\n\n- [gridlib](https://github.com/upstream-org/gridlib)\n",
    "## See also\n\n* https://github.com/upstream-org/gridlib\n\n### More\n\n"
    "- upstream-org/gridlib",
    "Alternatives: gridlib (https://github.com/upstream-org/gridlib),\nnumgrid.",
    "Based on https://github.com/upstream-org/gridlib2",
    "Based on numpy.\n\nWe compare well with gridlib.",  # another paragraph credits another
    "- based on numpy\n- faster than gridlib",  # so does another list item
    # a holder of many projects named on a line that links another project credits that one
    "## Citations\n\nBuilt with the help of:\n\n- [gridviz + Upstream Org](https://github.com/vis-lab/gridviz)",
])
def test_lines_that_do_not_credit(text):
    assert not found(text), found(text)


def test_a_section_after_the_alternatives_credits_again():
    text = "## Alternatives\n\n- upstream-org/gridlib\n\n## Credits\n\n- gridlib, the grid kernel\n"
    assert found(text) == ["README.md:7: - gridlib, the grid kernel"]


def test_the_projects_own_name_is_not_credit():
    own = credit.own_names("suspect", {"README.md": "# gridlib\n\nFast grids.\n"})
    assert "gridlib" in own
    assert not found("Based on gridlib, with pooling added.", own)
    assert found(f"Based on gridlib ({URL}).", own)  # its URL still credits


def test_package_metadata_names_the_project():
    own = credit.own_names("x", {"pyproject.toml": '[project]\nname = "grid-lib"\n',
                                 "package.json": '{"name": "@org/gridjs"}'})
    assert {"gridlib", "gridjs", "x"} <= own


def test_a_name_anywhere_in_a_notice_file_credits():
    assert found("gridlib\nused under Apache-2.0\n", path="NOTICE", whole=True)
    assert not found("gridlib\nused under Apache-2.0\n")


@pytest.mark.parametrize("line,names", [
    ("Copyright (c) 2019-2021 Jane Doe", ["Jane Doe"]),
    ("Copyright 2023 Upstream Org. All rights reserved.", ["Upstream Org"]),
    ("© 2020 Ann Lee <ann@example.org> and Bo Chen", ["Ann Lee", "Bo Chen"]),
    ("SPDX-License-Identifier: MIT", []),
])
def test_copyright_holders(line, names):
    assert credit.holder_names([line]) == names


def test_a_comment_credits_its_file():
    needles = credit.needles("gridlib", URL, [], [], set())
    [c] = credit.find_comment_credits("pool.py", [(3, f"# adapted from {URL}")], needles)
    assert c.quote() == f"pool.py:3: # adapted from {URL}"
    assert not credit.find_comment_credits("pool.py", [(3, "# gridlib-compatible API")], needles)


def test_a_crediting_phrase_credits_only_its_own_sentence():
    """An about text that thanks someone else does not credit the upstream's author beside it."""
    needles = credit.needles("gridlib", URL, [], ["Jane Q Upstream"], set())
    about = "'A grid overlay for any screen. Created by Jane Q Upstream. Icons thanks to Bob.'"
    assert not credit.find_comment_credits("main.js", [(410, about)], needles)
    thanks = "// Grid kernel thanks to Jane Q Upstream. Icons by Bob."
    assert credit.find_comment_credits("main.js", [(3, thanks)], needles)


def test_a_link_to_the_upstreams_name_before_a_rename_credits():
    """ppo-pytorch's README credits ikostrikov/pytorch-a2c-ppo-acktr, since renamed ...-gail."""
    needles = credit.needles("pytorch-a2c-ppo-acktr-gail",
                             "https://github.com/ikostrikov/pytorch-a2c-ppo-acktr-gail", [], [], set())
    line = "Based on the code from https://github.com/ikostrikov/pytorch-a2c-ppo-acktr."
    assert [c.names for c in credit.find_credits("README.md", line, needles, False)]
    # another repository of the same owner, or a short stem of the name, is not the upstream
    for other in ("https://github.com/ikostrikov/pytorch-trpo", "ikostrikov/pytorch-a2c",
                  "https://github.com/someone/pytorch-a2c-ppo-acktr"):
        assert not credit.find_credits("README.md", f"Based on {other}.", needles, False), other


def test_a_link_to_the_upstream_owners_profile_credits():
    """matching-networks: the acknowledgement links the owner's profile, and another project."""
    line = ("## Acknowledgement\nThis work refer to [upstream-org](https://github.com/upstream-org/)"
            "'s implement, detail at [x](https://github.com/someone/gridlib).")
    assert found(line)
    # a link to another repository of the same owner is not a link to its profile
    assert not found("Based on https://github.com/upstream-org/othertool and numpy.")
