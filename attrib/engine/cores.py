# SPDX-License-Identifier: Apache-2.0
"""How many worker processes parsing and verification may use."""
from __future__ import annotations

import os

from ..errors import UsageError


def default_workers() -> int:
    """``ATTRIB_WORKERS`` when set (1: never fork), else one per usable core.

    A value that is not a positive whole number is refused with one line: a
    runner told to use 1 process must not silently get one per core.
    """
    wanted = os.environ.get("ATTRIB_WORKERS", "").strip()
    if wanted:
        if not (wanted.isdigit() and int(wanted) > 0):
            raise UsageError(f"ATTRIB_WORKERS={wanted!r} is not a positive whole number "
                             "(1: never fork; unset: one worker per usable core)")
        return int(wanted)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
