# SPDX-License-Identifier: Apache-2.0
"""The hostile-input suite: each case builds its input in a temp dir and runs the real ``attrib``.

``run_attrib`` runs the installed console script as a child process and returns its exit
code, output, wall time and peak memory (``ru_maxrss`` from ``wait4``, so the figure is that
one run's, children included), which the cases assert against generous bounds: they catch
hangs and blow-ups, they do not benchmark.  ``benchmarks/hostile.py`` prints the table.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

MEMORY_BOUND_MB = 1024   # issue 11: peak memory of any command under 1 GiB on hostile input
TIME_BOUND_S = 30.0      # generous: a hang is > 60 s, an ordinary case < 5 s
PEAK_FILE = "ATTRIB_HOSTILE_PEAKS"  # benchmarks/hostile.py collects each run's peak here


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    @property
    def message(self) -> str:
        """The error output, which must be one line on bad input."""
        return self.stderr.strip()

    def assert_bounded(self) -> None:
        assert self.seconds < TIME_BOUND_S, f"took {self.seconds:.1f} s"
        assert self.peak_mb < MEMORY_BOUND_MB, f"peak memory {self.peak_mb:.0f} MB"
        assert "Traceback" not in self.stderr, self.stderr[-2000:]
        assert self.code != 3, f"internal error: {self.stderr[-500:]}"

    def assert_one_line_error(self, *words: str) -> None:
        """Exit 2 and one line naming what is wrong (each of ``words`` in it)."""
        self.assert_bounded()
        assert self.code == 2, (self.code, self.stdout[-500:], self.stderr[-500:])
        lines = self.message.splitlines()
        assert len(lines) == 1, self.message
        for word in words:
            assert word in lines[0], (word, lines[0])


def attrib_command() -> list[str]:
    script = Path(sys.executable).parent / "attrib"
    return [str(script)] if script.exists() else [sys.executable, "-c",
                                                  "from attrib.cli.main import main; main()"]


# Linux carries a process's RSS high-water mark across exec, and a child forked from pytest
# starts with pytest's pages: its ru_maxrss would include them.  So a small launcher
# (a fresh interpreter) runs the measured command as its own child and writes that child's
# wait4 rusage to a file: a peak of the command alone.
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def run_attrib(*args: str | os.PathLike, cwd: str | os.PathLike | None = None,
               timeout: float = 120.0, env: dict[str, str] | None = None) -> Run:
    """Run ``attrib ARGS`` to completion (killed after ``timeout``); its code, output, time, peak."""
    code, stdout, stderr, seconds, peak = _measured([*attrib_command(), *map(str, args)],
                                                    cwd, timeout, env)
    run = Run(code, stdout, stderr, seconds, peak)
    _record_peak(run, args)
    return run


def _measured(command: list[str], cwd, timeout: float, env: dict[str, str] | None):
    """(exit code, stdout, stderr, seconds, peak MB) of ``command`` run by the launcher."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, peak.name, *command],
                                cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"did not finish in {timeout:.0f} s (killed): {command}")
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        maxrss = peak.read().strip()
        assert maxrss, "the launcher did not report the peak"
        return (code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                seconds, int(maxrss) / 1024)


def _record_peak(run: Run, args: tuple) -> None:
    where = os.environ.get(PEAK_FILE)
    if where:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
        with open(where, "a", encoding="utf-8") as fh:
            fh.write(f"{test}\t{run.peak_mb:.1f}\t{run.seconds:.2f}\n")
