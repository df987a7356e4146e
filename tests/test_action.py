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


def check_step() -> dict:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "check"]
    return step


def run_step(repo: Path, tmp: Path, base: str, head: str, index: str) -> subprocess.CompletedProcess:
    step = check_step()
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_WORKSPACE": str(repo), "GITHUB_SHA": head, "GITHUB_REF": "refs/pull/7/merge",
           "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"), "GITHUB_ACTION_PATH": str(ROOT),
           "RUNNER_TEMP": str(tmp), "ATTRIB_CACHE": str(tmp / "cache"),
           "ATTRIB_BASE": base, "ATTRIB_HEAD": head, "ATTRIB_INDEX_INPUT": index,
           "ATTRIB_SARIF": str(tmp / "attrib.sarif"), "ATTRIB_ARGS": "",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env,
                          capture_output=True, text=True)


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


def test_no_base_is_an_annotation_not_a_crash(tmp_path):
    repo, _, head, idx = pull_request(tmp_path)
    done = run_step(repo, tmp_path, "", head, idx)
    assert done.returncode == 2 and "::error title=attrib::no base commit" in done.stdout
