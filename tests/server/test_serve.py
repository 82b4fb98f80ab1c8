"""`python cli.py serve` migrates an empty database and serves the API for real.

The tests share the module's server, except those that stop one or start one
with other settings.
"""

import re
import signal
import socket
import sqlite3

import pytest
import requests

from chatapp.server.background import YOUNG_COLLECTION_THRESHOLD
from tests.helpers.server import ServerProcess, server_env
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

SERVER_SETTINGS = {"CHATAPP_ENV": "development"}


def test_serve_migrates_and_answers(server):
    tables = {
        row[0]
        for row in sqlite3.connect(server.database).execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert {"users", "rooms", "messages", "memberships", "alembic_version"} <= tables
    http = requests.Session()
    body = {"username": "alice", "password": "correct horse"}
    assert http.post(server.url + "/api/auth/register", json=body, timeout=5).status_code == 201
    token = http.post(server.url + "/api/auth/login", json=body, timeout=5).json()["token"]
    me = requests.get(
        server.url + "/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert me.json()["user"]["username"] == "alice"


def test_serve_runs_the_eventlet_socket_driver(server):
    # Flask-SocketIO quietly picks its threading driver under any Flask CLI
    # command, serve included; serve must override that (and refuses otherwise).
    log = server.log_path.read_text()
    assert "(eventlet)" in log, log[-2000:]


def test_serve_freezes_its_startup_objects(server):
    # Full GC passes over them stalled the hub for ~100 ms each, and came
    # again and again while connections arrived (docs/benchmarks.md).
    frozen = re.search(r"(\d+) objects frozen for the GC", server.log_path.read_text())
    assert frozen and int(frozen.group(1)) > 10_000
    young = re.search(r"young collections every (\d+) allocations", server.log_path.read_text())
    assert young and int(young.group(1)) == YOUNG_COLLECTION_THRESHOLD != 700  # CPython's default


def test_serve_exits_cleanly_on_sigterm_even_with_clients_connected(serve):
    from tests.helpers.realtime import ChatClient, login

    server = serve(**SERVER_SETTINGS)  # its own: this test stops it
    client = ChatClient(server.url, login(server.url, "stayer")).connect()
    client.call("join", {"room": "general", "create": True})
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(15) == 0  # not held open by the websocket
    wait_for(lambda: not client.sio.connected, 10, 0.05, "the client to be disconnected")
    client.close()


def test_production_mode_refuses_a_missing_secret_key(tmp_path):
    proc = ServerProcess(
        {
            "CHATAPP_ENV": "production",
            "SECRET_KEY": "",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
        log_path=tmp_path / "server.log",
    )
    with pytest.raises(AssertionError, match="exited"):
        proc.start(timeout=20)
    assert "SECRET_KEY" in (tmp_path / "server.log").read_text()


def _connects(server, origin):
    import socketio

    from tests.helpers.realtime import login

    token = login(server.url, "origin-user")
    # websocket-client sends its own Origin header; its `origin` option sets it.
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    try:
        client.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return False
    client.disconnect()
    return True


def test_websocket_from_a_foreign_origin_is_refused(server):
    assert _connects(server, server.url)  # same origin
    assert not _connects(server, "http://evil.example")
    assert not _connects(server, "null")


def test_configured_origins_are_allowed_and_nothing_else(tmp_path):
    env = server_env(
        f"sqlite:///{tmp_path / 'cors.db'}",
        CORS_ORIGINS="https://chat.example.com, https://ops.example.com",
    )
    proc = ServerProcess(env, log_path=tmp_path / "server.log").start()
    try:
        assert _connects(proc, "https://chat.example.com")
        assert _connects(proc, "https://ops.example.com")
        assert not _connects(proc, "https://evil.example.com")
    finally:
        proc.stop()


def test_accepted_connections_do_not_wait_for_nagle():
    from chatapp.server.serve import no_delay

    with socket.socket() as listener:
        no_delay(listener).bind(("127.0.0.1", 0))
        listener.listen(1)
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_serve_does_not_greet_users_with_eventlets_deprecation_notice(server):
    log = server.log_path.read_text()
    assert log.splitlines()[0].startswith("chatapp listening on http://127.0.0.1:")
    assert "Eventlet is deprecated" not in log
    assert "maintained upstream in bugfix mode only" in log  # one line, on purpose
