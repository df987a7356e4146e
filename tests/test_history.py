# SPDX-License-Identifier: Apache-2.0
"""Both histories (attrib/history.py): who had the code first, and dates a history was given."""
from __future__ import annotations

from attrib import history
from attrib.model import Match
from helpers import git_repo

DAY = 86_400
T0 = 1_600_000_000  # git reads small numbers as something other than unix time


def match(path: str, date: int | None, up_date: int | None, author: str = "Copier",
          up_author: str = "Upstream Dev", clone: str = "exact", commit: str = "c1",
          authored: int | None = None, up_authored: int | None = None) -> Match:
    """A match dated by committer dates; ``authored``/``up_authored``: each side's author date
    (None: unknown, as from an index written before they were kept)."""
    return Match(path, 1, 9, "gridlib", "grid.py", 1, 9, 1.0, clone, (), date=date, commit=commit,
                 author=author, upstream_date=up_date, upstream_commit="u1",
                 upstream_author=up_author, author_date=authored,
                 upstream_author_date=up_authored)


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


# ---- committer dates and author dates (kjanko/python-fingerprint-recognition issue 17)

Y2017, Y2018, Y2020, Y2023, Y2024 = 1_483_228_800, 1_514_764_800, 1_577_836_800, 1_672_531_200, \
    1_717_200_000


def test_a_rewritten_upstream_does_not_make_the_copy_the_original():
    # the upstream's history committed again in 2024, its author dates still 2017; a 2018 copy
    hs = history.file_histories([match("a.py", Y2018, Y2024, authored=Y2018, up_authored=Y2017)])
    assert hs[0].older == history.DISAGREE
    way, why = history.direction(hs)
    assert way == history.UNKNOWN
    assert why.startswith("direction unknown: the history of one side was rewritten")
    assert "author dates put the upstream first, commit dates this repository" in why
    assert "authored 2017-01-01" in why  # the line shows the date the order came from


def test_an_author_date_set_by_hand_does_not_make_the_copy_the_original():
    # `git commit --date 2020`: committed in 2024, after the upstream's 2023, authored "2020"
    hs = history.file_histories([match("a.py", Y2024, Y2023, authored=Y2020, up_authored=Y2023)])
    way, why = history.direction(hs)
    assert way == history.UNKNOWN
    assert "author dates put this repository first, commit dates the upstream" in why


def test_author_dates_alone_never_decide():
    # no committer date on this side (no history): author dates say nothing by themselves
    hs = history.file_histories([match("a.py", None, Y2023, authored=Y2017, up_authored=Y2023)])
    assert history.direction(hs)[0] == history.UNKNOWN
    # author dates unknown (an index written before they were kept): committer dates decide
    assert history.direction(history.file_histories([match("a.py", Y2018, Y2024)]))[0] \
        == history.SUSPECT_FIRST


def test_where_both_orders_agree_they_decide_as_before():
    older = match("a.py", Y2018, Y2024, authored=Y2017, up_authored=Y2020)
    assert history.direction(history.file_histories([older]))[0] == history.SUSPECT_FIRST
    # a rebased copy: authored before it was committed, both after the upstream
    rebased = match("a.py", Y2024, Y2018, authored=Y2020, up_authored=Y2018)
    assert history.direction(history.file_histories([rebased]))[0] == history.UPSTREAM_FIRST


def test_one_rewritten_file_keeps_this_repository_from_being_declared_first():
    rewritten = match("a.py", Y2018, Y2024, authored=Y2018, up_authored=Y2017)
    ours = match("b.py", Y2018, Y2024, authored=Y2018, up_authored=Y2020)
    assert history.direction(history.file_histories([rewritten, ours]))[0] == history.UNKNOWN
    theirs = match("b.py", Y2024, Y2018, authored=Y2024, up_authored=Y2018)
    assert history.direction(history.file_histories([rewritten, theirs]))[0] \
        == history.UPSTREAM_FIRST


def test_the_history_reads_both_dates_of_each_commit(tmp_path):
    from attrib.engine.sources import read_git

    git_repo(tmp_path / "r", [({"a.py": "A = 1\n"}, "one", (Y2017, Y2024)),
                              ({"a.py": "A = 2\n"}, "two", (Y2018, Y2024 + DAY))])
    [f] = read_git(tmp_path / "r", "HEAD").files
    assert (f.date, f.author_date) == (Y2024 + DAY, Y2018)
    assert (f.first_date, f.first_author_date) == (Y2024, Y2017)
