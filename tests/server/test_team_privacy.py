"""A non-member cannot learn that a private room or a direct conversation exists.

Two real server processes on one PostgreSQL and one Redis. Every question an
outsider can ask about a hidden room is asked again about a name nobody uses,
on both processes, and the answers must be the same bytes once the name and
the trace id are taken out (issue 13, "Security and correctness").
"""

import json

import pytest

from tests.helpers.team import api, bare, unique

pytestmark = pytest.mark.slow

SERVER_SETTINGS = {
    "RATELIMIT_MESSAGES": "1000 per 10 seconds",
    "RATELIMIT_JOINS": "1000 per minute",
    "RATELIMIT_HISTORY": "100000 per minute",
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
    "RATELIMIT_LOGIN_ADDRESS": "1000 per 15 minutes",
}


def socket_probes(room, owner, other):
    """(event, payload) for everything a socket can ask of `room`."""
    return [
        ("join", {"room": room}),
        ("history", {"room": room}),
        ("history", {"room": room, "after_seq": 0}),
        ("send", {"room": room, "text": "hello?"}),
        ("send", {"room": room, "text": "#users"}),
        ("send", {"room": room, "text": "#members"}),
        ("send", {"room": room, "text": "#history 5"}),
        ("invite", {"room": room, "user": other}),
        ("kick", {"room": room, "user": owner}),
        ("ban", {"room": room, "user": owner, "reason": "x"}),
        ("unban", {"room": room, "user": owner}),
        ("set_role", {"room": room, "user": owner, "role": "member"}),
        ("update_room", {"room": room, "topic": "mine now"}),
        ("update_room", {"room": room, "private": False}),
        ("delete_room", {"room": room}),
        ("read", {"room": room, "seq": 1}),
        ("leave", {"room": room}),
    ]


def rest_probes(room, owner, other):
    """(method, path, json body or None) for everything REST can ask of `room`."""
    return [
        ("get", f"/api/rooms/{room}", None),
        ("get", f"/api/rooms/{room}/members", None),
        ("get", f"/api/rooms/{room}/messages", None),
        ("get", f"/api/rooms/{room}/messages?after_seq=0", None),
        ("post", f"/api/rooms/{room}/messages", {"text": "hello?"}),
        ("post", f"/api/rooms/{room}/messages", {"text": "#users"}),
        ("post", f"/api/rooms/{room}/join", None),
        ("post", f"/api/rooms/{room}/join", {"create": False}),
        ("post", f"/api/rooms/{room}/leave", None),
        ("post", f"/api/rooms/{room}/read", {"seq": 1}),
        ("patch", f"/api/rooms/{room}", {"topic": "mine now"}),
        ("delete", f"/api/rooms/{room}", None),
        ("post", f"/api/rooms/{room}/members/{other}", None),
        ("delete", f"/api/rooms/{room}/members/{owner}", {"reason": "x"}),
        ("post", f"/api/rooms/{room}/bans/{owner}", None),
        ("delete", f"/api/rooms/{room}/bans/{owner}", None),
        ("put", f"/api/rooms/{room}/members/{owner}/role", {"role": "member"}),
    ]


def answers(client, server, token, room, owner, other):
    """Every answer about `room`, as text with the room's name replaced by ROOM."""
    seen = []
    for event, data in socket_probes(room, owner, other):
        ack = client.call(event, data)
        assert not ack["ok"], (event, ack)
        seen.append((event, json.dumps(bare(ack)).replace(room, "ROOM")))
    for method, path, body in rest_probes(room, owner, other):
        response = api(server, token, method, path, json=body)
        text = response.content.decode().replace(room, "ROOM")
        seen.append(
            (
                path.replace(room, "ROOM"),
                response.status_code,
                response.headers["Content-Type"],
                text,
            )
        )
    return seen


def listed(client, server, token, in_room):
    """Room names `#rooms` and GET /api/rooms show the user."""
    command = client.call("send", {"room": in_room, "text": "#rooms 100"})
    by_command = {r["name"] for r in command["result"]["rooms"]}
    by_rest = {r["name"] for r in api(server, token, "get", "/api/rooms?limit=100").json()["rooms"]}
    return by_command, by_rest


@pytest.fixture
def outsider(servers, clients):
    """carol, in a public room of her own, with a socket on each process: (carol, token, room)."""
    a, b = servers
    name = unique("carol")
    on_a = clients(a, name)
    on_b = clients(b, None, token=on_a.token)
    room = unique("c")
    assert on_a.call("create", {"room": room})["ok"]
    return name, on_a, on_b, room


