"""PostgreSQL closes the pool's connections: the next event and request succeed, no pre-ping."""

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from chatapp import dead_connections
from tests.helpers.services import database_backends
from tests.helpers.sockets import ack
from tests.helpers.wait import wait_for

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in database_backends(), reason="PostgreSQL's connections only"
    ),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

# This test's database only (each run creates its own), never another's sessions.
OTHERS = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


def counted(name):
    return REGISTRY.get_sample_value(name) or 0.0


def terminate_the_pool(admin):
    """End every server process of the app's pool, as a PostgreSQL restart would."""
    assert admin.execute(sa.text(f"SELECT count(*) {OTHERS}")).scalar() > 0
    admin.execute(sa.text(f"SELECT pg_terminate_backend(pid) {OTHERS}"))
    # Gone from pg_stat_activity: each has written its FATAL notice and exited.
    wait_for(
        lambda: admin.execute(sa.text(f"SELECT count(*) {OTHERS}")).scalar() == 0,
        10,
        message="the backends to exit",
    )


def test_a_socket_and_a_request_after_the_server_closed_the_pool_succeed(
    app, connect, admin, monkeypatch
):
    # Found by what the server sent, not by the idle ping (however slow this machine).
    monkeypatch.setattr(dead_connections, "PING_AFTER_IDLE", 3600)
    alice = connect("alice")
    assert ack(alice, "join", {"room": "general", "create": True})["ok"]
    assert ack(alice, "send", {"room": "general", "text": "before"})["ok"]
    replaced = counted("chatapp_db_connections_replaced_total")

    terminate_the_pool(admin)
    reply = ack(alice, "history", {"room": "general"})
    assert reply["ok"], reply  # not `unavailable`
    assert [m["text"] for m in reply["messages"]] == ["before"]
    assert counted("chatapp_db_connections_replaced_total") > replaced

    terminate_the_pool(admin)
    response = alice.http.get("/api/rooms/general/messages")
    assert response.status_code == 200, response.get_json()
    assert [m["text"] for m in response.get_json()["messages"]] == ["before"]

    # A connect reads on connections of its own mode (database.autocommit_reads).
    terminate_the_pool(admin)
    again = connect("alice", token=True)
    assert again.is_connected()
    assert [room["name"] for room in again.rooms_told] == ["general"]


def test_a_busy_connection_is_not_pinged_at_checkout(app, connect, monkeypatch):
    alice = connect("alice")
    assert ack(alice, "join", {"room": "general", "create": True})["ok"]
    monkeypatch.setattr(dead_connections, "PING_AFTER_IDLE", 3600)
    pings = counted("chatapp_db_pings_total")
    for n in range(10):
        assert ack(alice, "send", {"room": "general", "text": f"m{n}"})["ok"]
    assert counted("chatapp_db_pings_total") == pings

    # The comparison: connections idle longer than PING_AFTER_IDLE are pinged.
    monkeypatch.setattr(dead_connections, "PING_AFTER_IDLE", 0)
    for _ in range(3):
        assert ack(alice, "history", {"room": "general"})["ok"]
    assert counted("chatapp_db_pings_total") >= pings + 3
