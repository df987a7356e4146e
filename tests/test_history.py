# SPDX-License-Identifier: Apache-2.0
"""Both histories (attrib/history.py): who had the code first, and dates a history was given."""
from __future__ import annotations

from attrib import history
from attrib.model import Match
from helpers import git_repo

DAY = 86_400
T0 = 1_600_000_000  # git reads small numbers as something other than unix time


def match(path: str, date: int | None, up_date: int | None, author: str = "Copier",
          up_author: str = "Upstream Dev", clone: str = "exact", commit: str = "c1") -> Match:
    return Match(path, 1, 9, "gridlib", "grid.py", 1, 9, 1.0, clone, (), date=date, commit=commit,
                 author=author, upstream_date=up_date, upstream_commit="u1",
                 upstream_author=up_author)


def test_the_older_side_is_the_source():
    assert history.direction(history.file_histories([match("a.py", 10 * DAY, DAY)]))[0] \
        == history.UPSTREAM_FIRST
    assert history.direction(history.file_histories([match("a.py", DAY, 10 * DAY)]))[0] \
        == history.SUSPECT_FIRST
    mixed = [match("a.py", DAY, 10 * DAY), match("b.py", 10 * DAY, DAY)]
    assert history.direction(history.file_histories(mixed))[0] == history.MIXED


def test_no_history_is_direction_unknown_and_says_whose():
    way, why = history.direction(history.file_histories([match("a.py", None, DAY)]))
    assert way == history.UNKNOWN
    assert why == "direction unknown: no history for this repository's files"
    _, why = history.direction(history.file_histories([match("a.py", None, None)]))
    assert why.endswith("either side")


def test_re_authored_is_same_content_same_date_other_author():
    [h] = history.file_histories([match("a.py", DAY, DAY)])
    assert h.reauthored
    [same] = history.file_histories([match("a.py", DAY, DAY, author="upstream  dev")])
    assert not same.reauthored
    assert not history.file_histories([match("a.py", DAY, DAY, clone="edited")])[0].reauthored


def test_hand_set_dates_are_found_in_the_git_history(tmp_path):
    repo = git_repo(tmp_path / "r", [({"a.txt": "1"}, "one", T0 + 10 * DAY),
                                      ({"b.txt": "2"}, "two", T0 + DAY)])
    backdated = repo.head.commit.hexsha
    flags = history.rewritten_commits(tmp_path / "r", backdated)
    assert set(flags) == {backdated} and "before its parent" in flags[backdated]
    hs = history.file_histories([match("b.txt", T0 + DAY, T0 + 5 * DAY, commit=backdated)])
    assert history.claimed_priority(hs, flags)


def test_an_honest_history_has_no_flags(tmp_path):
    repo = git_repo(tmp_path / "r", [({"a.txt": "1"}, "one", T0 + DAY),
                                      ({"b.txt": "2"}, "two", T0 + 2 * DAY)])
    assert history.rewritten_commits(tmp_path / "r", repo.head.commit.hexsha) == {}
    assert history.rewritten_commits(tmp_path / "nothing", "HEAD") == {}
