"""Read state across two real server processes: shared by a user's sessions, never
moving backwards, and kept through a restart of both processes (issue 13)."""

import pytest

from tests.helpers.team import RELAXED_LIMITS, api, bare, unique

pytestmark = pytest.mark.slow

SERVER_SETTINGS = RELAXED_LIMITS


def state(server, token, room):
    """(last_read_seq, seq, unread) of `room` in GET /api/me/rooms."""
    rooms = api(server, token, "get", "/api/me/rooms").json()["rooms"]
    [found] = [r for r in rooms if r["name"] == room]
    return found["last_read_seq"], found["seq"], found["unread"]


def unread_by_command(client, room):
    rooms = client.call("send", {"room": room, "text": "#rooms 100"})["result"]["rooms"]
    return next(r["unread"] for r in rooms if r["name"] == room)


def test_read_state_is_shared_monotonic_and_survives_a_restart(fresh_servers, clients):
    a, b = fresh_servers
    room = unique("r")
    alice = clients(a, unique("alice"))
    bob_a = clients(a, unique("bob"))
    assert alice.call("create", {"room": room})["ok"]
    assert bob_a.call("join", {"room": room})["ok"]
    bob_b = clients(b, None, token=bob_a.token)
    for n in range(5):
        assert alice.call("send", {"room": room, "text": f"m{n}"})["ok"]
    bob_b.wait_for("message", lambda m: m["seq"] == 5)
    assert state(b, bob_b.token, room) == (0, 5, 5)

    reply = bob_a.call("read", {"room": room, "seq": 3})
    assert bare(reply) == {"ok": True, "room": room, "last_read_seq": 3}
    assert bob_b.wait_for("read", bool) == {"room": room, "last_read_seq": 3}
    assert state(b, bob_b.token, room) == state(a, bob_a.token, room) == (3, 5, 2)
    assert [r["unread"] for r in bob_b.call("my_rooms", {})["rooms"] if r["name"] == room] == [2]

    # Backwards is a no-op, and tells no one; past the end counts as the newest message.
    assert bob_b.call("read", {"room": room, "seq": 1})["last_read_seq"] == 3
    assert bob_b.call("read", {"room": room, "seq": 4})["last_read_seq"] == 4
    bob_a.wait_for("read", lambda e: e["last_read_seq"] == 4)
    assert [e["last_read_seq"] for e in bob_a.received("read")] == [4]
    assert [e["last_read_seq"] for e in bob_b.received("read")] == [3]
    # bob's own message is not unread to him; alice's next one is.
    assert bob_b.call("send", {"room": room, "text": "mine"})["ok"]
    assert state(a, bob_a.token, room) == (4, 6, 1)
    assert alice.call("send", {"room": room, "text": "m5"})["ok"]
    assert unread_by_command(bob_a, room) == 2

    for server in (a, b):
        server.stop()
    for server in (a, b):
        server.start()
    again = clients(b, None, token=bob_a.token)
    [listed] = [r for r in again.wait_for("rooms", bool)["rooms"] if r["name"] == room]
    assert (listed["last_read_seq"], listed["seq"], listed["unread"]) == (4, 7, 2)
    assert state(a, bob_a.token, room) == (4, 7, 2)
    assert again.call("read", {"room": room, "seq": 2})["last_read_seq"] == 4
    assert again.call("read", {"room": room, "seq": 10**6})["last_read_seq"] == 7
    assert state(a, bob_a.token, room) == (7, 7, 0)
    assert unread_by_command(again, room) == 0
