# SPDX-License-Identifier: Apache-2.0
"""Model artifacts: find a disguised copy of a model in its config, tokenizer and weights.

numpy only (no torch, no safetensors package): safetensors headers are parsed and bounds-checked
here and the data memory-mapped, so a hostile file costs no more than its header.
"""
from __future__ import annotations

from .compare import compare_models
from .model import ArtifactReport, Section
from .render import RENDERERS, render_json, render_text

__all__ = [
           "RENDERERS",
           "ArtifactReport",
           "Section",
           "compare_models",
           "render_json",
           "render_text",
]
