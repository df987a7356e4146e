# Copyright 2024 Example Org
# SPDX-License-Identifier: Apache-2.0
"""MiniCPM-V example model: a vision tower, a resampler and a causal LM."""

import logging
import math
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import AutoModel, AutoModelForCausalLM, PreTrainedModel

from .configuration import MiniCPMVConfig
from .resampler import Resampler

logger = logging.getLogger(__name__)


def pad_pixel_values(pixel_list, patch_size):
    """Flatten every image to ``(C, P, L)`` and right-pad to a common length."""
    flattened = []
    for pixels in pixel_list:
        channels = pixels.shape[0]
        flattened.append(pixels.reshape(channels, patch_size, -1).permute(2, 0, 1))
    padded = nn.utils.rnn.pad_sequence(flattened, batch_first=True, padding_value=0.0)
    batch, length = padded.shape[0], padded.shape[1]
    return padded.permute(0, 2, 3, 1).reshape(batch, 3, -1, length)


def patch_attention_mask(tgt_sizes, max_patches, device):
    """``(B, 1, max_patches)`` mask that is True on the real patches."""
    mask = torch.zeros((tgt_sizes.shape[0], 1, max_patches), dtype=torch.bool, device=device)
    counts = tgt_sizes[:, 0] * tgt_sizes[:, 1]
    for i, count in enumerate(counts.tolist()):
        mask[i, 0, :count] = True
    return mask


class MiniCPMVPreTrainedModel(PreTrainedModel):
    config_class = MiniCPMVConfig
    base_model_prefix = "llm"
    supports_gradient_checkpointing = True


class MiniCPMVModel(MiniCPMVPreTrainedModel):
    """Couples a SigLIP-style encoder with a causal LM through a resampler."""

    def __init__(self, config):
        super().__init__(config)
        self.llm = AutoModelForCausalLM.from_config(config)
        self.vpm = self.init_vision_module()
        self.vision_dim = self.vpm.embed_dim
        self.embed_dim = self.llm.config.hidden_size
        self.resampler = self.init_resampler(self.embed_dim, self.vision_dim)
        self.terminators = ["<|im_end|>", "<|endoftext|>"]

    def init_vision_module(self):
        vision = AutoModel.from_config(self.config.vision_config)
        if self.config.drop_vision_last_layer:
            vision.encoder.layers = vision.encoder.layers[:-1]
        setattr(vision, "embed_dim", vision.embeddings.embed_dim)
        setattr(vision, "patch_size", vision.embeddings.patch_size)
        return vision

    def init_resampler(self, embed_dim, vision_dim):
        return Resampler(
            num_queries=self.config.query_num,
            embed_dim=embed_dim,
            num_heads=embed_dim // 128,
            kv_dim=vision_dim,
        )

    def get_input_embeddings(self):
        return self.llm.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.llm.embed_tokens = value

    def _encode_in_chunks(self, all_pixels, tgt_sizes, mask):
        chunk = self.config.vision_batch_size
        outputs = []
        for start in range(0, all_pixels.shape[0], chunk):
            end = start + chunk
            hidden = self.vpm(
                all_pixels[start:end],
                patch_attention_mask=mask[start:end],
                tgt_sizes=tgt_sizes[start:end],
            ).last_hidden_state
            outputs.append(hidden)
        return torch.cat(outputs, dim=0)

    def get_vision_embedding(self, pixel_values, tgt_sizes):
        """Encode a flat list of crops and resample them to ``query_num`` tokens."""
        dtype = self.llm.model.embed_tokens.weight.dtype
        device = self.llm.model.embed_tokens.weight.device
        patch_size = self.config.patch_size

        all_pixels = pad_pixel_values(pixel_values, patch_size).to(device=device, dtype=dtype)
        max_patches = int(torch.max(tgt_sizes[:, 0] * tgt_sizes[:, 1]))
        mask = patch_attention_mask(tgt_sizes, max_patches, device)

        hidden = self._encode_in_chunks(all_pixels, tgt_sizes, mask)
        return self.resampler(hidden, tgt_sizes)

    def get_vllm_embedding(self, data):
        """Text embeddings with the image bounds overwritten by vision tokens."""
        tgt_sizes = [t for t in data["tgt_sizes"] if isinstance(t, torch.Tensor)]
        flat_pixels = [img for sample in data["pixel_values"] for img in sample]

        if flat_pixels:
            tgt_sizes = torch.vstack(tgt_sizes).type(torch.int32)
            vision_hidden = self.get_vision_embedding(flat_pixels, tgt_sizes)
        else:
            vision_hidden = None

        input_ids = data["input_ids"]
        vllm_embedding = self.llm.model.embed_tokens(input_ids)
        cursor = 0
        for i, bounds in enumerate(data["image_bound"]):
            if len(bounds) == 0 or vision_hidden is None:
                continue
            count = len(bounds)
            pieces = vision_hidden[cursor:cursor + count]
            cursor += count
            positions = torch.stack(
                [torch.arange(b[0], b[1], dtype=torch.long) for b in bounds]
            ).to(vllm_embedding.device)
            vllm_embedding[i].index_copy_(
                0, positions.reshape(-1), pieces.reshape(-1, pieces.shape[-1])
            )
        return vllm_embedding, vision_hidden

    def forward(self, data, **kwargs):
        vllm_embedding, _ = self.get_vllm_embedding(data)
        position_ids = data.get("position_ids")
        if position_ids is not None and position_ids.dtype != torch.int64:
            position_ids = position_ids.long()
        return self.llm(
            input_ids=None,
            position_ids=position_ids,
            inputs_embeds=vllm_embedding,
            **kwargs,
        )

    def _decode_text(self, result_ids, tokenizer):
        terminator_ids = [tokenizer.convert_tokens_to_ids(t) for t in self.terminators]
        texts = []
        for ids in result_ids:
            ids = ids[ids != 0]
            if len(ids) and ids[0] == tokenizer.bos_id:
                ids = ids[1:]
            if len(ids) and ids[-1] in terminator_ids:
                ids = ids[:-1]
            texts.append(tokenizer.decode(ids).strip())
        return texts

    def _decode(self, inputs_embeds, tokenizer, attention_mask, **kwargs):
        terminators = [tokenizer.convert_tokens_to_ids(t) for t in self.terminators]
        return self.llm.generate(
            inputs_embeds=inputs_embeds,
            pad_token_id=0,
            eos_token_id=terminators,
            attention_mask=attention_mask,
            **kwargs,
        )

    @torch.inference_mode()
    def generate(self, input_ids, pixel_values, tgt_sizes, image_bound, attention_mask,
                 tokenizer=None, decode_text=False, max_new_tokens=1024, **kwargs):
        if pixel_values is None:
            raise ValueError("pixel_values must be provided, use an empty list for text-only input")
        model_inputs = {
            "input_ids": input_ids,
            "pixel_values": pixel_values,
            "tgt_sizes": tgt_sizes,
            "image_bound": image_bound,
        }
        embeds, _ = self.get_vllm_embedding(model_inputs)
        output_ids = self._decode(embeds, tokenizer, attention_mask,
                                  max_new_tokens=max_new_tokens, **kwargs)
        if decode_text:
            return self._decode_text(output_ids, tokenizer)
        return output_ids
