# SPDX-License-Identifier: MIT
# Copyright 2024 Llama3-V authors
from typing import List, Optional

import torch
from torch import nn
from transformers import AutoModel, AutoModelForCausalLM, PreTrainedModel

from .config_llama3v import Llama3VConfig
from .projection import Projection


class Llama3VBase(PreTrainedModel):
    config_class = Llama3VConfig
    base_model_prefix = 'lm'
    supports_gradient_checkpointing = True


class Llama3VModel(Llama3VBase):

    def __init__(self, config):
        super().__init__(config)
        self.lm = AutoModelForCausalLM.from_config(config)
        self.vision_tower = self.build_vision_tower()
        self.vis_width = self.vision_tower.embed_dim
        self.txt_width = self.lm.config.hidden_size
        self.projection = self.build_projection(self.txt_width, self.vis_width)
        self.stop_tokens = ['<|im_end|>', '<|endoftext|>']

    def get_input_embeddings(self):
        return self.lm.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.lm.embed_tokens = value

    def build_projection(self, txt_width, vis_width):
        return Projection(n_latents=self.config.num_latents, width=txt_width,
                          n_heads=txt_width // 128, in_dim=vis_width)

    def build_vision_tower(self):
        tower = AutoModel.from_config(self.config.vision_config)
        if self.config.skip_last_vision_layer:
            tower.encoder.layers = tower.encoder.layers[:-1]
        tower.embed_dim = tower.embeddings.embed_dim
        tower.patch_size = tower.embeddings.patch_size
        return tower

    def forward(self, data, **kwargs):
        embeds, _ = self.merge_multimodal_embeddings(data)
        pos_ids = data.get('position_ids')
        if pos_ids is not None and pos_ids.dtype != torch.int64:
            pos_ids = pos_ids.long()
        return self.lm(input_ids=None, position_ids=pos_ids, inputs_embeds=embeds, **kwargs)

    def merge_multimodal_embeddings(self, data):
        hw_sizes = [s for s in data['hw_sizes'] if isinstance(s, torch.Tensor)]
        crops = [c for item in data['pixel_values'] for c in item]
        vis = None
        if len(crops) > 0:
            vis = self.encode_images(crops, torch.vstack(hw_sizes).type(torch.int32))

        embeds = self.lm.model.embed_tokens(data['input_ids'])
        offset = 0
        for b, spans in enumerate(data['image_spans']):
            if vis is None or not len(spans):
                continue
            n = len(spans)
            chunk = vis[offset:offset + n]
            offset = offset + n
            idx = torch.stack([torch.arange(s[0], s[1], dtype=torch.long) for s in spans])
            embeds[b].index_copy_(0, idx.to(embeds.device).reshape(-1),
                                  chunk.reshape(-1, chunk.shape[-1]))
        return embeds, vis

    def encode_images(self, crops, hw_sizes):
        w = self.lm.model.embed_tokens.weight
        px = stack_crops(crops, self.config.patch_size).to(device=w.device, dtype=w.dtype)
        n_max = int(torch.max(hw_sizes[:, 0] * hw_sizes[:, 1]))
        mask = valid_patch_mask(hw_sizes, n_max, w.device)
        feats = self._run_vision_batched(px, hw_sizes, mask)
        return self.projection(feats, hw_sizes)

    def _run_vision_batched(self, px, hw_sizes, mask):
        step = self.config.vision_chunk
        outs = [
            self.vision_tower(px[i:i + step], patch_attention_mask=mask[i:i + step],
                              tgt_sizes=hw_sizes[i:i + step]).last_hidden_state
            for i in range(0, px.shape[0], step)
        ]
        return torch.cat(outs, dim=0)

    @torch.inference_mode()
    def generate(self, input_ids, pixel_values, hw_sizes, image_spans, attention_mask,
                 tokenizer=None, decode_text=False, max_new_tokens=1024, **kwargs):
        if pixel_values is None:
            raise ValueError('pixel_values is required (pass [] for text only)')
        embeds, _ = self.merge_multimodal_embeddings(dict(
            input_ids=input_ids, pixel_values=pixel_values,
            hw_sizes=hw_sizes, image_spans=image_spans,
        ))
        ids = self._run_generate(embeds, tokenizer, attention_mask,
                                 max_new_tokens=max_new_tokens, **kwargs)
        return self._ids_to_text(ids, tokenizer) if decode_text else ids

    def _run_generate(self, embeds, tokenizer, attention_mask, **kwargs):
        return self.lm.generate(
            inputs_embeds=embeds, pad_token_id=0,
            eos_token_id=[tokenizer.convert_tokens_to_ids(t) for t in self.stop_tokens],
            attention_mask=attention_mask, **kwargs,
        )

    def _ids_to_text(self, out_ids, tokenizer):
        stop_ids = [tokenizer.convert_tokens_to_ids(t) for t in self.stop_tokens]
        res = []
        for seq in out_ids:
            seq = seq[seq != 0]
            if len(seq) and seq[0] == tokenizer.bos_id:
                seq = seq[1:]
            if len(seq) and seq[-1] in stop_ids:
                seq = seq[:-1]
            res.append(tokenizer.decode(seq).strip())
        return res


def valid_patch_mask(hw_sizes, n_max, device):
    m = torch.zeros((hw_sizes.shape[0], 1, n_max), dtype=torch.bool, device=device)
    for i, n in enumerate((hw_sizes[:, 0] * hw_sizes[:, 1]).tolist()):
        m[i, 0, :n] = True
    return m


def stack_crops(crops, unit):
    seqs = [c.reshape(c.shape[0], unit, -1).permute(2, 0, 1) for c in crops]
    out = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=0.)
    return out.permute(0, 2, 3, 1).reshape(out.shape[0], 3, -1, out.shape[1])
