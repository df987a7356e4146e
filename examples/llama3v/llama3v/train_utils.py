# SPDX-License-Identifier: MIT
# Copyright 2024 Llama3-V authors
"""Small helpers for the two-stage (projector warm-up, then full) training run."""
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, Iterable, List

import numpy as np
import torch


@dataclass
class StageSpec:
    name: str
    trainable_prefixes: List[str] = field(default_factory=list)
    lr: float = 1e-4
    warmup_ratio: float = 0.03
    epochs: int = 1


STAGES = {
    'align': StageSpec('align', ['projection.'], lr=1e-3),
    'finetune': StageSpec('finetune', ['projection.', 'lm.'], lr=2e-5, epochs=2),
}


def seed_everything(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    os.environ['PYTHONHASHSEED'] = str(seed)


def freeze_for_stage(model, spec: StageSpec) -> Dict[str, int]:
    counts = {'trainable': 0, 'frozen': 0}
    for pname, param in model.named_parameters():
        keep = any(pname.startswith(p) for p in spec.trainable_prefixes)
        param.requires_grad_(keep)
        counts['trainable' if keep else 'frozen'] += param.numel()
    return counts


def cosine_with_warmup(step: int, total: int, warmup_ratio: float, floor: float = 0.1) -> float:
    warm = max(1, int(total * warmup_ratio))
    if step < warm:
        return (step + 1) / warm
    progress = min(1.0, (step - warm) / max(1, total - warm))
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def split_decay_groups(model, weight_decay: float):
    decay, no_decay = [], []
    for pname, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if param.ndim < 2 or pname.endswith('.bias') or 'norm' in pname:
            no_decay.append(param)
        else:
            decay.append(param)
    return [
        {'params': decay, 'weight_decay': weight_decay},
        {'params': no_decay, 'weight_decay': 0.0},
    ]


class ThroughputMeter:
    """Tracks samples/s and tokens/s over a sliding window of steps."""

    def __init__(self, window: int = 50):
        self.window = window
        self.events = []

    def update(self, n_samples: int, n_tokens: int):
        self.events.append((time.perf_counter(), n_samples, n_tokens))
        if len(self.events) > self.window:
            self.events.pop(0)

    def rates(self):
        if len(self.events) < 2:
            return 0.0, 0.0
        span = self.events[-1][0] - self.events[0][0]
        samples = sum(e[1] for e in self.events[1:])
        tokens = sum(e[2] for e in self.events[1:])
        return samples / span, tokens / span


def write_run_card(out_dir: str, spec: StageSpec, metrics: Dict[str, float], extra: Iterable[str] = ()):
    os.makedirs(out_dir, exist_ok=True)
    card = {'stage': asdict(spec), 'metrics': metrics, 'notes': list(extra)}
    with open(os.path.join(out_dir, 'run_card.json'), 'w') as fh:
        json.dump(card, fh, indent=2, sort_keys=True)
