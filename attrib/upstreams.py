# SPDX-License-Identifier: Apache-2.0
"""Where an upstream comes from: a local path, or a git URL cloned without running anything.

Cloning and reading go through :mod:`attrib.gitsafe`.  A ``file://`` URL is
read in place, as a path is (cloning it would run ``git upload-pack`` inside
that repository, under its config); a missing one is reported as missing.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import SourceError

_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def is_url(location: str) -> bool:
    return bool(_URL.match(location))


def is_clone(location: str) -> bool:
    """Whether ``location`` is fetched over a transport (a URL that is not ``file://``)."""
    return is_url(location) and not location.lower().startswith("file://")


@contextmanager
def local_repo(location: str) -> Iterator[Path]:
    """A local path as is; a ``file://`` URL's repository in place; another URL as a
    temporary bare clone (:func:`attrib.gitsafe.clone`), removed afterwards."""
    from . import gitsafe

    if not is_url(location):
        yield Path(location)
        return
    if not is_clone(location):
        yield gitsafe.local_path_of(location)
        return
    tmp = tempfile.mkdtemp(prefix="attrib-clone-")
    try:
        gitsafe.clone(location, Path(tmp) / "repo")
        yield Path(tmp) / "repo"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remote_url(path: Path) -> str | None:
    """The ``origin`` URL of a local repository, if it has one (its config read as data)."""
    from . import gitsafe

    try:
        location = gitsafe.locate(path)
    except SourceError:
        return None
    return gitsafe.config_get(location.common_dir / "config", "remote.origin.url")
