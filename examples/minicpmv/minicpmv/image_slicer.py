# Copyright 2024 Example Org
# SPDX-License-Identifier: Apache-2.0
"""Adaptive slicing of high-resolution images into a grid of crops.

A large picture is represented by one downscaled overview image plus a grid
of crops whose aspect ratio stays close to the original.  Every side length
handed to the vision encoder is a multiple of the patch size.
"""

import logging
import math
from typing import List, Optional, Tuple

from PIL import Image

logger = logging.getLogger(__name__)

Size = Tuple[int, int]


def ensure_divide(length, patch_size):
    """Round ``length`` to the nearest positive multiple of ``patch_size``."""
    units = max(1, round(length / patch_size))
    return units * patch_size


def find_best_resize(original_size, scale_resolution, patch_size, allow_upscale=False):
    """Scale ``original_size`` so its area is about ``scale_resolution ** 2``.

    Small images are kept at their size unless ``allow_upscale`` is set.
    """
    width, height = original_size
    if allow_upscale or width * height > scale_resolution * scale_resolution:
        aspect = width / height
        height = int(scale_resolution / math.sqrt(aspect))
        width = int(height * aspect)
    best_width = ensure_divide(width, patch_size)
    best_height = ensure_divide(height, patch_size)
    return best_width, best_height


def get_refine_size(original_size, grid, scale_resolution, patch_size, allow_upscale=False):
    """Size of the whole refined image so that each grid cell fits the encoder."""
    width, height = original_size
    cols, rows = grid

    padded_width = ensure_divide(width, cols)
    padded_height = ensure_divide(height, rows)

    cell_width = padded_width / cols
    cell_height = padded_height / rows

    best_cell_w, best_cell_h = find_best_resize(
        (cell_width, cell_height), scale_resolution, patch_size, allow_upscale=allow_upscale
    )
    return best_cell_w * cols, best_cell_h * rows


def split_to_patches(image, grid):
    """Cut ``image`` into ``grid = (cols, rows)`` crops, returned row by row."""
    width, height = image.size
    cols, rows = grid
    step_x = width // cols
    step_y = height // rows
    patches = []
    for top in range(0, height, step_y):
        row = []
        for left in range(0, width, step_x):
            box = (left, top, left + step_x, top + step_y)
            row.append(image.crop(box))
        patches.append(row)
    return patches


def candidate_split_counts(multiple, max_slice_nums):
    """Slice counts worth considering around the ideal ``multiple``."""
    counts = []
    for n in (multiple - 1, multiple, multiple + 1):
        if n == 1 or n > max_slice_nums:
            continue
        counts.append(n)
    return counts


def factor_pairs(n):
    """All ``(cols, rows)`` pairs with ``cols * rows == n``."""
    pairs = []
    for rows in range(1, n + 1):
        if n % rows == 0:
            pairs.append((n // rows, rows))
    return pairs


def choose_grid(original_size, multiple, max_slice_nums):
    """Pick the crop grid whose aspect ratio is closest to the image's."""
    width, height = original_size
    log_ratio = math.log(width / height)
    candidates = []
    for count in candidate_split_counts(multiple, max_slice_nums):
        candidates.extend(factor_pairs(count))
    if not candidates:
        return None
    best_grid, best_error = candidates[0], float("inf")
    for cols, rows in candidates:
        error = abs(log_ratio - math.log(cols / rows))
        if error < best_error:
            best_grid, best_error = (cols, rows), error
    return best_grid


def slice_image(image, max_slice_nums=9, scale_resolution=448, patch_size=14, never_split=False):
    """Return ``(source_image, patches, grid)`` for a PIL ``image``.

    ``patches`` is a list of rows of crops and ``grid`` is ``(cols, rows)``;
    both are empty / ``None`` when the picture is small enough not to split.
    """
    original_size = image.size
    width, height = original_size
    ratio = (width * height) / (scale_resolution * scale_resolution)
    multiple = min(math.ceil(ratio), max_slice_nums)

    patches = []
    grid = None
    if multiple <= 1 or never_split:
        best_size = find_best_resize(original_size, scale_resolution, patch_size, allow_upscale=True)
        source_image = image.resize(best_size, Image.Resampling.BICUBIC)
        return source_image, patches, grid

    best_size = find_best_resize(original_size, scale_resolution, patch_size)
    source_image = image.copy().resize(best_size, Image.Resampling.BICUBIC)

    grid = choose_grid(original_size, multiple, max_slice_nums)
    if grid is None:
        return source_image, patches, None
    logger.debug("slicing %sx%s image into grid %s", width, height, grid)

    refine_size = get_refine_size(original_size, grid, scale_resolution, patch_size, allow_upscale=True)
    refine_image = image.resize(refine_size, Image.Resampling.BICUBIC)
    patches = split_to_patches(refine_image, grid)
    return source_image, patches, grid


def get_grid_placeholder(grid, query_num, slice_start="<slice>", slice_end="</slice>", unk="<unk>"):
    """Text placeholder that reserves ``query_num`` tokens for every crop."""
    if grid is None:
        return ""
    cols, rows = grid
    cell = slice_start + unk * query_num + slice_end
    lines = [cell * cols for _ in range(rows)]
    return "\n".join(lines)
