"""Private rooms, topics, invites and what non-members can learn (docs/protocol.md, Team chat)."""

from tests.helpers.sockets import ack, drain, payload, received


def error_of(reply):
    assert reply["ok"] is False, reply
    return reply["error"]


def test_create_makes_the_creator_owner_and_refuses_a_taken_name(connect):
    alice, bob = connect("alice"), connect("bob")
    reply = ack(alice, "create", {"room": "Ops", "private": True, "topic": "  on call  "})
    assert reply["ok"], reply
    room = reply["room"]
    assert room["created"].endswith("Z")
    del room["created"]
    assert room == {
        "name": "ops",
        "private": True,
        "kind": "room",
        "topic": "on call",
        "members": 1,
    }
    assert error_of(ack(bob, "create", {"room": "ops"}))["code"] == "conflict"
    assert error_of(ack(alice, "create", {"room": "~1-2"}))["code"] == "bad_request"
    [membership] = ack(alice, "my_rooms", {})["rooms"]
    assert (membership["name"], membership["role"], membership["unread"]) == ("ops", "owner", 0)


def test_join_without_create_answers_not_found_and_creates_nothing(connect):
    alice = connect("alice")
    assert error_of(ack(alice, "join", {"room": "nowhere"})) == {
        "code": "not_found",
        "message": "No room called #nowhere.",
    }
    assert ack(alice, "my_rooms", {})["rooms"] == []


def test_a_private_room_answers_non_members_as_if_it_did_not_exist(connect):
    alice, mallory = connect("alice"), connect("mallory")
    assert ack(alice, "create", {"room": "secret", "private": True})["ok"]
    ack(alice, "send", {"room": "secret", "text": "the plan"})
    probes = [
        ("join", {"room": "{}"}),
        ("history", {"room": "{}"}),
        ("send", {"room": "{}", "text": "hi"}),
        ("send", {"room": "{}", "text": "#users"}),
        ("send", {"room": "{}", "text": "#members"}),
        ("invite", {"room": "{}", "user": "mallory"}),
        ("kick", {"room": "{}", "user": "alice"}),
        ("ban", {"room": "{}", "user": "alice"}),
        ("update_room", {"room": "{}", "topic": "mine"}),
        ("read", {"room": "{}", "seq": 1}),
        ("leave", {"room": "{}"}),
        ("delete_room", {"room": "{}"}),
    ]
    for event, template in probes:
        secret = {k: v.format("secret") if isinstance(v, str) else v for k, v in template.items()}
        missing = {k: v.format("ghost") if isinstance(v, str) else v for k, v in template.items()}
        hidden, absent = ack(mallory, event, secret), ack(mallory, event, missing)
        assert hidden["error"]["code"] == "not_found", (event, hidden)
        assert hidden["error"]["message"].replace("secret", "X") == absent["error"][
            "message"
        ].replace("ghost", "X"), event
    listed = ack(mallory, "send", {"room": "lobby", "text": "#rooms"})
    assert listed["result"]["rooms"] == []
    assert ack(mallory, "my_rooms", {})["rooms"] == []


def test_rooms_lists_public_rooms_and_mine_with_unread(connect):
    alice, bob = connect("alice"), connect("bob")
    ack(alice, "create", {"room": "secret", "private": True})
    ack(alice, "join", {"room": "lobby", "create": True})
    ack(bob, "join", {"room": "public", "create": True})
    ack(bob, "send", {"room": "public", "text": "hello"})
    rooms = ack(alice, "send", {"room": "lobby", "text": "#rooms"})["result"]["rooms"]
    by_name = {room["name"]: room for room in rooms}
    assert sorted(by_name) == ["lobby", "public", "secret"]
    assert by_name["secret"]["role"] == "owner" and by_name["secret"]["private"] is True
    assert "role" not in by_name["public"] and "unread" not in by_name["public"]
    bobs = ack(bob, "send", {"room": "public", "text": "#rooms"})["result"]["rooms"]
    assert [room["name"] for room in bobs] == ["lobby", "public"]


def test_invite_adds_the_room_to_every_session_without_a_join(connect):
    alice, bob1, bob2 = connect("alice"), connect("bob"), connect("bob")
    ack(alice, "create", {"room": "ops", "private": True, "topic": "pager"})
    drain(alice)
    assert ack(alice, "invite", {"room": "ops", "user": "bob"}) == {
        "ok": True,
        "room": "ops",
        "user": "bob",
    }
    for bob in (bob1, bob2):
        [added] = received(bob, "room_added")
        assert added["by"] == "alice"
        assert (added["room"]["name"], added["room"]["role"], added["room"]["topic"]) == (
            "ops",
            "member",
            "pager",
        )
    assert received(alice, "member") == [
        {"room": "ops", "user": "bob", "event": "added", "by": "alice"}
    ]
    sent = ack(alice, "send", {"room": "ops", "text": "welcome"})["message"]
    assert received(bob1, "message") == [sent] and received(bob2, "message") == [sent]
    # Members send without joining first.
    assert ack(bob1, "send", {"room": "ops", "text": "thanks"})["ok"]
    assert error_of(ack(alice, "invite", {"room": "ops", "user": "bob"}))["code"] == "conflict"
    assert error_of(ack(alice, "invite", {"room": "ops", "user": "nobody"}))["code"] == "not_found"


