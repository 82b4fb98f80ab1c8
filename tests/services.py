"""Reaching the real PostgreSQL, Redis and NATS servers the tests need.

Outside CI a missing service skips its tests; under CI=true it fails them,
because `.ci/run` starts every service first and a skip would hide a gap.
"""

from __future__ import annotations

import os
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require(service: str, reachable: bool) -> None:
    """Skip (or, under CI, fail) when `service` cannot be reached."""
    if reachable:
        return
    message = f"{service} is not reachable; start it (see README, 'Running the tests')"
    if IN_CI:
        pytest.fail(message + " -- under CI every service must be up", pytrace=False)
    pytest.skip(message)
