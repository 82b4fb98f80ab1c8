"""Two real server processes sharing Redis and PostgreSQL, with real clients.

The tests share the module's pair of servers, each with users and rooms of
its own; the two that kill a process start a pair of their own.
"""

import uuid

import pytest
import requests

from tests.helpers.realtime import login

pytestmark = pytest.mark.slow

TTL, REFRESH = 6, 2  # shortened so the crash test runs in seconds, not a minute

SERVER_SETTINGS = {
    "PRESENCE_TTL": str(TTL),
    "PRESENCE_REFRESH": str(REFRESH),
    "RATELIMIT_MESSAGES": "1000 per 10 seconds",
    "RATELIMIT_JOINS": "5 per minute",
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
}


def name(base):
    return f"{base}{uuid.uuid4().hex[:6]}"


def online(server, room, token):
    rooms = requests.get(
        f"{server.url}/api/rooms?limit=100",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ).json()["rooms"]
    return next(r["online"] for r in rooms if r["name"] == room)


def test_clients_of_two_processes_chat_and_share_presence(servers, clients):
    a, b = servers
    room = name("r")
    alice_name, bob_name = name("alice"), name("bob")
    alice, bob = clients(a, alice_name), clients(b, bob_name)
    assert alice.call("join", {"room": room, "create": True})["online"] == 1
    joined = bob.call("join", {"room": room, "create": True})
    assert joined["online"] == 2  # bob's process sees alice, who is on the other one
    assert joined["users"] == sorted([alice_name, bob_name])
    alice.wait_for("presence", lambda e: e["event"] == "join" and e["online"] == 2)
    sent = bob.call("send", {"room": room, "text": "across processes", "client_id": "x1"})
    assert sent["ok"]
    assert alice.wait_for("message", lambda m: m["id"] == sent["message"]["id"]) == sent["message"]
    assert bob.wait_for("message", lambda m: m["id"] == sent["message"]["id"]) == sent["message"]
    assert online(a, room, alice.token) == online(b, room, bob.token) == 2


def test_a_killed_process_sessions_vanish_within_60_seconds(fresh_servers, clients):
    a, b = fresh_servers
    room = name("r")
    alice = clients(a, name("alice"))
    carol_name = name("carol")
    carol = clients(b, carol_name)
    alice.call("join", {"room": room, "create": True})
    assert carol.call("join", {"room": room, "create": True})["online"] == 2
    b.kill()  # SIGKILL: no disconnect handler runs, nothing is cleaned up
    left = alice.wait_for(
        "presence", lambda e: e["event"] == "leave" and e["user"] == carol_name, timeout=60
    )
    assert left["online"] == 1
    assert online(a, room, alice.token) == 1


def test_reconnecting_client_resumes_with_no_gap_and_no_duplicate(fresh_servers, clients):
    a, b = fresh_servers
    room = name("r")
    alice = clients(a, name("alice"))
    bob_token = login(b.url, name("bob"))
    bob = clients(b, None, token=bob_token)
    alice.call("join", {"room": room, "create": True})
    bob.call("join", {"room": room, "create": True})
    for n in range(3):
        alice.call("send", {"room": room, "text": f"live {n}"})
    bob.wait_for("message", lambda m: m["seq"] == 3)
    b.kill()
    for n in range(3):  # sent while bob is away: stored, but never delivered to him
        assert alice.call("send", {"room": room, "text": f"missed {n}"})["ok"]
    seen = [m["seq"] for m in bob.received("message")]
    again = clients(a, None, token=bob_token)  # the client reconnects to the surviving process
    rejoin = again.call("join", {"room": room, "create": True})
    resumed = again.call("history", {"room": room, "after_seq": max(seen)})
    assert resumed["ok"] and rejoin["seq"] == 6
    everything = seen + [m["seq"] for m in resumed["messages"]]
    assert everything == [1, 2, 3, 4, 5, 6]
    assert [m["text"] for m in resumed["messages"]] == ["missed 0", "missed 1", "missed 2"]


def test_rate_limits_are_shared_between_processes(servers, clients):
    a, b = servers
    user = name("limited")
    token = login(a.url, user)
    on_a, on_b = clients(a, None, token=token), clients(b, None, token=token)
    replies = [
        (on_a if n % 2 else on_b).call("join", {"room": f"j{n}", "create": True}) for n in range(6)
    ]
    assert [r["ok"] for r in replies] == [True] * 5 + [False]
    assert replies[-1]["error"]["code"] == "rate_limited"


def test_connect_without_credentials_is_refused_with_the_error_shape(servers):
    import socketio

    a, _ = servers
    client = socketio.Client(reconnection=False)
    errors = []
    client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(a.url, auth={"token": "nope"}, transports=["websocket"], wait_timeout=5)
    # socket.io clients get err.message and err.data; data has the one error shape.
    [error] = errors
    assert error["data"]["code"] == "unauthorized"
    assert error["data"]["message"] == error["message"]