def test_who_may_invite(connect):
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    connect("dave")
    ack(alice, "create", {"room": "ops", "private": True})
    ack(alice, "invite", {"room": "ops", "user": "bob"})
    # A plain member of a private room may not invite.
    assert error_of(ack(bob, "invite", {"room": "ops", "user": "carol"}))["code"] == "forbidden"
    ack(alice, "set_role", {"room": "ops", "user": "bob", "role": "moderator"})
    assert ack(bob, "invite", {"room": "ops", "user": "carol"})["ok"]
    # Any member of a public room may; a non-member may not.
    ack(alice, "join", {"room": "lobby", "create": True})
    ack(bob, "join", {"room": "lobby"})
    assert ack(bob, "invite", {"room": "lobby", "user": "carol"})["ok"]
    ack(alice, "create", {"room": "quiet"})
    assert (
        error_of(ack(carol, "invite", {"room": "quiet", "user": "dave"}))["code"] == "not_in_room"
    )


def test_update_room_tells_the_room(connect):
    alice, bob = connect("alice"), connect("bob")
    ack(alice, "join", {"room": "lobby", "create": True})
    ack(bob, "join", {"room": "lobby"})
    drain(alice, bob)
    reply = ack(alice, "update_room", {"room": "lobby", "topic": "Release day", "private": True})
    assert reply["room"]["topic"] == "Release day" and reply["room"]["private"] is True
    [event] = received(bob, "room_updated")
    assert event == {"room": reply["room"]}
    assert error_of(ack(bob, "update_room", {"room": "lobby", "topic": "mine"}))["code"] == (
        "forbidden"
    )
    cleared = ack(alice, "update_room", {"room": "lobby", "topic": ""})
    assert cleared["room"]["topic"] is None
    too_long = ack(alice, "update_room", {"room": "lobby", "topic": "x" * 251})
    assert error_of(too_long)["code"] == "too_long"
    control = ack(alice, "update_room", {"room": "lobby", "topic": "\x1b[31mred"})
    assert error_of(control)["code"] == "bad_request"


def test_sessions_are_told_their_rooms_on_connect(connect):
    alice = connect("alice")
    ack(alice, "create", {"room": "ops", "private": True})
    ack(alice, "send", {"room": "ops", "text": "note to self"})
    again = connect("alice")
    [told] = again.rooms_told
    assert (told["name"], told["role"], told["seq"], told["private"]) == ("ops", "owner", 1, True)
    # ...and receives them without a join.
    sent = ack(alice, "send", {"room": "ops", "text": "second"})["message"]
    assert [payload(e) for e in again.get_received() if e["name"] == "message"] == [sent]


def test_delete_room_tells_members_and_takes_the_messages(app, connect):
    from sqlalchemy import func, select

    from chatapp.extensions import db
    from chatapp.models import Message, Room

    alice, bob = connect("alice"), connect("bob")
    ack(alice, "join", {"room": "tmp", "create": True})
    ack(bob, "join", {"room": "tmp"})
    ack(bob, "send", {"room": "tmp", "text": "bye"})
    assert error_of(ack(bob, "delete_room", {"room": "tmp"}))["code"] == "forbidden"
    drain(alice, bob)
    assert ack(alice, "delete_room", {"room": "tmp"}) == {"ok": True, "room": "tmp"}
    assert received(bob, "removed") == [
        {"room": "tmp", "by": "alice", "reason": "deleted", "banned": False}
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
        assert db.session.scalar(select(func.count()).select_from(Room)) == 0
    assert error_of(ack(bob, "send", {"room": "tmp", "text": "hello?"}))["code"] == "not_found"


def test_join_with_create_racing_a_create_joins_the_room_made_first(app, connect):
    """Two clients creating the same room at once: one creates it, the other joins it."""
    from chatapp.extensions import db
    from chatapp.models import User
    from chatapp.services import rooms

    alice, bob = connect("alice"), connect("bob")
    ack(alice, "create", {"room": "shared"})
    with app.app_context():
        bob_user = db.session.scalar(db.select(User).where(User.username == "bob"))
        real_access = rooms.access
        calls = []

        def first_miss(user, name, **kwargs):
            # The first lookup runs as if before alice's create committed.
            calls.append(name)
            if len(calls) == 1:
                raise rooms.room_not_found(name)
            return real_access(user, name, **kwargs)

        rooms.access = first_miss
        try:
            joined = rooms.join_room(bob_user, "shared", create=True)
        finally:
            rooms.access = real_access
        assert joined.room.name == "shared" and joined.membership.role == "member"
    assert ack(bob, "create", {"room": "shared"})["error"]["code"] == "conflict"
