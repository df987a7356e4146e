# Copyright 2024 Example Org
# SPDX-License-Identifier: Apache-2.0
"""Perceiver-style resampler used to squeeze a variable number of vision
tokens into a fixed budget of query tokens for the language model."""

import logging
import math
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

logger = logging.getLogger(__name__)

SINCOS_TEMPERATURE = 10000.0
DEFAULT_GRID_CACHE = (64, 64)


def get_1d_sincos_pos_embed_from_grid(embed_dim, positions):
    """Encode every scalar in ``positions`` as a ``embed_dim`` wide vector.

    The first half of the channels holds sines, the second half cosines,
    with geometrically spaced frequencies.
    """
    if embed_dim % 2 != 0:
        raise ValueError(f"embed_dim must be even, got {embed_dim}")
    half = embed_dim // 2
    freq_exponent = np.arange(half, dtype=np.float64) / float(half)
    inv_freq = np.power(SINCOS_TEMPERATURE, -freq_exponent)
    flat = np.asarray(positions, dtype=np.float64).ravel()
    phases = np.outer(flat, inv_freq)
    table = np.concatenate((np.sin(phases), np.cos(phases)), axis=1)
    return table.astype(np.float32)


def get_2d_sincos_pos_embed_from_grid(embed_dim, grid):
    """Split the channels between rows and columns of a stacked ``grid``."""
    if embed_dim % 4 != 0:
        raise ValueError("2-D sin-cos embedding needs embed_dim divisible by 4")
    rows, cols = grid[0], grid[1]
    row_part = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, rows)
    col_part = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, cols)
    return np.concatenate((row_part, col_part), axis=1)


def get_2d_sincos_pos_embed(embed_dim, grid_size, with_cls=False):
    """Return an ``(H * W [+1], embed_dim)`` table for a ``grid_size`` grid."""
    if isinstance(grid_size, int):
        height = width = grid_size
    else:
        height, width = int(grid_size[0]), int(grid_size[1])
    ys = np.arange(height, dtype=np.float32)
    xs = np.arange(width, dtype=np.float32)
    col_idx, row_idx = np.meshgrid(xs, ys)
    grid = np.stack((row_idx, col_idx), axis=0).reshape(2, height * width)
    table = get_2d_sincos_pos_embed_from_grid(embed_dim, grid)
    if with_cls:
        table = np.vstack((np.zeros((1, embed_dim), dtype=np.float32), table))
    return table


def build_padding_mask(lengths, max_len, device=None):
    """Boolean mask that is True on padded key positions."""
    steps = torch.arange(max_len, device=device).unsqueeze(0)
    return steps >= lengths.unsqueeze(1)


class Resampler(nn.Module):
    """Cross-attention pooling from image patches onto learned queries.

    Each image in the batch may have its own patch grid (``tgt_sizes``); the
    shorter sequences are padded and masked out of the attention.
    """

    def __init__(
        self,
        num_queries: int,
        embed_dim: int,
        num_heads: int,
        kv_dim: Optional[int] = None,
        layer_norm_eps: float = 1e-6,
        max_size: Tuple[int, int] = DEFAULT_GRID_CACHE,
    ):
        super().__init__()
        self.num_queries = num_queries
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.max_size = tuple(max_size)

        self.query = nn.Parameter(torch.empty(num_queries, embed_dim))
        if kv_dim is None or kv_dim == embed_dim:
            self.kv_proj = nn.Identity()
        else:
            self.kv_proj = nn.Linear(kv_dim, embed_dim, bias=False)

        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
        self.ln_q = nn.LayerNorm(embed_dim, eps=layer_norm_eps)
        self.ln_kv = nn.LayerNorm(embed_dim, eps=layer_norm_eps)
        self.ln_post = nn.LayerNorm(embed_dim, eps=layer_norm_eps)
        self.proj = nn.Parameter(torch.empty(embed_dim, embed_dim))

        self._build_pos_cache(self.max_size)
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.trunc_normal_(self.query, std=0.02)
        nn.init.normal_(self.proj, std=self.embed_dim ** -0.5)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _build_pos_cache(self, size, device=None):
        table = get_2d_sincos_pos_embed(self.embed_dim, size)
        cache = torch.from_numpy(table).view(size[0], size[1], self.embed_dim)
        if device is not None:
            cache = cache.to(device)
        self.register_buffer("pos_cache", cache, persistent=False)

    def _ensure_pos_cache(self, tgt_sizes):
        need_h = int(tgt_sizes[:, 0].max())
        need_w = int(tgt_sizes[:, 1].max())
        if need_h <= self.max_size[0] and need_w <= self.max_size[1]:
            return
        self.max_size = (max(need_h, self.max_size[0]), max(need_w, self.max_size[1]))
        logger.info("growing resampler position cache to %s", self.max_size)
        self._build_pos_cache(self.max_size, device=self.pos_cache.device)

    def _gather_pos_embed(self, tgt_sizes, dtype):
        pieces = []
        for height, width in tgt_sizes.tolist():
            window = self.pos_cache[:height, :width]
            pieces.append(window.reshape(height * width, self.embed_dim).to(dtype))
        return nn.utils.rnn.pad_sequence(pieces, batch_first=True)

    def forward(self, x, tgt_sizes):
        if x.size(0) != tgt_sizes.size(0):
            raise ValueError("one target size is required per image")
        batch = x.size(0)
        self._ensure_pos_cache(tgt_sizes)

        lengths = tgt_sizes[:, 0] * tgt_sizes[:, 1]
        max_len = x.size(1)
        key_mask = build_padding_mask(lengths, max_len, device=x.device)

        pos = self._gather_pos_embed(tgt_sizes, x.dtype)
        if pos.size(1) < max_len:
            pos = F.pad(pos, (0, 0, 0, max_len - pos.size(1)))

        keys = self.ln_kv(self.kv_proj(x))
        queries = self.ln_q(self.query).unsqueeze(0).expand(batch, -1, -1)
        pooled, _ = self.attn(queries, keys + pos, keys, key_padding_mask=key_mask)

        pooled = self.ln_post(pooled)
        return pooled @ self.proj

    def extra_repr(self):
        return "queries={}, dim={}, heads={}, cache={}".format(
            self.num_queries, self.embed_dim, self.num_heads, self.max_size
        )
