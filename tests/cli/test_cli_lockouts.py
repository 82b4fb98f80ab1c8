"""`cli.py users set-password | unlock` end a lockout in a running server (another process)."""

import pytest
import requests

from tests.helpers.services import RedisServer

pytestmark = pytest.mark.slow

ALICE = {"username": "alice", "password": "correct horse"}
WRONG = {"username": "alice", "password": "wrong guess"}


def log_in(server, body=ALICE):
    return requests.post(f"{server.url}/api/auth/login", json=body, timeout=10)


def test_set_password_ends_a_lockout_in_the_running_server(locked_out):
    """No shared storage needed: the failure counts were kept under the old hash."""
    server, cli = locked_out()
    result = cli("set-password", "alice", "--password", "new password 1")
    assert result.exit_code == 0, result.output
    assert log_in(server, {"username": "alice", "password": "new password 1"}).status_code == 200


def test_unlock_reaches_the_running_server_through_redis(locked_out, tmp_path):
    redis_server = RedisServer(tmp_path).start()
    try:
        server, cli = locked_out(REDIS_URL=redis_server.url)
        result = cli("unlock", "ALICE")
        assert result.exit_code == 0, result.output
        assert "Unlocked alice" in result.output
        assert log_in(server).status_code == 200
        # A fresh budget, still enforced.
        for _ in range(2):
            wrong = requests.post(f"{server.url}/api/auth/login", json=WRONG, timeout=10)
            assert wrong.status_code == 401
        assert log_in(server).status_code == 429
    finally:
        redis_server.stop()
