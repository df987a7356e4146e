# SPDX-License-Identifier: Apache-2.0
"""The real CLI as the hostile cases run it, and what a refused run must look like."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path


def attrib(*args: str, cwd: Path, env: dict[str, str] | None = None,
           fsize: int | None = None) -> tuple[int, str, str]:
    """The real CLI; ``fsize``: RLIMIT_FSIZE in bytes, a disk that is full past it."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    done = subprocess.run([sys.executable, "-c", "from attrib.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
                          preexec_fn=limit if fsize else None)
    return done.returncode, done.stdout, done.stderr


def one_line_error(code: int, err: str) -> str:
    """The error line of a refused run: exit 2, one line, no traceback."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attrib: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]
