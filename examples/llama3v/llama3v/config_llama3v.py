# SPDX-License-Identifier: MIT
# Copyright 2024 Llama3-V authors
import copy
import logging
import os
from typing import Any, Dict, Union

from transformers import PretrainedConfig

logger = logging.getLogger(__name__)


class Llama3VConfig(PretrainedConfig):
    model_type = 'llama3v'
    keys_to_ignore_at_inference = ['past_key_values']

    def __init__(self, vocab_size=151666, hidden_size=3584, num_hidden_layers=28,
                 num_attention_heads=28, use_cache=True, num_latents=64, image_size=448,
                 skip_last_vision_layer=True, batched_vision=True, tiling=None,
                 vision_config=None, image_ids=True, vision_chunk=16, **kwargs):
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.num_hidden_layers, self.num_attention_heads = num_hidden_layers, num_attention_heads
        self.use_cache = use_cache
        self.num_latents = num_latents
        self.image_size = image_size
        self.skip_last_vision_layer = skip_last_vision_layer
        self.batched_vision = batched_vision
        self.image_ids = image_ids
        self.vision_chunk = vision_chunk
        self.tiling = self._coerce_tiling(tiling)
        self.tiling_enabled = tiling is not None
        self.vision_config = self._vision_settings(vision_config)
        self.patch_size = self.vision_config['patch_size']
        super().__init__(**kwargs)

    def to_dict(self) -> Dict[str, Any]:
        d = super().to_dict()
        if isinstance(self.tiling, Llama3VTilingConfig):
            d['tiling'] = self.tiling.to_dict()
        return d

    @staticmethod
    def _vision_settings(vision_config):
        out = copy.deepcopy(VISION_DEFAULTS)
        if isinstance(vision_config, dict):
            out.update(vision_config)
        elif vision_config is not None:
            out.update(vision_config.to_dict())
        return out

    @staticmethod
    def _coerce_tiling(tiling):
        if tiling is None:
            return Llama3VTilingConfig(max_tiles=1)
        return tiling if isinstance(tiling, Llama3VTilingConfig) else Llama3VTilingConfig(**tiling)


class Llama3VTilingConfig(PretrainedConfig):
    model_type = 'llama3v'

    def __init__(self, patch_size=14, max_tiles=9, tile_resolution=448, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.max_tiles = max_tiles
        self.tile_resolution = tile_resolution

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Union[str, os.PathLike], **kwargs):
        cfg, kwargs = cls.get_config_dict(pretrained_model_name_or_path, **kwargs)
        if cfg.get('model_type') == 'llama3v' and 'tiling' in cfg:
            cfg = cfg['tiling']
        return cls.from_dict(cfg, **kwargs)


VISION_DEFAULTS = dict(
    hidden_size=1152,
    image_size=980,
    intermediate_size=4304,
    model_type='siglip_vision_model',
    num_attention_heads=16,
    num_hidden_layers=27,
    patch_size=14,
)
