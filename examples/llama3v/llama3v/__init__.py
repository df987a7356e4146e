# SPDX-License-Identifier: MIT
# Copyright 2024 Llama3-V authors
from .config_llama3v import Llama3VConfig, Llama3VTilingConfig
from .model import Llama3VModel
from .projection import Projection
from .vision_patches import tile_image

__version__ = '0.1.0'
__all__ = ['Llama3VConfig', 'Llama3VTilingConfig', 'Llama3VModel', 'Projection', 'tile_image']
