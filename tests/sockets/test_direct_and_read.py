"""Direct conversations and read state (docs/protocol.md, Team chat)."""

from tests.helpers.sockets import ack, drain, received


def code(reply):
    assert reply["ok"] is False, reply
    return reply["error"]["code"]


def test_direct_is_one_room_per_pair_from_either_side(connect):
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    opened = ack(alice, "direct", {"user": "Bob"})["room"]
    assert (opened["kind"], opened["private"], opened["with"], opened["members"]) == (
        "direct",
        True,
        "bob",
        2,
    )
    [added] = received(bob, "room_added")
    assert added["by"] == "alice" and added["room"]["with"] == "alice"
    again = ack(bob, "direct", {"user": "alice"})["room"]
    assert again["name"] == opened["name"] and again["with"] == "alice"
    # Both receive it at once, without a join; a third user cannot see it.
    sent = ack(alice, "send", {"room": opened["name"], "text": "psst"})["message"]
    assert received(bob, "message") == [sent]
    assert code(ack(carol, "history", {"room": opened["name"]})) == "not_found"
    assert code(ack(carol, "join", {"room": opened["name"]})) == "not_found"
    assert ack(carol, "send", {"room": "x", "text": "#rooms"})["result"]["rooms"] == []


def test_direct_conversations_have_no_roles_invites_or_leaving(connect):
    alice, _ = connect("alice"), connect("bob")
    connect("carol")
    name = ack(alice, "direct", {"user": "bob"})["room"]["name"]
    assert code(ack(alice, "invite", {"room": name, "user": "carol"})) == "forbidden"
    assert code(ack(alice, "kick", {"room": name, "user": "bob"})) == "forbidden"
    assert code(ack(alice, "leave", {"room": name})) == "forbidden"
    assert code(ack(alice, "direct", {"user": "alice"})) == "bad_request"
    assert code(ack(alice, "direct", {"user": "nobody"})) == "not_found"


def test_read_state_is_shared_by_sessions_and_never_moves_back(connect):
    alice1, alice2, bob = connect("alice"), connect("alice"), connect("bob")
    ack(bob, "join", {"room": "lobby", "create": True})
    ack(alice1, "join", {"room": "lobby"})
    for n in range(3):
        ack(bob, "send", {"room": "lobby", "text": f"m{n}"})
    ack(alice1, "send", {"room": "lobby", "text": "mine"})
    [room] = ack(alice2, "my_rooms", {})["rooms"]
    assert (room["seq"], room["last_read_seq"], room["unread"]) == (4, 0, 3)
    drain(alice1, alice2)
    assert ack(alice1, "read", {"room": "lobby", "seq": 2}) == {
        "ok": True,
        "room": "lobby",
        "last_read_seq": 2,
    }
    assert received(alice2, "read") == [{"room": "lobby", "last_read_seq": 2}]
    assert received(alice1, "read") == []
    # Backwards is a no-op; past the newest counts as the newest.
    assert ack(alice2, "read", {"room": "lobby", "seq": 1})["last_read_seq"] == 2
    assert received(alice1, "read") == []
    assert ack(alice2, "read", {"room": "lobby", "seq": 99})["last_read_seq"] == 4
    [room] = ack(alice1, "my_rooms", {})["rooms"]
    assert room["unread"] == 0
    assert code(ack(alice1, "read", {"room": "lobby", "seq": -1})) == "bad_request"


def test_read_state_survives_a_reconnect(connect):
    alice, bob = connect("alice"), connect("bob")
    ack(bob, "join", {"room": "lobby", "create": True})
    ack(alice, "join", {"room": "lobby"})
    ack(bob, "send", {"room": "lobby", "text": "one"})
    ack(bob, "send", {"room": "lobby", "text": "two"})
    ack(alice, "read", {"room": "lobby", "seq": 1})
    alice.disconnect()
    again = connect("alice")
    [room] = again.rooms_told
    assert (room["last_read_seq"], room["unread"]) == (1, 1)


def test_the_rooms_greeting_tells_each_rooms_counts_apart(connect):
    """The greeting is one query: members, unread and `with` must not mix rooms."""
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    ack(alice, "join", {"room": "big", "create": True})
    ack(bob, "join", {"room": "big"})
    ack(carol, "join", {"room": "big"})
    ack(alice, "join", {"room": "quiet", "create": True})
    direct = ack(alice, "direct", {"user": "bob"})["room"]["name"]
    ack(bob, "send", {"room": "big", "text": "one"})
    ack(carol, "send", {"room": "big", "text": "two"})
    ack(bob, "send", {"room": direct, "text": "hi"})
    ack(alice, "send", {"room": "quiet", "text": "mine"})
    alice.disconnect()
    told = {room["name"]: room for room in connect("alice").rooms_told}
    assert {
        name: (r["members"], r["unread"], r["seq"], r.get("with")) for name, r in told.items()
    } == {
        "big": (3, 2, 2, None),
        "quiet": (1, 0, 1, None),
        direct: (2, 1, 1, "bob"),
    }
    assert {r["role"] for name, r in told.items() if name != direct} == {"owner"}


def test_a_deleted_users_conversation_is_not_handed_to_the_next_account(app, connect):
    """SQLite reuses the highest user id: the next account must not inherit the old
    conversation (its name is made of the two ids) or its history."""
    from chatapp.services import accounts

    alice, bob = connect("alice"), connect("bob")
    old = ack(alice, "direct", {"user": "bob"})["room"]["name"]
    ack(bob, "send", {"room": old, "text": "for alice only"})
    drain(alice)
    bob.disconnect()
    with app.app_context():
        accounts.delete_user(accounts.get_user("bob"))
    [renamed] = received(alice, "room_added")
    assert renamed["room"]["name"].startswith(old + "-") and renamed["room"]["with"] is None
    mallory = connect("mallory")
    fresh = ack(mallory, "direct", {"user": "alice"})["room"]
    assert fresh["members"] == 2
    history = ack(mallory, "history", {"room": fresh["name"]})
    assert history["messages"] == []
    kept = ack(alice, "history", {"room": renamed["room"]["name"]})
    assert [m["text"] for m in kept["messages"]] == ["for alice only"]


def test_the_welcome_to_a_direct_conversation_names_the_other_user(connect):
    alice, _ = connect("alice"), connect("bob")
    name = ack(alice, "direct", {"user": "bob"})["room"]["name"]
    drain(alice)
    assert ack(alice, "join", {"room": name})["ok"]
    assert received(alice, "notice") == [
        {"room": name, "text": "Welcome to your conversation with @bob, alice. 1 user online."}
    ]
