"""An ended login ends its sockets on every server process at once (through Redis)."""

import os
import subprocess
import sys

import pytest
import requests

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ROOT, ServerProcess, server_env
from tests.helpers.services import RedisServer, create_postgres_database
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

# Long enough that only an announcement can explain a socket ending within seconds.
SLOW_CHECKS = {"LOGIN_RECHECK_SECONDS": "600", "PRESENCE_REFRESH": "600", "PRESENCE_TTL": "1200"}


@pytest.fixture(scope="module")
def backing(tmp_path_factory):
    redis_server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    url, drop = create_postgres_database()
    yield redis_server, url
    redis_server.stop()
    drop()


@pytest.fixture(scope="module")
def env(backing):
    redis_server, database_url = backing
    return server_env(database_url, REDIS_URL=redis_server.url, **SLOW_CHECKS)


@pytest.fixture(scope="module")
def servers(env, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("revocations")
    a = ServerProcess(env, log_path=tmp / "a.log").start()
    b = ServerProcess(env, log_path=tmp / "b.log").start()
    yield a, b
    for server in (a, b):
        server.stop()


def told_and_cut(client: ChatClient) -> None:
    event = client.wait_for("unauthorized", lambda e: True, timeout=10)
    assert event["code"] == "unauthorized"
    wait_for(lambda: not client.sio.connected, 10, 0.05, "the socket to be cut")


def test_a_logout_on_another_process_ends_the_socket_at_once(servers):
    a, b = servers
    token = login(a.url, "roamer")
    alice = ChatClient(a.url, token).connect()
    assert alice.call("join", {"room": "general"})["ok"]
    out = requests.post(
        b.url + "/api/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert out.status_code == 200
    told_and_cut(alice)
    alice.close()


def test_an_admin_disable_from_the_cli_ends_the_socket_at_once(servers, env):
    a, _ = servers
    bob = ChatClient(a.url, login(a.url, "troublemaker")).connect()
    other = ChatClient(a.url, login(a.url, "bystander")).connect()
    disable = subprocess.run(
        [sys.executable, "cli.py", "users", "disable", "troublemaker"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert disable.returncode == 0, disable.stderr
    told_and_cut(bob)
    assert other.sio.connected and other.received("unauthorized") == []
    bob.close()
    other.close()
