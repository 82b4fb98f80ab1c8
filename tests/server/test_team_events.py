"""Team chat on NATS: two real server processes (PostgreSQL, Redis) relaying to a real
nats-server. Membership and room changes have subjects of their own, and every
room event says whether its room is private (issue 13)."""

import pytest

from tests.helpers.server import server_env
from tests.helpers.services import NatsServer
from tests.helpers.stream import read_stream
from tests.helpers.team import unique
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

SERVER_SETTINGS = {
    "NATS_RECONNECT_WAIT": "0.5",
    "RATELIMIT_MESSAGES": "1000 per 10 seconds",
    "RATELIMIT_JOINS": "1000 per minute",
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
    "RATELIMIT_LOGIN_ADDRESS": "1000 per 15 minutes",
}


@pytest.fixture(scope="module")
def nats(tmp_path_factory):
    server = NatsServer(tmp_path_factory.mktemp("nats")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pair_env(backing, nats):
    """The module's processes publish to its nats-server (see tests/server/conftest.py)."""
    redis_server, database_url = backing
    return server_env(
        database_url, REDIS_URL=redis_server.url, NATS_URL=nats.url, **SERVER_SETTINGS
    )


def room_events(nats, room, count):
    """The first `count` events on chat.room.<room>.*, in stream order: (kind, event)."""
    prefix = f"chat.room.{room}."

    def enough():
        found = [
            (subject.removeprefix(prefix), event)
            for subject, event in read_stream(nats.url)
            if subject.startswith(prefix)
        ]
        return found if len(found) >= count else None

    return wait_for(enough, 60, 0.25, f"{count} events of #{room}")[:count]


def test_a_private_rooms_life_on_nats(servers, clients, nats):
    a, b = servers
    names = {who: unique(who) for who in ("alice", "bob", "carol")}
    alice, bob = clients(a, names["alice"]), clients(b, names["bob"])
    clients(a, names["carol"])
    alice_name, bob_name, carol = names["alice"], names["bob"], names["carol"]
    room = unique("p")
    steps = [
        (alice, "create", {"room": room, "private": True, "topic": "plans"}),
        (alice, "invite", {"room": room, "user": bob_name}),
        (alice, "set_role", {"room": room, "user": bob_name, "role": "moderator"}),
        (bob, "update_room", {"room": room, "topic": "new plans"}),
        (bob, "send", {"room": room, "text": "private words"}),
        (alice, "invite", {"room": room, "user": carol}),
        (bob, "kick", {"room": room, "user": carol, "reason": "oops"}),
        (bob, "ban", {"room": room, "user": carol}),
        (alice, "unban", {"room": room, "user": carol}),
        (alice, "join", {"room": room}),  # presence: alice's session is online in it
        (bob, "leave", {"room": room}),
        (alice, "delete_room", {"room": room}),
    ]
    for client, event, data in steps:
        assert client.call(event, data)["ok"], (event, data)
    expected = [
        ("updated", "room.created", None),
        ("member", "member.joined", {"user": alice_name, "event": "joined", "by": alice_name}),
        ("member", "member.added", {"user": bob_name, "event": "added", "by": alice_name}),
        ("member", "member.role", {"user": bob_name, "role": "moderator", "by": alice_name}),
        ("updated", "room.updated", {"by": bob_name}),
        ("message", "message.created", {"user": bob_name, "text": "private words", "seq": 1}),
        ("member", "member.added", {"user": carol, "by": alice_name}),
        ("member", "member.removed", {"user": carol, "by": bob_name}),
        ("member", "member.banned", {"user": carol, "by": bob_name}),
        ("member", "member.unbanned", {"user": carol, "by": alice_name}),
        ("presence", "presence.changed", {"user": alice_name, "event": "join"}),
        ("member", "member.left", {"user": bob_name, "by": bob_name}),
        ("updated", "room.deleted", {"room": room, "by": alice_name}),
        # The deletion ends alice's presence too: the room is gone, still private.
        ("presence", "presence.changed", {"user": alice_name, "event": "leave"}),
    ]
    events = room_events(nats, room, len(expected))
    assert [(kind, event["type"]) for kind, event in events] == [e[:2] for e in expected]
    for (_, event), (_, _, data) in zip(events, expected, strict=True):
        assert event["private"] is True, event
        assert data is None or data.items() <= event["data"].items(), (data, event)
    created, updated = events[0][1]["data"]["room"], events[4][1]["data"]["room"]
    assert (created["topic"], updated["topic"]) == ("plans", "new plans")
    assert created["private"] is updated["private"] is True


def test_public_rooms_and_direct_conversations_say_which_they_are(servers, clients, nats):
    a, b = servers
    alice_name, bob_name = unique("alice"), unique("bob")
    alice, bob = clients(a, alice_name), clients(b, bob_name)
    public = unique("r")
    assert alice.call("join", {"room": public, "create": True})["ok"]
    assert bob.call("send", {"room": public, "text": "hello"})["ok"] is False  # not a member
    assert bob.call("join", {"room": public})["ok"]
    assert bob.call("send", {"room": public, "text": "hello"})["ok"]
    direct = bob.call("direct", {"user": alice_name})["room"]["name"]
    assert alice.call("send", {"room": direct, "text": "psst"})["ok"]
    public_events = room_events(nats, public, 6)
    assert [event["type"] for _, event in public_events] == [
        "room.created",
        "member.joined",
        "presence.changed",
        "member.joined",
        "presence.changed",
        "message.created",
    ]
    assert public_events[-1][1]["data"]["text"] == "hello"
    assert all(event["private"] is False for _, event in public_events)
    secret = room_events(nats, direct, 2)
    assert [event["type"] for _, event in secret] == ["room.created", "message.created"]
    assert all(event["private"] is True for _, event in secret)
    assert secret[0][1]["data"]["room"]["kind"] == "direct"
