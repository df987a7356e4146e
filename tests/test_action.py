# SPDX-License-Identifier: Apache-2.0
"""The GitHub Action's check step, run locally with the variables a runner sets."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from compliance_fixtures import UPSTREAM_NAME, UPSTREAM_URL, upstream_repo
from helpers import COPY_PY, git_repo

ROOT = Path(__file__).resolve().parent.parent


def action() -> dict:
    loaded = yaml.safe_load((ROOT / "action.yml").read_text())
    assert loaded["runs"]["using"] == "composite"
    return loaded


def check_step(step_id: str = "check") -> dict:
    [step] = [s for s in action()["runs"]["steps"] if s.get("id") == step_id]
    return step


def run_step(repo: Path, tmp: Path, base: str, head: str, index: str, step_id: str = "check",
             **extra: str) -> subprocess.CompletedProcess:
    step = check_step(step_id)
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_WORKSPACE": str(repo), "GITHUB_SHA": head, "GITHUB_REF": "refs/pull/7/merge",
           "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"), "GITHUB_ACTION_PATH": str(ROOT),
           "GITHUB_OUTPUT": str(tmp / "output"),
           "RUNNER_TEMP": str(tmp), "ATTRIB_CACHE": str(tmp / "cache"),
           "XDG_CACHE_HOME": str(tmp / "xdg"),
           "ATTRIB_BASE": base, "ATTRIB_HEAD": head, "ATTRIB_INDEX_INPUT": index,
           "ATTRIB_SARIF": str(tmp / "attrib.sarif"), "ATTRIB_ARGS": "",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **extra}
    env.pop("ATTRIB_INDEX", None)
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env,
                          capture_output=True, text=True)


def written_sarif(tmp: Path) -> dict:
    """The SARIF file the upload step reads: present and a valid log on every path."""
    from test_formats import sarif_schema
    from jsonschema.validators import validator_for

    log = json.loads((tmp / "attrib.sarif").read_text())
    schema = sarif_schema()
    validator_for(schema)(schema).validate(log)
    return log


def pull_request(tmp: Path) -> tuple[Path, str, str, str]:
    upstream = upstream_repo(tmp / "upstream", "Apache-2.0")
    idx = str(tmp / "idx.sqlite")
    subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()", "index",
                    "add", str(upstream), "--name", UPSTREAM_NAME, "--url", UPSTREAM_URL,
                    "--index", idx], check=True, capture_output=True)
    repo = git_repo(tmp / "project", [
        ({"README.md": "# pooling\n", "pool/__init__.py": ""}, "init", 1_704_067_200),
        ({"pool/pool.py": COPY_PY}, "add pooling", 1_704_153_600)], author="Copier")
    base, head = repo.commit("HEAD~1").hexsha, repo.head.commit.hexsha
    return tmp / "project", base, head, idx


def test_the_check_step_annotates_uploads_and_summarises(tmp_path):
    repo, base, head, idx = pull_request(tmp_path)
    done = run_step(repo, tmp_path, base, head, idx)
    assert done.returncode == 1, done.stderr  # obligations of severity error fail
    annotations = [ln for ln in done.stdout.splitlines() if ln.startswith("::")]
    assert annotations
    assert any(re.match(r"::error file=pool/pool\.py,line=\d+", ln) for ln in annotations)
    sarif = json.loads((tmp_path / "attrib.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    summary = (tmp_path / "summary.md").read_text()
    assert UPSTREAM_NAME in summary and "copy without credit" in summary


def test_a_shallow_clone_without_the_base_says_how_to_fetch(tmp_path):
    repo, base, head, idx = pull_request(tmp_path)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow)],
                   check=True)
    done = run_step(shallow, tmp_path, base, head, idx)
    assert done.returncode == 2
    assert "shallow clone" in done.stderr and "fetch-depth" in done.stderr
    assert "Traceback" not in done.stderr
    assert written_sarif(tmp_path)["runs"][0]["results"] == []  # the upload step still works
    assert "could not run" in (tmp_path / "summary.md").read_text()


def test_no_base_still_writes_sarif_and_a_summary(tmp_path):
    repo, _, head, idx = pull_request(tmp_path)
    done = run_step(repo, tmp_path, "", head, idx, GITHUB_EVENT_NAME="workflow_dispatch")
    assert done.returncode == 0, done.stderr
    assert "::warning title=attrib::no base commit" in done.stdout
    assert written_sarif(tmp_path)["runs"][0]["results"] == []
    assert "no base commit" in (tmp_path / "summary.md").read_text()


def test_no_index_still_writes_sarif_and_a_summary(tmp_path):
    repo, base, head, _ = pull_request(tmp_path)
    done = run_step(repo, tmp_path, base, head, "")
    assert done.returncode == 0, done.stderr
    assert "nothing to check against" in done.stderr
    assert written_sarif(tmp_path)["runs"][0]["results"] == []
    summary = (tmp_path / "summary.md").read_text()
    assert "nothing to check against" in summary and "upstreams:" in summary


def test_a_push_checks_the_pushed_range(tmp_path):
    default = action()["inputs"]["base"]["default"]
    assert "github.event.before" in default  # what ATTRIB_BASE is on a push
    repo, before, head, idx = pull_request(tmp_path)
    done = run_step(repo, tmp_path, before, head, idx, GITHUB_EVENT_NAME="push",
                    GITHUB_REF="refs/heads/main")
    assert done.returncode == 1, done.stderr
    assert re.search(r"::error file=pool/pool\.py,line=\d+", done.stdout)
    assert written_sarif(tmp_path)["runs"][0]["results"]


def test_a_new_branch_is_checked_against_the_default_branch(tmp_path):
    repo, base, head, idx = pull_request(tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", f"file://{repo}", str(clone)], check=True)
    subprocess.run(["git", "-C", str(repo), "update-ref", "refs/heads/main", base], check=True)
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--force", "origin",
                    "+refs/heads/main:refs/remotes/origin/main"], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "-b", "feature", head],
                   check=True)
    done = run_step(clone, tmp_path, "0" * 40, head, idx, GITHUB_EVENT_NAME="push",
                    GITHUB_REF="refs/heads/feature", ATTRIB_DEFAULT_BRANCH="main")
    assert done.returncode == 1, done.stdout + done.stderr  # the copy the branch adds
    assert re.search(r"::error file=pool/pool\.py,line=\d+", done.stdout)


def cache_key(repo: Path, tmp: Path) -> str:
    (tmp / "output").unlink(missing_ok=True)
    done = run_step(repo, tmp, "", "", "", step_id="pins")
    assert done.returncode == 0, done.stderr
    [line] = (tmp / "output").read_text().splitlines()
    assert line.startswith("key=") and line != "key=unpinned", line
    return line


def test_the_cache_key_moves_with_a_declared_upstreams_ref(tmp_path):
    assert "steps.pins.outputs.key" in " ".join(
        str(s.get("with", {}).get("key")) for s in action()["runs"]["steps"])
    upstream = upstream_repo(tmp_path / "upstream", "Apache-2.0")
    config = (f"upstreams:\n  - name: {UPSTREAM_NAME}\n    location: {upstream.as_uri()}\n"
              "    ref: main\n")
    git_repo(tmp_path / "project", [({".attrib.yaml": config}, "init", 1_704_067_200)])
    first = cache_key(tmp_path / "project", tmp_path)
    assert cache_key(tmp_path / "project", tmp_path) == first  # stable while nothing moves
    git_repo(upstream, [({"gridlib/more.py": "Y = 2\n"}, "more", 1_704_153_600)])
    assert cache_key(tmp_path / "project", tmp_path) != first
