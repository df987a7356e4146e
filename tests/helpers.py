# SPDX-License-Identifier: Apache-2.0
"""Small builders the tests share: made-up code trees and real git repositories."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

# A made-up upstream module: a grid resampler with a few helpers.
UPSTREAM_PY = textwrap.dedent('''\
    # Copyright 2024 Example Org
    # SPDX-License-Identifier: Apache-2.0
    """Grid utilities."""
    import math

    import numpy as np


    def grid_positions(height, width, spacing=1.0):
        """Positions of a height x width grid, row-major."""
        rows = np.arange(height, dtype=np.float32) * spacing
        cols = np.arange(width, dtype=np.float32) * spacing
        mesh = np.meshgrid(cols, rows)
        stacked = np.stack(mesh, axis=0)
        return stacked.reshape(2, 1, height, width)


    def sincos_table(embed_dim, positions):
        """Sin-cos table for 1-D positions."""
        if embed_dim % 2 != 0:
            raise ValueError("embed_dim must be even")
        omega = np.arange(embed_dim // 2, dtype=np.float64)
        omega /= embed_dim / 2.0
        omega = 1.0 / 10000 ** omega
        flat = positions.reshape(-1)
        product = np.einsum("m,d->md", flat, omega)
        return np.concatenate([np.sin(product), np.cos(product)], axis=1)


    class GridResampler:
        """Pools a feature grid into a fixed number of queries."""

        def __init__(self, num_queries, embed_dim, max_size=(64, 64)):
            self.num_queries = num_queries
            self.embed_dim = embed_dim
            self.max_size = max_size
            self.cache = sincos_table(embed_dim, grid_positions(*max_size))

        def ensure_cache(self, height, width):
            if height > self.max_size[0] or width > self.max_size[1]:
                self.max_size = (max(height, self.max_size[0]), max(width, self.max_size[1]))
                self.cache = sincos_table(self.embed_dim, grid_positions(*self.max_size))
            return self.cache

        def pool(self, features, sizes):
            outputs = []
            for index, (height, width) in enumerate(sizes):
                table = self.ensure_cache(height, width)
                count = height * width
                window = features[index][:count] + table[:count]
                weights = np.exp(window - window.max())
                weights = weights / weights.sum(axis=0, keepdims=True)
                outputs.append(math.fsum(weights.ravel()) * window.mean(axis=0))
            return np.stack(outputs)
''')

# The same code disguised: every own name renamed, reformatted, reordered, comments gone.
COPY_PY = textwrap.dedent('''\
    import math
    import numpy as np


    class Pooler:
        def __init__(self, n_latents, width, limit=(64, 64)):
            self.n_latents = n_latents
            self.width = width
            self.limit = limit
            self.table = make_table(width, mesh_points(*limit))

        def aggregate(self, feats, shapes):
            result = []
            for i, (h, w) in enumerate(shapes):
                tab = self.grow(h, w)
                n = h * w
                win = feats[i][:n] + tab[:n]
                probs = np.exp(win - win.max())
                probs = probs / probs.sum(axis=0, keepdims=True)
                result.append(math.fsum(probs.ravel()) * win.mean(axis=0))
            return np.stack(result)

        def grow(self, h, w):
            if h > self.limit[0] or w > self.limit[1]:
                self.limit = (
                    max(h, self.limit[0]),
                    max(w, self.limit[1]),
                )
                self.table = make_table(self.width, mesh_points(*self.limit))
            return self.table


    def make_table(dim, pos):
        if dim % 2 != 0:
            raise ValueError('embed_dim must be even')
        freq = np.arange(dim // 2, dtype=np.float64)
        freq /= dim / 2.0
        freq = 1.0 / 10000 ** freq
        p = pos.reshape(-1)
        prod = np.einsum('m,d->md', p, freq)
        return np.concatenate([np.sin(prod), np.cos(prod)], axis=1)


    def mesh_points(h, w, step=1.0):
        r = np.arange(h, dtype=np.float32) * step
        c = np.arange(w, dtype=np.float32) * step
        grid = np.meshgrid(c, r)
        out = np.stack(grid, axis=0)
        return out.reshape(2, 1, h, w)
''')

# Unrelated code of a similar size: must not match the upstream.
UNRELATED_PY = textwrap.dedent('''\
    import json
    import os


    def load_settings(path, defaults=None):
        settings = dict(defaults or {})
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                settings.update(json.load(handle))
        for key in list(settings):
            if key.startswith("_"):
                del settings[key]
        return settings


    class Inventory:
        def __init__(self):
            self.items = {}

        def add(self, name, count=1):
            self.items[name] = self.items.get(name, 0) + count
            return self.items[name]

        def remove(self, name, count=1):
            left = self.items.get(name, 0) - count
            if left <= 0:
                self.items.pop(name, None)
            else:
                self.items[name] = left
            return max(left, 0)

        def report(self):
            lines = []
            for name in sorted(self.items):
                lines.append(f"{name}: {self.items[name]}")
            return "\\n".join(lines)
''')


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def git_repo(root: Path, commits: list[tuple[dict[str, str | bytes], str, int | tuple[int, int]]],
             author: str = "Test Author"):
    """A real git repository at ``root``; each commit: (files, message, unix date), the date
    one for both, or (author date, committer date) as a rewritten history has them."""
    import git

    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", author)
        cfg.set_value("user", "email", "author@example.invalid")
    for files, message, date in commits:
        write_tree(root, files)
        repo.git.add(A=True)
        authored, committed = date if isinstance(date, tuple) else (date, date)
        env = {**os.environ, "GIT_AUTHOR_DATE": f"{authored} +0000",
               "GIT_COMMITTER_DATE": f"{committed} +0000"}
        repo.git.commit("-q", "-m", message, env=env)
    return repo
