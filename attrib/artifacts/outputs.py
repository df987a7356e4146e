# SPDX-License-Identifier: Apache-2.0
"""Shared mistakes: two models' answers to the same probes, and how unlikely their common errors are.

Two independent models agree where both are right; a copy also agrees where both are *wrong*,
down to the same wrong answer. Error consistency (Geirhos et al. 2020, "Beyond accuracy:
quantifying trial-by-trial behaviour of CNNs and humans by measuring error consistency") is
Cohen's kappa on the two models' correct/incorrect vectors. The count of identical wrong answers
gets a p-value under independence:

  Given the m probes both models got wrong, if the two wrong answers were drawn independently,
  each from its model's own distribution of wrong answers on those probes (the right answer
  excluded), the chance of a match on probe i is at most q_i = max(sum_w gA(w)^2, sum_w gB(w)^2)
  (Cauchy-Schwarz). The count of matches is then dominated by Binomial(m, max_i q_i), whose
  upper tail P(X >= k) is the stated p-value: an upper bound (conservative) under that null.

It does not assume the two models err on the same probes independently (hard probes are hard
for both); it assumes that, once wrong, they choose their wrong answers independently.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from .jsonbounds import JsonBoundError, loads_bounded
from .model import DERIVED, INDEPENDENT

MAX_BYTES = 64 * 1024 * 1024
MAX_LINES = 1_000_000
MAX_ANSWER = 10_000          # characters of an answer kept for comparison
DERIVED_P = 1e-3
MIN_SHARED_MISTAKES = 3
NO_REFERENCE = "not judged"  # without a reference, mistakes cannot be told from right answers
ID_KEYS, ANSWER_KEYS = ("id", "probe", "question_id"), ("answer", "output", "prediction")


def _normal(value: object) -> str:
    """Answers compared after trimming and case folding (``" B "`` is ``"b"``)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return " ".join(text.split()).casefold()[:MAX_ANSWER]


def _id_order(ident: str) -> tuple:
    """Numeric ids in numeric order (``q2`` before ``q10``), the rest by text."""
    head = ident.rstrip("0123456789")
    tail = ident[len(head):]
    return (head, int(tail[:30]) if tail else -1, ident)


