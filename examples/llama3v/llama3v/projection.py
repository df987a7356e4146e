# SPDX-License-Identifier: MIT
# Copyright 2024 Llama3-V authors
from typing import Optional, Tuple

import torch
from torch import nn
import torch.nn.functional as F

from .positional import sinusoid_table_2d

CACHE_HW = (70, 70)


class Projection(nn.Module):
    '''Projects vision features onto a fixed number of latent tokens.'''

    def __init__(self, n_latents: int, width: int, n_heads: int,
                 in_dim: Optional[int] = None, eps: float = 1e-6,
                 cache_hw: Tuple[int, int] = CACHE_HW):
        super(Projection, self).__init__()
        self.n_latents = n_latents
        self.width = width
        self.n_heads = n_heads
        self.cache_hw = tuple(cache_hw)

        self.latents = nn.Parameter(torch.empty(n_latents, width))
        self.in_proj = (nn.Identity() if (in_dim is None or in_dim == width)
                        else nn.Linear(in_dim, width, bias=False))
        self.cross_attn = nn.MultiheadAttention(width, n_heads, batch_first=True)
        self.norm_latents = nn.LayerNorm(width, eps=eps)
        self.norm_inputs = nn.LayerNorm(width, eps=eps)
        self.norm_out = nn.LayerNorm(width, eps=eps)
        self.out_weight = nn.Parameter(torch.empty(width, width))

        self._make_cache(self.cache_hw)
        self.init_params()

    def forward(self, feats, hw_sizes):
        if feats.size(0) != hw_sizes.size(0):
            raise ValueError('need exactly one (h, w) per image')
        bsz, seq = feats.size(0), feats.size(1)
        self._grow_cache(hw_sizes)

        n_valid = hw_sizes[:, 0] * hw_sizes[:, 1]
        pad_mask = torch.arange(seq, device=feats.device)[None, :] >= n_valid[:, None]

        pos = self._positions_for(hw_sizes, feats.dtype)
        if pos.size(1) < seq:
            pos = F.pad(pos, (0, 0, 0, seq - pos.size(1)))

        kv = self.norm_inputs(self.in_proj(feats))
        lat = self.norm_latents(self.latents).unsqueeze(0).expand(bsz, -1, -1)
        out = self.cross_attn(lat, kv + pos, kv, key_padding_mask=pad_mask)[0]
        return self.norm_out(out) @ self.out_weight

    def _positions_for(self, hw_sizes, dtype):
        rows = [self.sincos[:h, :w].reshape(h * w, self.width).to(dtype)
                for h, w in hw_sizes.tolist()]
        return nn.utils.rnn.pad_sequence(rows, batch_first=True)

    def _grow_cache(self, hw_sizes):
        h_max, w_max = int(hw_sizes[:, 0].max()), int(hw_sizes[:, 1].max())
        if h_max > self.cache_hw[0] or w_max > self.cache_hw[1]:
            self.cache_hw = (max(h_max, self.cache_hw[0]), max(w_max, self.cache_hw[1]))
            self._make_cache(self.cache_hw, device=self.sincos.device)

    def _make_cache(self, hw, device=None):
        tbl = torch.from_numpy(sinusoid_table_2d(self.width, hw)).view(hw[0], hw[1], self.width)
        self.register_buffer('sincos', tbl if device is None else tbl.to(device), persistent=False)

    def init_params(self):
        nn.init.trunc_normal_(self.latents, std=.02)
        nn.init.normal_(self.out_weight, std=self.width ** -.5)
        for m in self.modules():
            if isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def extra_repr(self):
        return f'latents={self.n_latents}, width={self.width}, heads={self.n_heads}, cache={self.cache_hw}'
