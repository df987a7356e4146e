# SPDX-License-Identifier: Apache-2.0
"""Where attrib keeps its caches (parsed blobs, project indexes, checked licence expressions)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$ATTRIB_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/attrib``."""
    root = os.environ.get("ATTRIB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"), "attrib")
    return Path(root)