def test_a_private_room_answers_outsiders_exactly_as_a_missing_one(servers, clients, outsider):
    a, b = servers
    alice_name, dave_name = unique("alice"), unique("dave")
    alice, _ = clients(a, alice_name), clients(b, dave_name)
    hidden, missing = unique("p"), unique("p")
    assert alice.call("create", {"room": hidden, "private": True, "topic": "plans"})["ok"]
    assert alice.call("send", {"room": hidden, "text": "secret"})["ok"]
    carol_name, carol_a, carol_b, own = outsider
    for server, carol in ((a, carol_a), (b, carol_b)):
        hidden_answers = answers(carol, server, carol.token, hidden, alice_name, dave_name)
        missing_answers = answers(carol, server, carol.token, missing, alice_name, dave_name)
        assert hidden_answers == missing_answers
        for answer in hidden_answers:
            assert "not_found" in answer[-1], answer
        assert hidden not in set().union(*listed(carol, server, carol.token, own))
    # Members see it, so the listings above could have shown it.
    assert all(hidden in names for names in listed(alice, a, alice.token, hidden))
    # Nothing carol received mentions the room, nor was anything changed by her tries.
    assert hidden not in json.dumps([carol_a.events, carol_b.events])
    info = alice.call("join", {"room": hidden})
    assert info["room_info"]["topic"] == "plans" and info["room_info"]["private"] is True
    assert [m["text"] for m in info["history"]] == ["secret"]
    members = alice.call("send", {"room": hidden, "text": "#members"})["result"]["members"]
    assert [m["user"] for m in members] == [alice_name]


def test_a_direct_conversation_answers_a_third_user_as_a_missing_one(servers, clients, outsider):
    a, b = servers
    alice_name, bob_name = unique("alice"), unique("bob")
    alice, bob = clients(a, alice_name), clients(b, bob_name)
    opened = alice.call("direct", {"user": bob_name})
    assert opened["ok"] and opened["room"]["kind"] == "direct"
    direct = opened["room"]["name"]
    assert alice.call("send", {"room": direct, "text": "just us"})["ok"]
    bob.wait_for("message", lambda m: m["room"] == direct)
    carol_name, carol_a, carol_b, own = outsider
    carol_id = api(a, carol_a.token, "get", "/api/auth/me").json()["user"]["id"]
    # Two names no conversation has: ids nobody has, and carol's own id with another.
    for missing in (f"~{10**12}-{10**12 + 1}", f"~{carol_id}-{10**12}"):
        for server, carol in ((a, carol_a), (b, carol_b)):
            seen = answers(carol, server, carol.token, direct, alice_name, bob_name)
            assert seen == answers(carol, server, carol.token, missing, alice_name, bob_name)
            # Creating is refused for both alike: no one may name a room like that.
            tries = [
                carol.call("join", {"room": name, "create": True}) for name in (direct, missing)
            ]
            assert tries[0]["error"] == tries[1]["error"]
            assert tries[0]["error"]["code"] == "bad_request"
    for server, carol in ((a, carol_a), (b, carol_b)):
        assert direct not in set().union(*listed(carol, server, carol.token, own))
    assert all(direct in names for names in listed(alice, a, alice.token, direct))
    assert direct not in json.dumps([carol_a.events, carol_b.events])


def test_a_former_member_learns_no_more_than_an_outsider(servers, clients, outsider):
    a, b = servers
    alice_name, eve_name = unique("alice"), unique("eve")
    alice, _ = clients(a, alice_name), clients(b, eve_name)
    hidden, missing = unique("p"), unique("p")
    carol_name, carol_a, carol_b, own = outsider
    assert alice.call("create", {"room": hidden, "private": True})["ok"]
    assert alice.call("invite", {"room": hidden, "user": carol_name})["ok"]
    carol_b.wait_for("room_added", lambda e: e["room"]["name"] == hidden)
    assert alice.call("kick", {"room": hidden, "user": carol_name})["ok"]
    carol_b.wait_for("removed", lambda e: e["room"] == hidden)
    assert alice.call("send", {"room": hidden, "text": "after carol"})["ok"]
    for server, carol in ((a, carol_a), (b, carol_b)):
        seen = answers(carol, server, carol.token, hidden, alice_name, eve_name)
        assert seen == answers(carol, server, carol.token, missing, alice_name, eve_name)
        assert hidden not in set().union(*listed(carol, server, carol.token, own))
