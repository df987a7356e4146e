# SPDX-License-Identifier: MIT
# Copyright 2024 Llama3-V authors
"""Answer normalisation and scoring for VQA-style benchmarks."""
import re
import string
from collections import Counter

_ARTICLES = re.compile(r'\b(a|an|the)\b', re.IGNORECASE)
_NUMBER_WORDS = {
    'zero': '0', 'one': '1', 'two': '2', 'three': '3', 'four': '4',
    'five': '5', 'six': '6', 'seven': '7', 'eight': '8', 'nine': '9', 'ten': '10',
}


def normalize_answer(text):
    text = text.lower().strip()
    text = ''.join(ch for ch in text if ch not in set(string.punctuation) - {'.'})
    text = text.rstrip('.')
    text = _ARTICLES.sub(' ', text)
    words = [_NUMBER_WORDS.get(w, w) for w in text.split()]
    return ' '.join(words)


def vqa_soft_accuracy(prediction, references):
    """min(1, matches / 3) averaged over leave-one-out subsets of the references."""
    pred = normalize_answer(prediction)
    refs = [normalize_answer(r) for r in references]
    if not refs:
        return 0.0
    scores = []
    for skip in range(len(refs)):
        others = refs[:skip] + refs[skip + 1:]
        scores.append(min(1.0, sum(r == pred for r in others) / 3.0))
    return sum(scores) / len(scores)


def levenshtein(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def anls(prediction, references, threshold=0.5):
    best = 0.0
    p = prediction.strip().lower()
    for ref in references:
        r = ref.strip().lower()
        longest = max(len(p), len(r)) or 1
        sim = 1.0 - levenshtein(p, r) / longest
        best = max(best, sim if sim >= threshold else 0.0)
    return best


def token_f1(prediction, reference):
    p_tok = normalize_answer(prediction).split()
    r_tok = normalize_answer(reference).split()
    common = Counter(p_tok) & Counter(r_tok)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(p_tok), overlap / len(r_tok)
    return 2 * precision * recall / (precision + recall)
