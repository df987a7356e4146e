# SPDX-License-Identifier: Apache-2.0
"""Config values so common across published models that sharing them says little.

A shared value listed here weighs COMMON_WEIGHT; any other shared value (an odd hidden size, a
128256-token vocabulary) weighs 1. Keys are the last component of a flattened config key.
"""
from __future__ import annotations

COMMON_WEIGHT = 0.2

COSMETIC_KEYS = frozenset({
    "_name_or_path", "architectures", "auto_map", "transformers_version", "torch_dtype",
    "_commit_hash", "model_type",  # model_type is reported as a rename, not scored
})

COMMON_VALUES: dict[str, frozenset] = {
    "hidden_act": frozenset({"silu", "gelu", "gelu_new", "relu", "gelu_pytorch_tanh", "swish"}),
    "hidden_size": frozenset({768, 1024, 2048, 4096, 5120, 8192}),
    "intermediate_size": frozenset({3072, 4096, 11008, 13824, 14336}),
    "num_attention_heads": frozenset({12, 16, 32, 40, 64}),
    "num_key_value_heads": frozenset({8, 32}),
    "num_hidden_layers": frozenset({12, 24, 32, 40, 80}),
    "vocab_size": frozenset({30522, 32000, 50257, 50304}),
    "max_position_embeddings": frozenset({512, 1024, 2048, 4096, 8192}),
    "rms_norm_eps": frozenset({1e-5, 1e-6}),
    "layer_norm_eps": frozenset({1e-5, 1e-6, 1e-12}),
    "initializer_range": frozenset({0.02}),
    "rope_theta": frozenset({10000, 500000.0}),
    "attention_dropout": frozenset({0}),
    "hidden_dropout": frozenset({0}),
    "bos_token_id": frozenset({0, 1}),
    "eos_token_id": frozenset({1, 2}),
    "pad_token_id": frozenset({0}),
    "pretraining_tp": frozenset({1}),
}


def shared_weight(key: str, value: object) -> float:
    """How much a value both configs share counts as evidence of a common origin."""
    if value is None or isinstance(value, bool):
        return COMMON_WEIGHT
    leaf = key.rsplit(".", 1)[-1]
    try:
        return COMMON_WEIGHT if value in COMMON_VALUES.get(leaf, ()) else 1.0
    except TypeError:  # unhashable (a list): compare as rare
        return 1.0