def read_answers(path: str | Path) -> dict[str, str]:
    """``{id: answer}`` from a JSON-lines file; SourceError naming file and line when malformed."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SourceError(f"{path}: {size} bytes, larger than attrib reads ({MAX_BYTES})")
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: unreadable: {exc.strerror or exc}") from None
    answers: dict[str, str] = {}
    for number, line in enumerate(raw.splitlines(), 1):
        if number > MAX_LINES:
            raise SourceError(f"{path}: more than {MAX_LINES} lines")
        if not line.strip():
            continue
        try:
            row = loads_bounded(line)
        except JsonBoundError as exc:
            raise SourceError(f"{path}:{number}: {exc}") from None
        key = next((k for k in ID_KEYS if isinstance(row, dict) and k in row), None)
        answer = next((k for k in ANSWER_KEYS if isinstance(row, dict) and k in row), None)
        if key is None or answer is None:
            raise SourceError(f"{path}:{number}: not an object with an id and an answer")
        ident = _normal(row[key])
        if ident in answers:
            raise SourceError(f"{path}:{number}: id {str(row[key])[:80]!r} given twice")
        answers[ident] = _normal(row[answer])
    if not answers:
        raise SourceError(f"{path}: no answers")
    return answers


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed exactly in log space."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * math.log(p) + (n - i) * math.log1p(-p) for i in range(k, n + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs))


def kappa(right_a: list[bool], right_b: list[bool]) -> float | None:
    """Error consistency: Cohen's kappa of the two correct/incorrect vectors."""
    n = len(right_a)
    if not n:
        return None
    observed = sum(x == y for x, y in zip(right_a, right_b)) / n
    pa, pb = sum(right_a) / n, sum(right_b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return None if expected >= 1 else (observed - expected) / (1 - expected)


def _collision_bound(wrong_a: Counter, wrong_b: Counter, right: str) -> float:
    def concentration(wrong: Counter) -> float:
        total = sum(c for w, c in wrong.items() if w != right)
        return sum((c / total) ** 2 for w, c in wrong.items() if w != right) if total else 1.0
    return max(concentration(wrong_a), concentration(wrong_b))


@dataclass(frozen=True)
class OutputsReport:
    a: str
    b: str
    reference: str | None
    verdict: str
    detail: str
    figures: dict = field(default_factory=dict)
    examples: tuple[dict, ...] = ()

    @property
    def is_copy(self) -> bool:
        return self.verdict == DERIVED


def compare_outputs(a: str | Path, b: str | Path, reference: str | Path | None = None,
                    examples: int = 10) -> OutputsReport:
    ans_a, ans_b = read_answers(a), read_answers(b)
    gold = read_answers(reference) if reference is not None else None
    ids = sorted(set(ans_a) & set(ans_b) & (set(gold) if gold else set(ans_a)), key=_id_order)
    if not ids:
        raise SourceError(f"{b}: no probe id in common with {a}"
                          + (f" and {reference}" if reference else ""))
    agree = sum(ans_a[i] == ans_b[i] for i in ids)
    figures: dict = {"probes": len(ids), "only_a": len(set(ans_a) - set(ans_b)),
                     "only_b": len(set(ans_b) - set(ans_a)), "agreement": round(agree / len(ids), 4)}
    if gold is None:
        return OutputsReport(str(a), str(b), None, NO_REFERENCE,
                             "agreement only: give --reference to tell mistakes", figures)
    right_a = [ans_a[i] == gold[i] for i in ids]
    right_b = [ans_b[i] == gold[i] for i in ids]
    both_wrong = [i for i, x, y in zip(ids, right_a, right_b) if not x and not y]
    same_wrong = [i for i in both_wrong if ans_a[i] == ans_b[i]]
    wrong_a = Counter(ans_a[i] for i in both_wrong)
    wrong_b = Counter(ans_b[i] for i in both_wrong)
    q = max((_collision_bound(wrong_a, wrong_b, gold[i]) for i in both_wrong), default=0.0)
    p = binomial_tail(len(same_wrong), len(both_wrong), q)
    k = kappa(right_a, right_b)
    figures.update({
        "accuracy": [round(sum(right_a) / len(ids), 4), round(sum(right_b) / len(ids), 4)],
        "error_consistency_kappa": None if k is None else round(k, 4),
        "both_wrong": len(both_wrong), "identical_wrong_answers": len(same_wrong),
        "match_probability_bound": round(q, 6), "p_value": float(f"{p:.3g}"),
        "p_value_is": "an upper bound: Binomial(both_wrong, match_probability_bound) tail"})
    if p < DERIVED_P and len(same_wrong) >= MIN_SHARED_MISTAKES:
        verdict, detail = DERIVED, (f"{len(same_wrong)} of {len(both_wrong)} shared mistakes "
                                    f"identical (p <= {p:.2g} for independent models)")
    else:
        verdict, detail = INDEPENDENT, (f"{len(same_wrong)} of {len(both_wrong)} shared "
                                        f"mistakes identical (p <= {p:.2g})")
    shown = tuple({"id": i, "answer": ans_a[i], "reference": gold[i]}
                  for i in same_wrong[:examples])
    return OutputsReport(str(a), str(b), str(reference), verdict, detail, figures, shown)


def render_outputs_text(report: OutputsReport) -> str:
    lines = [f"{report.b} vs {report.a}" + (f" (reference {report.reference})"
                                            if report.reference else ""),
             f"verdict: {report.verdict} ({report.detail})"]
    lines += [f"  {k}: {v}" for k, v in report.figures.items()]
    lines += [f"  same mistake: {e['id']}: {e['answer']!r} (right: {e['reference']!r})"
              for e in report.examples]
    return "\n".join(lines) + "\n"


def render_outputs_json(report: OutputsReport) -> str:
    import dataclasses

    return json.dumps({"schema_version": 1, **dataclasses.asdict(report)}, indent=2,
                      sort_keys=True) + "\n"
