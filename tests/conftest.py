# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: a real ``redis-server``, and a fresh index location per backend."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Iterator

import pytest

REQUIRE_REDIS = "ATTRIB_REQUIRE_REDIS"  # CI sets it: a missing redis-server fails, never skips
DATABASES = 16  # redis-server's default; tests take them in turn and flush each before use


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_ping(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {proc.returncode}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer PING within {timeout:.0f} s")
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real ``redis-server`` on a free loopback port, for the whole session."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get(REQUIRE_REDIS):
            pytest.fail(f"redis-server is not on PATH and {REQUIRE_REDIS} is set")
        pytest.skip("redis-server is not on PATH")
    port = _free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--databases", str(DATABASES)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_ping(port, proc)
        yield RedisServer("127.0.0.1", port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_next_db = count()


def fresh_redis_location(server: RedisServer) -> str:
    """A flushed database of ``server``, a different one than the previous test's."""
    import redis

    db = next(_next_db) % DATABASES
    client = redis.Redis(host=server.host, port=server.port, db=db)
    try:
        client.flushdb()
    finally:
        client.close()
    return server.url(db)


@pytest.fixture(params=["sqlite", "redis"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A location where no index exists yet, for each index backend."""
    if request.param == "sqlite":
        return str(tmp_path / "index.sqlite")
    return fresh_redis_location(request.getfixturevalue("redis_server"))
