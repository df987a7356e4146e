# Copyright 2024 Example Org
# SPDX-License-Identifier: Apache-2.0
"""Configuration objects for the MiniCPM-V example model."""

import copy
import logging
import os
from typing import Any, Dict, Optional, Union

from transformers import PretrainedConfig

logger = logging.getLogger(__name__)

DEFAULT_VISION_CONFIG = {
    "hidden_size": 1152,
    "image_size": 980,
    "intermediate_size": 4304,
    "model_type": "siglip_vision_model",
    "num_attention_heads": 16,
    "num_hidden_layers": 27,
    "patch_size": 14,
}


class MiniCPMVSliceConfig(PretrainedConfig):
    """How high-resolution images are cut before reaching the vision tower."""

    model_type = "minicpmv"

    def __init__(self, patch_size=14, max_slice_nums=9, scale_resolution=448, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.max_slice_nums = max_slice_nums
        self.scale_resolution = scale_resolution

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Union[str, os.PathLike], **kwargs):
        config_dict, kwargs = cls.get_config_dict(pretrained_model_name_or_path, **kwargs)
        if config_dict.get("model_type") == "minicpmv" and "slice_config" in config_dict:
            config_dict = config_dict["slice_config"]
        return cls.from_dict(config_dict, **kwargs)


class MiniCPMVConfig(PretrainedConfig):
    """Top-level configuration: language model sizes plus vision options."""

    model_type = "minicpmv"
    keys_to_ignore_at_inference = ["past_key_values"]

    def __init__(
        self,
        vocab_size=151666,
        hidden_size=3584,
        num_hidden_layers=28,
        num_attention_heads=28,
        use_cache=True,
        query_num=64,
        image_size=448,
        drop_vision_last_layer=True,
        batch_vision_input=True,
        slice_config=None,
        vision_config=None,
        use_image_id=True,
        vision_batch_size=16,
        **kwargs,
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.use_cache = use_cache
        self.query_num = query_num
        self.image_size = image_size
        self.drop_vision_last_layer = drop_vision_last_layer
        self.batch_vision_input = batch_vision_input
        self.use_image_id = use_image_id
        self.vision_batch_size = vision_batch_size

        self.slice_config = self._build_slice_config(slice_config)
        self.slice_mode = slice_config is not None
        self.vision_config = self._merge_vision_config(vision_config)
        self.patch_size = self.vision_config["patch_size"]

        super().__init__(**kwargs)

    @staticmethod
    def _build_slice_config(slice_config):
        if slice_config is None:
            return MiniCPMVSliceConfig(max_slice_nums=1)
        if isinstance(slice_config, MiniCPMVSliceConfig):
            return slice_config
        return MiniCPMVSliceConfig(**slice_config)

    @staticmethod
    def _merge_vision_config(vision_config):
        merged = copy.deepcopy(DEFAULT_VISION_CONFIG)
        if vision_config is None:
            logger.info("vision_config is None, using the default SigLIP settings")
        elif isinstance(vision_config, dict):
            merged.update(vision_config)
        else:
            merged.update(vision_config.to_dict())
        return merged

    def to_dict(self) -> Dict[str, Any]:
        output = super().to_dict()
        if isinstance(self.slice_config, MiniCPMVSliceConfig):
            output["slice_config"] = self.slice_config.to_dict()
        return output
