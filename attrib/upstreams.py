# SPDX-License-Identifier: Apache-2.0
"""Where an upstream comes from: a local path, or a git URL cloned without running anything."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import SourceError

_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
SAFE_PROTOCOLS = "https:http:ssh:git:file"


def is_url(location: str) -> bool:
    return bool(_URL.match(location))


@contextmanager
def local_repo(location: str) -> Iterator[Path]:
    """A local path as is; a URL as a temporary bare clone (no hooks, no checkout, safe transports)."""
    if not is_url(location):
        yield Path(location)
        return
    tmp = tempfile.mkdtemp(prefix="attrib-clone-")
    env = {**os.environ, "GIT_ALLOW_PROTOCOL": SAFE_PROTOCOLS, "GIT_TERMINAL_PROMPT": "0",
           "GIT_CONFIG_NOSYSTEM": "1"}
    try:
        done = subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never",
             "clone", "--bare", "--quiet", "--no-recurse-submodules", "--", location,
             tmp + "/repo"],
            env=env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["git clone failed"])[-1]
            raise SourceError(f"{location}: cannot clone ({last.removeprefix('fatal: ')})")
        yield Path(tmp) / "repo"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remote_url(path: Path) -> str | None:
    """The ``origin`` URL of a local repository, if it has one."""
    import git

    try:
        repo = git.Repo(path, search_parent_directories=False)
        return next(iter(repo.remote("origin").urls), None)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None
    except Exception:  # noqa: BLE001 - a broken remote config only loses the URL
        return None
