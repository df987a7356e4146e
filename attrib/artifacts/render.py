# SPDX-License-Identifier: Apache-2.0
"""Renderers: ``ArtifactReport -> str``, text for people and JSON for machines."""
from __future__ import annotations

import dataclasses
import json

from .model import SCHEMA_VERSION, ArtifactReport, Section


def render_json(report: ArtifactReport) -> str:
    data = {"schema_version": SCHEMA_VERSION, **dataclasses.asdict(report)}
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


SUMMARY_KEYS = {
    "config": ("differing_keys", "renamed_keys", "renamed_prefixes", "model_type_renamed", "rare_shared_keys", "evidence_score"),
    "tokenizer": ("vocab_size", "vocab_agreement", "merges_order_agreement",
                  "added_tokens_only_a", "added_tokens_only_b", "special_tokens_equal",
                  "chat_template_equal"),
    "weight_map": ("parameters", "same_name", "renamed", "key_map", "score", "shapes_compared",
                   "shapes_differ", "missing_count", "missing_in_b", "extra_count",
                   "extra_in_b", "identical_subtrees"),
    "lfs": ("pointers", "identical_count", "identical_files", "same_size_other_bytes",
            "sizes_equal"),
    "weights": ("tensors", "paired", "key_map", "unpaired_a", "unpaired_b", "correlation_median",
                "correlation_min", "rel_l2_median", "noise", "permuted", "base", "seed", "full"),
}


def _section_lines(section: Section) -> list[str]:
    head = f"{section.name}: {section.verdict}" + (f" ({section.detail})" if section.detail else "")
    lines = [head]
    if section.verdict == "absent" and not (section.problems or section.detail):
        return []
    for key in SUMMARY_KEYS.get(section.name, ()):
        value = section.figures.get(key)
        if value is None or value == {} or value == []:
            continue
        if isinstance(value, dict) and key in ("noise", "base"):
            value = ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
        lines.append(f"  {key}: {_fmt(value)}")
    lines += [f"  problem: {path}: {message}" for path, message in section.problems]
    return lines


def render_text(report: ArtifactReport) -> str:
    lines = [f"{report.b} vs {report.a}" + (f" (base {report.base})" if report.base else ""),
             f"verdict: {report.verdict} ({report.detail})"]
    for side, folders in zip((report.a, report.b), report.folders):
        if folders and folders != (".",):
            lines.append(f"model files in {side}: {', '.join(folders[:10])}")
    lines.append("")
    for section in report.sections:
        lines += _section_lines(section)
    mode = "full pass" if report.full else f"sampled, seed {report.seed}"
    if report.rerun:
        return "\n".join(lines + ["", f"re-run: {report.rerun}"]) + "\n"
    lines += ["", f"re-run: attrib model compare {report.a} {report.b}"
              + (f" --base {report.base}" if report.base else "")
              + (" --full" if report.full else f" --seed {report.seed}") + f"  ({mode})"]
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json}
