# SPDX-License-Identifier: MIT
# Copyright 2024 Llama3-V authors
import math
from typing import List, Optional, Tuple

from PIL import Image

Dims = Tuple[int, int]


def tile_image(img, limit=9, target_res=448, unit=14, keep_whole=False):
    size = img.size
    w, h = size
    multiple = min(math.ceil((w * h) / (target_res * target_res)), limit)
    tiles = []
    layout = None

    if keep_whole or multiple <= 1:
        overview = img.resize(best_fit_size(size, target_res, unit, upscale=True),
                              Image.Resampling.BICUBIC)
        return overview, tiles, layout

    overview = img.copy().resize(best_fit_size(size, target_res, unit), Image.Resampling.BICUBIC)
    layout = pick_layout(size, multiple, limit)
    if layout is None:
        return overview, tiles, None

    canvas = img.resize(refined_canvas_size(size, layout, target_res, unit, upscale=True),
                        Image.Resampling.BICUBIC)
    tiles = crop_grid(canvas, layout)
    return overview, tiles, layout


def snap_to_multiple(value, unit):
    return unit * max(round(value / unit), 1)


def crop_grid(img, layout):
    w, h = img.size
    tile_w, tile_h = w // layout[0], h // layout[1]
    return [
        [img.crop((x, y, x + tile_w, y + tile_h)) for x in range(0, w, tile_w)]
        for y in range(0, h, tile_h)
    ]


def best_fit_size(size, target_res, unit, upscale=False):
    w, h = size
    if w * h > target_res * target_res or upscale:
        r = w / h
        h = int(target_res / math.sqrt(r))
        w = int(h * r)
    return snap_to_multiple(w, unit), snap_to_multiple(h, unit)


def divisor_layouts(total):
    return [(total // r, r) for r in range(1, total + 1) if total % r == 0]


def nearby_counts(ideal, limit):
    return [k for k in (ideal - 1, ideal, ideal + 1) if k != 1 and k <= limit]


def pick_layout(size, ideal, limit):
    target = math.log(size[0] / size[1])
    options = []
    for k in nearby_counts(ideal, limit):
        options = options + divisor_layouts(k)
    if not options:
        return None
    best, best_err = options[0], float('inf')
    for c, r in options:
        err = abs(target - math.log(c / r))
        if err < best_err:
            best, best_err = (c, r), err
    return best


def refined_canvas_size(size, layout, target_res, unit, upscale=False):
    n_cols, n_rows = layout
    cw = snap_to_multiple(size[0], n_cols) / n_cols
    ch = snap_to_multiple(size[1], n_rows) / n_rows
    tw, th = best_fit_size((cw, ch), target_res, unit, upscale=upscale)
    return (tw * n_cols, th * n_rows)


def layout_placeholder(layout, n_tokens, open_tag='<slice>', close_tag='</slice>', pad_tok='<unk>'):
    if layout is None:
        return ''
    one = open_tag + pad_tok * n_tokens + close_tag
    return '\n'.join(one * layout[0] for _ in range(layout[1]))
