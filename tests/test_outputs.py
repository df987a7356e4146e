# SPDX-License-Identifier: Apache-2.0
"""Shared mistakes: a copy gives the upstream's wrong answers; an independent model does not."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from attrib.artifacts.outputs import binomial_tail, compare_outputs, kappa
from attrib.errors import SourceError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CHOICES = "ABCD"


def attrib(*args: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def answers(gold: list[str], accuracy: float, rng: random.Random) -> list[str]:
    """Right with probability ``accuracy``, else one of the three wrong choices at random."""
    return [g if rng.random() < accuracy else rng.choice([c for c in CHOICES if c != g])
            for g in gold]


def write(path: Path, values: list[str]) -> Path:
    path.write_text("".join(json.dumps({"id": f"q{i}", "answer": v}) + "\n"
                            for i, v in enumerate(values)))
    return path


@pytest.fixture
def probes(tmp_path):
    rng = random.Random(3)
    gold = [rng.choice(CHOICES) for _ in range(50)]
    upstream = answers(gold, 0.6, rng)
    copy = list(upstream)
    for i in range(0, 50, 10):  # a copy that was fine-tuned a little: 5 answers changed
        copy[i] = gold[i]
    return {"gold": write(tmp_path / "gold.jsonl", gold),
            "up": write(tmp_path / "up.jsonl", upstream),
            "copy": write(tmp_path / "copy.jsonl", copy),
            "other": write(tmp_path / "other.jsonl", answers(gold, 0.6, rng))}


def test_a_copy_shares_its_mistakes_at_50_probes(probes):
    report = compare_outputs(probes["up"], probes["copy"], probes["gold"])
    assert report.verdict == "derived" and report.figures["p_value"] < 1e-3
    assert report.figures["identical_wrong_answers"] == report.figures["both_wrong"] >= 10
    assert report.figures["error_consistency_kappa"] > 0.7
    assert report.examples and report.examples[0]["answer"] != report.examples[0]["reference"]


def test_an_independent_model_of_the_same_accuracy_is_not_flagged(probes):
    report = compare_outputs(probes["up"], probes["other"], probes["gold"])
    assert report.verdict == "independent" and report.figures["p_value"] > 1e-3
    assert abs(report.figures["error_consistency_kappa"]) < 0.4


def test_without_a_reference_only_agreement_is_reported(probes):
    report = compare_outputs(probes["up"], probes["copy"])
    assert report.verdict == "not judged" and 0.9 <= report.figures["agreement"] < 1
    assert "accuracy" not in report.figures


def test_statistics():
    assert binomial_tail(0, 10, 0.5) == 1.0 and binomial_tail(11, 10, 0.5) == 0.0
    assert binomial_tail(10, 10, 0.5) == pytest.approx(2 ** -10)
    assert binomial_tail(3, 5, 0.3) == pytest.approx(0.16308)
    assert kappa([True, False] * 5, [True, False] * 5) == pytest.approx(1.0)
    assert kappa([True, True, False, False], [True, False, True, False]) == pytest.approx(0.0)


@pytest.mark.parametrize("text, message", [
    ('{"id": 1, "answer": "A"}\n{"id": 1, "answer": "B"}\n', ":2: id '1' given twice"),
    ('{"id": 1, "answer": "A"}\nnot json\n', ":2: not JSON"),
    ('[1, 2]\n', ":1: not an object with an id and an answer"),
    ('', ": no answers"),
])
def test_malformed_answers_are_one_line_errors(tmp_path, probes, text, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text)
    with pytest.raises(SourceError, match=message.replace("(", r"\(")):
        compare_outputs(probes["up"], bad, probes["gold"])
    code, out, err = attrib("model", "outputs", str(probes["up"]), str(bad))
    assert code == 2 and "Traceback" not in err and message in err


def test_cli_and_audit_page(tmp_path, probes):
    code, out, _ = attrib("model", "outputs", str(probes["up"]), str(probes["copy"]),
                          "--reference", str(probes["gold"]), "--format", "json")
    assert code == 1 and json.loads(out)["verdict"] == "derived"
    code, out, _ = attrib("model", "outputs", str(probes["up"]), str(probes["other"]),
                          "--reference", str(probes["gold"]))
    assert code == 0 and "verdict: independent" in out
    idx = str(tmp_path / "idx.sqlite")
    assert attrib("index", "add", str(EXAMPLES / "minicpmv"), "--name", "MiniCPM-V",
                  "--index", idx)[0] == 0
    page = tmp_path / "audit.html"
    attrib("audit", str(EXAMPLES / "llama3v"), "--index", idx, "-o", str(page),
           "--outputs", str(probes["up"]), str(probes["copy"]), "--reference", str(probes["gold"]))
    html = page.read_text()
    assert "Shared mistakes" in html and "same wrong answer" in html
    _, out, _ = attrib("audit", str(EXAMPLES / "llama3v"), "--index", idx, "--format", "text",
                       "--outputs", str(probes["up"]), str(probes["copy"]),
                       "--reference", str(probes["gold"]))
    assert "shared mistakes: derived" in out
