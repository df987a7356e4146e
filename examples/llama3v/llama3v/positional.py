# SPDX-License-Identifier: MIT
# Copyright 2024 Llama3-V authors
import numpy as np

BASE_PERIOD = 10000.


def sinusoid_table_2d(dim, hw, prepend_cls=False):
    if isinstance(hw, int):
        h = w = hw
    else:
        h, w = int(hw[0]), int(hw[1])
    mesh_x, mesh_y = np.meshgrid(np.arange(w, dtype=np.float32),
                                 np.arange(h, dtype=np.float32))
    mesh = np.stack((mesh_y, mesh_x), axis=0).reshape(2, h * w)
    out = sinusoid_2d_from_mesh(dim, mesh)
    if prepend_cls:
        out = np.vstack((np.zeros((1, dim), dtype=np.float32), out))
    return out


def sinusoid_1d(dim, coords):
    if dim % 2:
        raise ValueError('dim must be even, got %d' % dim)
    n = dim // 2
    inv_freq = np.power(BASE_PERIOD, -(np.arange(n, dtype=np.float64) / float(n)))
    angles = np.outer(np.asarray(coords, dtype=np.float64).ravel(), inv_freq)
    return np.concatenate((np.sin(angles), np.cos(angles)), axis=1).astype(np.float32)


def sinusoid_2d_from_mesh(dim, mesh):
    if dim % 4:
        raise ValueError('dim must be a multiple of 4 for 2-D tables')
    return np.concatenate(
        (sinusoid_1d(dim // 2, mesh[0]), sinusoid_1d(dim // 2, mesh[1])),
        axis=1,
    )
