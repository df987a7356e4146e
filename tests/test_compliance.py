# SPDX-License-Identifier: Apache-2.0
"""The rules engine on real git repositories: each case gets the verdict a reviewer would give."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance_fixtures import (EXPECTED, INCOMPATIBLE, NOTICE, PATTERNS, UPSTREAM_NAME,
                                 UPSTREAM_URL, Pattern, build_case)

FAMILIES = ("Apache-2.0", "MIT", "BSD-3-Clause", "MPL-2.0", "GPL-3.0-only")
NOTICE_ONLY = ("MIT", "BSD-3-Clause")  # licences whose condition is the notice with the copies


def attrib(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def scan_case(tmp_path: Path, spdx: str, case: str) -> tuple[int, dict]:
    built = build_case(tmp_path, spdx, case)
    idx = str(tmp_path / "idx.sqlite")
    code, _, err = attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME,
                          "--url", UPSTREAM_URL, "--index", idx)
    assert code == 0, err
    code, out, err = attrib("scan", str(built.suspect), "--index", idx, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def verdict_of(report: dict) -> str:
    [v] = [v for v in report["verdicts"] if v["upstream"] == UPSTREAM_NAME]
    return v["verdict"]


def failed_checks(report: dict) -> set[str]:
    return {f["check"] for f in report["findings"] if f["status"] == "fail"
            and f["severity"] != "info"}


@pytest.mark.parametrize("spdx", FAMILIES)
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_case_gets_the_reviewers_verdict(tmp_path, spdx, case):
    if case == "incompatible" and spdx not in INCOMPATIBLE:
        pytest.skip(f"{spdx} code may go into any project")
    code, report = scan_case(tmp_path, spdx, case)
    assert report["matches"], "the copy must be found before it can be judged"
    if case == "headers-stripped" and spdx in NOTICE_ONLY:
        # the copy's LICENSE carries the upstream's copyright line beside the licence text:
        # MIT and BSD ask that the notice ship with the copies, not that it stay in each file
        assert verdict_of(report) == "copy with credit", report["findings"]
        [headers] = [f for f in report["findings"] if f["check"] == "headers"]
        assert headers["status"] == "pass" and "LICENSE" in headers["message"]
        assert code == 0
        return
    assert verdict_of(report) == EXPECTED[case], report["findings"]
    errors = [f for f in report["findings"] if f["status"] == "fail" and f["severity"] == "error"]
    assert code == (1 if errors else 0)  # the verdict's errors, not the match, decide
    if EXPECTED[case] == "copy with credit":
        assert code == 0
    if case in ("credit-stripped", "headers-stripped", "incompatible"):
        assert code == 1
    failed = failed_checks(report)
    if case == "license-missing":
        assert "license-text" in failed
    if case == "headers-stripped":
        assert "headers" in failed
    if case == "incompatible":
        assert failed == {"compatible"}
    if case == "credit-stripped":
        assert {"license-text", "headers", "credit"} <= failed


def test_findings_cite_the_licence_and_say_what_to_add(tmp_path):
    _, report = scan_case(tmp_path, "Apache-2.0", "credit-stripped")
    by_check = {f["check"]: f for f in report["findings"]}
    assert by_check["notice"]["status"] == "fail"
    assert "§4(d)" in by_check["notice"]["citation"]
    assert "This product includes software developed at Upstream Org." in by_check["notice"]["fix"]
    assert "§4(a)" in by_check["license-text"]["citation"]
    assert "Copyright 2023 Upstream Org" in by_check["headers"]["fix"]
    assert UPSTREAM_URL in by_check["credit"]["fix"]
    assert by_check["credit"]["severity"] == "warning"  # a policy, not a licence term
    path, start, end, upath, ustart, uend = by_check["headers"]["spans"][0]
    assert (path, upath) == ("pool/pool.py", "gridlib/grid.py") and start <= end and ustart <= uend


def test_authorship_evidence_names_the_later_commit(tmp_path):
    _, report = scan_case(tmp_path, "MIT", "credit-stripped")
    [f] = [f for f in report["findings"] if f["check"] == "authorship"]
    assert f["status"] == "fail" and f["severity"] == "info"
    assert "Copier" in f["message"] and "2024-01-01" in f["message"] and "2023-01-01" in f["message"]


def test_notice_makes_a_stripped_copy_comply(tmp_path):
    built = build_case(tmp_path, "Apache-2.0", "credit-stripped")
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME,
                  "--url", UPSTREAM_URL, "--index", idx)[0] == 0
    code, _, err = attrib("notice", str(built.suspect), "--index", idx, "--fix-headers")
    assert code == 0, err
    written = (built.suspect / "THIRD_PARTY_NOTICES.md").read_text()
    assert NOTICE.splitlines()[-1] in written and "Apache License" in written
    code, out, _ = attrib("scan", str(built.suspect), "--index", idx, "--format", "json")
    report = json.loads(out)
    assert verdict_of(report) == "copy with credit", report["findings"]
    assert code == 0


def test_a_resolution_in_the_project_config_clears_a_finding(tmp_path):
    built = build_case(tmp_path, "MPL-2.0", "headers-stripped")
    (built.suspect / ".attrib.yaml").write_text(
        "resolutions:\n"
        "  - rule: mpl-2.0/headers\n"
        "    path: pool/pool.py\n"
        "    reason: credited-elsewhere\n"
        "    comment: the notice is in LICENSE and README\n")
    idx = str(tmp_path / "idx.sqlite")
    attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME, "--index", idx)
    code, out, _ = attrib("scan", str(built.suspect), "--index", idx, "--format", "json",
                          cwd=built.suspect)
    report = json.loads(out)
    [f] = [f for f in report["findings"] if f["check"] == "headers"]
    assert f["status"] == "resolved" and "credited-elsewhere" in f["resolution"]
    assert code == 0


def test_unknown_upstream_licence_is_a_finding_not_silence(tmp_path):
    built = build_case(tmp_path, "MIT", "credit-stripped")
    (built.upstream / "LICENSE").unlink()
    (built.upstream / "gridlib" / "grid.py").write_text(
        (built.upstream / "gridlib" / "grid.py").read_text().replace(
            "# SPDX-License-Identifier: MIT\n", ""))
    idx = str(tmp_path / "idx.sqlite")
    attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME, "--index", idx)
    code, out, _ = attrib("scan", str(built.suspect), "--index", idx, "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert "license-known" in failed_checks(report)


def test_text_report_shows_the_verdict_and_fix(tmp_path):
    built = build_case(tmp_path, "Apache-2.0", "credit-stripped")
    idx = str(tmp_path / "idx.sqlite")
    attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME, "--index", idx)
    code, out, _ = attrib("scan", str(built.suspect), "--index", idx)
    assert code == 1
    assert "COPY WITHOUT CREDIT" in out and "FAIL" in out and "fix:" in out


def test_broken_project_config_is_one_line_with_file_and_line(tmp_path):
    built = build_case(tmp_path, "MIT", "compliant")
    (built.suspect / ".attrib.yaml").write_text("credit:\n  files: [README.md\n  severity: error\n")
    idx = str(tmp_path / "idx.sqlite")
    attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME, "--index", idx)
    code, out, err = attrib("scan", str(built.suspect), "--index", idx, cwd=built.suspect)
    assert code == 2
    assert ".attrib.yaml:" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    (built.suspect / ".attrib.yaml").write_text("credits:\n  files: [README.md]\n")
    code, _, err = attrib("scan", str(built.suspect), "--index", idx, cwd=built.suspect)
    assert code == 2 and ".attrib.yaml:1" in err and "credits" in err


def test_odd_encodings_and_a_huge_readme_do_not_break_the_checks(tmp_path):
    built = build_case(tmp_path, "MIT", "compliant")
    licence = (built.suspect / "LICENSE").read_text()
    (built.suspect / "LICENSE").write_bytes(licence.encode("utf-16"))  # with a BOM
    readme = built.suspect / "README.md"
    readme.write_text(readme.read_text() + ("filler line of a very long README\n" * 150_000))
    idx = str(tmp_path / "idx.sqlite")
    attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME, "--index", idx)
    code, out, err = attrib("scan", str(built.suspect), "--index", idx, "--format", "json",
                            "--max-file-size", "10000000")
    report = json.loads(out)
    assert verdict_of(report) == "copy with credit", report["findings"]
    assert code == 0


def test_a_licence_declared_in_the_config_fills_what_the_index_lacks(tmp_path):
    built = build_case(tmp_path, "MIT", "credit-stripped")
    (built.upstream / "LICENSE").unlink()
    idx = str(tmp_path / "idx.sqlite")
    attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME, "--index", idx)
    (built.suspect / ".attrib.yaml").write_text(
        f"upstreams:\n  - name: {UPSTREAM_NAME}\n    license: MIT\n    url: {UPSTREAM_URL}\n")
    code, out, _ = attrib("scan", str(built.suspect), "--index", idx, "--format", "json",
                          cwd=built.suspect)
    report = json.loads(out)
    [v] = report["verdicts"]
    assert v["license"] == "MIT" and "license-known" not in failed_checks(report)


# ------------------------------------------------------------ issue 9: verdicts a reviewer signs

def scan_pattern(tmp_path: Path, name: str, *extra: str) -> tuple[int, dict, Pattern]:
    pattern = PATTERNS[name](tmp_path)
    idx = str(tmp_path / "idx.sqlite")
    for up, path, url in pattern.upstreams:
        code, _, err = attrib("index", "add", str(path), "--name", up, "--url", url, "--index", idx)
        assert code == 0, err
    code, out, err = attrib("scan", str(pattern.suspect), "--index", idx, "--format", "json",
                            *extra)
    assert code in (0, 1), err
    return code, json.loads(out), pattern


def verdicts(report: dict) -> dict[str, dict]:
    return {v["upstream"]: v for v in report["verdicts"]}


def finding(report: dict, check: str, upstream: str = UPSTREAM_NAME) -> dict:
    [f] = [f for f in report["findings"] if f["check"] == check and f["upstream"] == upstream]
    return f


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_each_pattern_gets_the_reviewers_verdict(tmp_path, name):
    code, report, pattern = scan_pattern(tmp_path, name)
    assert report["matches"], "the copy must be found before it can be judged"
    got = {k: v["verdict"] for k, v in verdicts(report).items()}
    assert got == pattern.expected, report["findings"]


def test_nothing_to_carry_is_not_credit(tmp_path):
    code, report, _ = scan_pattern(tmp_path, "uncredited-bare")
    assert finding(report, "notice")["basis"] == finding(report, "headers")["basis"] == "vacuous"
    assert code == 1


def test_own_project_name_is_not_credit(tmp_path):
    _, report, _ = scan_pattern(tmp_path, "named-like-upstream")
    f = finding(report, "credit")
    assert f["status"] == "fail" and "this project's own name" in f["message"]


def test_a_url_among_other_implementations_is_not_credit(tmp_path):
    _, report, _ = scan_pattern(tmp_path, "other-implementations")
    assert finding(report, "credit")["status"] == "fail"


def test_a_lower_case_readme_is_read_and_quoted(tmp_path):
    _, report, _ = scan_pattern(tmp_path, "lowercase-readme")
    f = finding(report, "credit")
    assert f["status"] == "pass" and f["basis"] == "credit"
    assert "readme.md:3: Adapted from gridlib" in f["message"]


def test_a_credits_page_under_docs_is_read(tmp_path):
    _, report, _ = scan_pattern(tmp_path, "docs-credit")
    assert "docs/credits.md:3: - gridlib: the grid code" in finding(report, "credit")["message"]


def test_a_credit_comment_credits_its_file(tmp_path):
    _, report, _ = scan_pattern(tmp_path, "in-file-comment")
    f = finding(report, "credit")
    assert f["status"] == "pass"
    assert f"pool/pool.py:1: # Adapted from {UPSTREAM_URL}" in f["message"]


def test_mit_with_the_copyright_line_replaced_is_credit_removed(tmp_path):
    code, report, _ = scan_pattern(tmp_path, "mit-copyright-replaced")
    f = finding(report, "license-text")
    assert f["status"] == "fail" and "Copyright 2024 Copier" in f["message"]
    assert "license-text" in verdicts(report)[UPSTREAM_NAME]["unmet"]
    assert code == 1


def test_re_authored_history_is_flagged(tmp_path):
    _, report, _ = scan_pattern(tmp_path, "reauthored-history")
    f = finding(report, "authorship")
    assert f["status"] == "fail" and "history re-authored" in f["message"]
    assert "Copier" in f["message"] and "Upstream Dev" in f["message"]


def test_an_older_suspect_is_not_charged(tmp_path):
    code, report, _ = scan_pattern(tmp_path, "older-suspect")
    v = verdicts(report)[UPSTREAM_NAME]
    assert v["failed"] == [] and "this repository had the code first" in v["direction"]
    assert [f["check"] for f in report["findings"]] == ["authorship"]
    assert code == 0  # no false accusation


def test_dates_set_by_hand_do_not_win_priority(tmp_path):
    code, report, _ = scan_pattern(tmp_path, "backdated-copy")
    f = finding(report, "authorship")
    assert f["status"] == "fail" and "claimed priority" in f["message"]
    assert "dated before its parent" in f["message"] and code == 1


def test_a_rewritten_upstream_does_not_acquit_the_copier(tmp_path):
    # issue 17: by committer dates the 2018 copy predates the upstream's 2024 commits
    code, report, _ = scan_pattern(tmp_path, "rewritten-upstream")
    v = verdicts(report)[UPSTREAM_NAME]
    assert v["verdict"] == "copy without credit" and code == 1
    assert "the history of one side was rewritten" in v["direction"]
    assert "author dates put the upstream first, commit dates this repository" in v["direction"]
    assert "the history of one side was rewritten" in v["detail"]  # what the reader sees
    assert finding(report, "authorship")["status"] == "unknown"


def test_an_author_date_set_by_hand_claims_no_priority(tmp_path):
    code, report, _ = scan_pattern(tmp_path, "author-backdated-copy")
    v = verdicts(report)[UPSTREAM_NAME]
    assert v["verdict"] == "copy without credit" and code == 1
    assert "author dates put this repository first, commit dates the upstream" in v["direction"]


def test_shared_lineage_credits_the_oldest(tmp_path):
    _, report, _ = scan_pattern(tmp_path, "shared-lineage")
    v = verdicts(report)["gridfork"]
    assert "older in gridlib" in v["detail"] and v["failed"] == []


def test_without_history_the_verdict_says_direction_unknown(tmp_path):
    built = build_case(tmp_path, "MIT", "credit-stripped")
    plain = tmp_path / "plain"
    shutil.copytree(built.suspect, plain, ignore=shutil.ignore_patterns(".git"))
    idx = str(tmp_path / "idx.sqlite")
    attrib("index", "add", str(built.upstream), "--name", UPSTREAM_NAME, "--index", idx)
    code, out, _ = attrib("scan", str(plain), "--index", idx)
    assert "COPY WITHOUT CREDIT (" in out and "direction unknown" in out
    assert code == 1


def _scan_with_header(tmp_path, spdx: str, header: str | None) -> dict:
    """The report of a copy whose pool.py opens with ``header`` (commented), in a repository
    with no licence file, against an upstream licensed ``spdx``."""
    from compliance_fixtures import copy_files, upstream_repo
    from helpers import git_repo

    up = upstream_repo(tmp_path / "upstream", spdx)
    files = copy_files(spdx, "license-missing")
    if header is not None:
        files["pool/pool.py"] = "".join(f"# {line}".rstrip() + "\n"
                                        for line in header.splitlines()) + files["pool/pool.py"]
    git_repo(tmp_path / "suspect", [(files, "initial import", 1_704_067_200)], author="Copier")
    idx = str(tmp_path / "idx.sqlite")
    attrib("index", "add", str(up), "--name", UPSTREAM_NAME, "--index", idx)
    code, out, err = attrib("scan", str(tmp_path / "suspect"), "--index", idx, "--format", "json")
    return json.loads(out)


@pytest.mark.parametrize("full_text", [True, False])
def test_a_licence_text_in_the_copied_files_header_ships_the_licence(tmp_path, full_text):
    """MIT's text with the upstream's copyright line atop the copied file is the copy MIT asks
    for, with no LICENSE file (gorp); an SPDX line alone names the licence but carries no text."""
    from compliance_fixtures import HOLDER, license_text

    report = _scan_with_header(tmp_path, "MIT",
                               HOLDER + "\n\n" + license_text("MIT") if full_text else None)
    [f] = [f for f in report["findings"] if f["check"] == "license-text"]
    assert f["status"] == ("pass" if full_text else "fail"), f
    assert verdict_of(report) == ("copy with credit" if full_text else "partial")


@pytest.mark.parametrize("spdx", ["GPL-3.0-only", "Apache-2.0"])
def test_a_licences_short_notice_in_the_header_is_no_copy_of_the_licence(tmp_path, spdx):
    """The GPL's "This program is free software ... see <https://www.gnu.org/licenses/>" and
    Apache's "Licensed under ... You may obtain a copy of the License at" point to the licence;
    GPL-3.0 §4 and Apache-2.0 §4(a) ask for a copy of it (gpt4free's poe wrapper shipped the
    notice alone)."""
    from attrib.licenses.references import DATA
    from compliance_fixtures import HOLDER

    notice = (DATA / f"{spdx.removesuffix('-only')}.notice.txt").read_text(encoding="utf-8")
    report = _scan_with_header(tmp_path, spdx, HOLDER + "\n\n" + notice)
    [f] = [f for f in report["findings"] if f["check"] == "license-text"]
    assert f["status"] == "fail", f
    assert "no copy of the" in f["message"]
