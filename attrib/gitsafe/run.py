# SPDX-License-Identifier: Apache-2.0
"""How every git process starts: the environment, the options, failures as one line; clones."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlparse

from ..errors import SourceError

CLONE_PROTOCOLS = "https:http:ssh:git"  # never file (read in place), ext or fd (run programs)


READ_TIMEOUT = 600


CLONE_TIMEOUT = 1800


# git options on every command: no hooks, no fsmonitor, no pager, no signature checks.
OPTIONS = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
            "-c", "core.pager=cat", "-c", "log.showSignature=false",
            "-c", "credential.helper=", "-c", "core.quotePath=false")


def environment(git_dir: Path | None = None, clone: bool = False) -> dict[str, str]:
    """The environment of every git process attrib starts.

    Inherited ``GIT_*`` variables are dropped (``GIT_DIR``, ``GIT_CONFIG_PARAMETERS``,
    ``GIT_EXTERNAL_DIFF``, ``GIT_SSH_COMMAND``, ``GIT_PROXY_COMMAND`` ... could
    point git elsewhere or make it run a program; a clone keeps the user's
    ``GIT_SSH_COMMAND``), except git's own test knob
    ``GIT_TEST_ASSUME_DIFFERENT_OWNER``, which can only make git stricter and
    lets the ownership behaviour be tested.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") or k == "GIT_TEST_ASSUME_DIFFERENT_OWNER"}
    env.pop("SSH_ASKPASS", None)
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_NO_LAZY_FETCH="1",
               GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", PAGER="cat", GIT_OPTIONAL_LOCKS="0",
               GIT_ATTR_NOSYSTEM="1", LC_ALL="C", LANGUAGE="C")
    if clone:
        # the user's own GIT_SSH_COMMAND (a CI deploy key) is theirs, not the repository's
        env.update(GIT_ALLOW_PROTOCOL=CLONE_PROTOCOLS, GIT_PROTOCOL_FROM_USER="0",
                   GIT_SSH_COMMAND=os.environ.get("GIT_SSH_COMMAND") or "ssh -o BatchMode=yes")
    else:
        env["GIT_ALLOW_PROTOCOL"] = ""  # a read never needs a transport
    if git_dir is not None:
        env["GIT_DIR"] = str(git_dir)
    return env


def failure(stderr: bytes | str, where: str) -> str:
    """One line saying why git failed at ``where``; git's ownership refusal named, with its fix."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    if "dubious ownership" in text:
        return (f"{where}: git refuses this repository because another user owns it "
                f"(dubious ownership); if you trust it: "
                f"git config --global --add safe.directory {where}")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    last = lines[-1] if lines else "git failed"
    for prefix in ("fatal: ", "error: "):
        last = last.removeprefix(prefix)
    return f"{where}: {last}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def display(raw: bytes) -> str:
    """A git path as text that is always valid: bytes that are not UTF-8, and control
    characters, become ``\\xNN`` (so reports, SQLite, SARIF and HTML never see surrogates,
    and a terminal never sees an escape sequence)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "backslashreplace")
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def feed_lines(pipe: IO[bytes] | None, lines: list[str]) -> None:
    if pipe is None:
        return
    try:
        for line in lines:
            pipe.write(line.encode() + b"\n")
        pipe.close()
    except (BrokenPipeError, OSError):
        pass


def finish(proc: subprocess.Popen, kill: bool = False) -> None:
    for pipe in (proc.stdin,):
        try:
            if pipe:
                pipe.close()
        except OSError:
            pass
    if kill and proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe:
            pipe.close()


def config_get(config: Path, key: str) -> str | None:
    if not config.is_file():
        return None
    try:
        done = subprocess.run(["git", "config", "--file", str(config), "--no-includes",
                               "--get", key], env=environment(), cwd=tempfile.gettempdir(),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace").strip() or None if done.returncode == 0 else None


def file_url_path(url: str) -> Path | None:
    """The local path of a ``file://`` URL, else None."""
    if not url.lower().startswith("file://"):
        return None
    parsed = urlparse(url)
    return Path(unquote(parsed.path))


def local_path_of(url: str) -> Path:
    """A ``file://`` URL's repository in place: a missing one is reported as missing."""
    path = file_url_path(url)
    assert path is not None
    if not path.exists():
        raise SourceError(f"{url}: no such repository ({path} does not exist)")
    return path


def clone(url: str, dest: Path, timeout: float = CLONE_TIMEOUT) -> None:
    """A bare clone of ``url`` into ``dest``: allowed transports only, no submodules, no hooks,
    no prompt, no system or global config (so no credential helper, no insteadOf)."""
    if url.startswith("-"):
        raise SourceError(f"{url!r}: a location may not start with '-'")
    args = ["git", *OPTIONS, "-c", "protocol.allow=never", "clone", "--bare", "--quiet",
            "--no-recurse-submodules", "--template=", "--", url, str(dest)]
    _remote_git(args, url, "cannot clone", timeout)


def ls_remote(url: str, ref: str, timeout: float = 300) -> dict[str, str]:
    """``git ls-remote URL REF`` as {ref name: object id}; nothing cloned."""
    args = ["git", *OPTIONS, "-c", "protocol.allow=never", "ls-remote", "--", url, ref]
    out = _remote_git(args, url, "cannot list its refs", timeout)
    refs: dict[str, str] = {}
    for line in out.decode("utf-8", "replace").splitlines():
        commit, _, name = line.partition("\t")
        refs[name] = commit
    return refs


def _remote_git(args: list[str], url: str, what: str, timeout: float) -> bytes:
    try:
        # cwd: an empty directory, so no repository around the user's cwd is discovered
        with tempfile.TemporaryDirectory(prefix="attrib-cwd-") as cwd:
            done = subprocess.run(args, env=environment(clone=True), cwd=cwd,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SourceError(f"{url}: {what} (no answer in {timeout:.0f} s)") from None
    except OSError as exc:
        raise SourceError(f"{url}: {what} ({exc.strerror})") from None
    if done.returncode:
        reason = failure(done.stderr, url).removeprefix(f"{url}: ")
        raise SourceError(f"{url}: {what} ({reason})")
    return done.stdout
