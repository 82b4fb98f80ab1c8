"""An ended login ends its sockets on every server process at once (through Redis)."""

import os
import subprocess
import sys

import pytest
import requests

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ROOT
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

# Long enough that only an announcement can explain a socket ending within seconds.
SERVER_SETTINGS = {
    "LOGIN_RECHECK_SECONDS": "600",
    "PRESENCE_REFRESH": "600",
    "PRESENCE_TTL": "1200",
}


def told_and_cut(client: ChatClient) -> None:
    event = client.wait_for("unauthorized", lambda e: True, timeout=10)
    assert event["code"] == "unauthorized"
    wait_for(lambda: not client.sio.connected, 10, 0.05, "the socket to be cut")


def test_a_logout_on_another_process_ends_the_socket_at_once(servers):
    a, b = servers
    token = login(a.url, "roamer")
    alice = ChatClient(a.url, token).connect()
    assert alice.call("join", {"room": "general", "create": True})["ok"]
    out = requests.post(
        b.url + "/api/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert out.status_code == 200
    told_and_cut(alice)
    alice.close()


def test_an_admin_disable_from_the_cli_ends_the_socket_at_once(servers, pair_env):
    a, _ = servers
    bob = ChatClient(a.url, login(a.url, "troublemaker")).connect()
    other = ChatClient(a.url, login(a.url, "bystander")).connect()
    disable = subprocess.run(
        [sys.executable, "cli.py", "users", "disable", "troublemaker"],
        cwd=ROOT,
        env={**os.environ, **pair_env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert disable.returncode == 0, disable.stderr
    told_and_cut(bob)
    assert other.sio.connected and other.received("unauthorized") == []
    bob.close()
    other.close()
