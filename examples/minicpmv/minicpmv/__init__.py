# Copyright 2024 Example Org
# SPDX-License-Identifier: Apache-2.0
"""MiniCPM-V (example upstream): a compact vision-language model."""

from .configuration import MiniCPMVConfig, MiniCPMVSliceConfig
from .image_slicer import slice_image
from .modeling import MiniCPMVModel
from .resampler import Resampler, get_2d_sincos_pos_embed

__all__ = [
    "MiniCPMVConfig",
    "MiniCPMVSliceConfig",
    "MiniCPMVModel",
    "Resampler",
    "get_2d_sincos_pos_embed",
    "slice_image",
]

__version__ = "2.6.0"
