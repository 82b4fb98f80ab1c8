"""Kicks, bans, roles and the last owner (docs/protocol.md, Team chat)."""

import pytest

from chatapp.extensions import db
from chatapp.models import User
from tests.helpers.sockets import ack, drain, received


def code(reply):
    assert reply["ok"] is False, reply
    return reply["error"]["code"]


@pytest.fixture
def ops(connect):
    """#ops: alice owner, mod moderator, bob and carol members (all joined)."""
    socks = {name: connect(name) for name in ("alice", "mod", "bob", "carol")}
    ack(socks["alice"], "join", {"room": "ops", "create": True})
    for name in ("mod", "bob", "carol"):
        assert ack(socks[name], "join", {"room": "ops"})["ok"]
    ack(socks["alice"], "set_role", {"room": "ops", "user": "mod", "role": "moderator"})
    drain(*socks.values())
    return socks


def test_a_kicked_user_is_told_and_stops_receiving_at_once(ops, connect):
    bob2 = connect("bob")  # a second session: subscribed on connect
    assert ack(ops["mod"], "kick", {"room": "ops", "user": "bob", "reason": "spam"}) == {"ok": True}
    for sock in (ops["bob"], bob2):
        assert received(sock, "removed") == [
            {"room": "ops", "by": "mod", "reason": "spam", "banned": False}
        ]
    [event] = received(ops["carol"], "member")
    assert event == {"room": "ops", "user": "bob", "event": "removed", "by": "mod"}
    ack(ops["carol"], "send", {"room": "ops", "text": "after the kick"})
    assert received(ops["bob"], "message") == [] and received(bob2, "message") == []
    assert code(ack(ops["bob"], "send", {"room": "ops", "text": "hey"})) == "not_in_room"
    # A kick is not a ban: bob may come back.
    assert ack(ops["bob"], "join", {"room": "ops"})["ok"]


def test_a_ban_keeps_the_user_out_until_unbanned(ops):
    ack(ops["alice"], "ban", {"room": "ops", "user": "bob", "reason": "abuse"})
    assert received(ops["bob"], "removed") == [
        {"room": "ops", "by": "alice", "reason": "abuse", "banned": True}
    ]
    assert code(ack(ops["bob"], "join", {"room": "ops"})) == "forbidden"
    assert code(ack(ops["carol"], "invite", {"room": "ops", "user": "bob"})) == "forbidden"
    assert code(ack(ops["alice"], "ban", {"room": "ops", "user": "bob"})) == "conflict"
    assert ack(ops["mod"], "unban", {"room": "ops", "user": "bob"}) == {"ok": True}
    assert code(ack(ops["mod"], "unban", {"room": "ops", "user": "bob"})) == "not_found"
    assert ack(ops["bob"], "join", {"room": "ops"})["ok"]


def test_each_operation_is_refused_below_its_role(ops):
    bob = ops["bob"]
    for event, extra in (
        ("kick", {"user": "carol"}),
        ("ban", {"user": "carol"}),
        ("unban", {"user": "carol"}),
        ("set_role", {"user": "carol", "role": "moderator"}),
        ("update_room", {"topic": "mine"}),
        ("delete_room", {}),
    ):
        assert code(ack(bob, event, {"room": "ops", **extra})) == "forbidden", event
    mod = ops["mod"]
    assert code(ack(mod, "set_role", {"room": "ops", "user": "bob", "role": "owner"})) == (
        "forbidden"
    )
    assert code(ack(mod, "kick", {"room": "ops", "user": "alice"})) == "forbidden"
    assert code(ack(mod, "ban", {"room": "ops", "user": "alice"})) == "forbidden"
    assert code(ack(mod, "delete_room", {"room": "ops"})) == "forbidden"


def test_roles_are_announced(ops):
    ack(ops["alice"], "set_role", {"room": "ops", "user": "bob", "role": "owner"})
    assert received(ops["carol"], "member") == [
        {"room": "ops", "user": "bob", "event": "role", "by": "alice", "role": "owner"}
    ]
    members = ack(ops["carol"], "send", {"room": "ops", "text": "#members"})["result"]
    assert [(m["user"], m["role"]) for m in members["members"]] == [
        ("alice", "owner"),
        ("bob", "owner"),
        ("mod", "moderator"),
        ("carol", "member"),
    ]
    # An owner can kick another owner.
    assert ack(ops["bob"], "kick", {"room": "ops", "user": "alice"})["ok"]


def test_the_last_owner_cannot_leave_or_step_down_while_others_remain(ops):
    alice = ops["alice"]
    assert code(ack(alice, "leave", {"room": "ops"})) == "forbidden"
    step_down = {"room": "ops", "user": "alice", "role": "member"}
    assert code(ack(alice, "set_role", step_down)) == "forbidden"
    ack(alice, "set_role", {"room": "ops", "user": "carol", "role": "owner"})
    assert ack(alice, "set_role", step_down)["ok"]
    assert ack(alice, "leave", {"room": "ops"})["ok"]


def test_a_server_admin_moderates_every_room_but_direct_ones(app, ops, connect):
    root = connect("root")
    with app.app_context():
        db.session.query(User).filter_by(username="root").update({"is_admin": True})
        db.session.commit()
    ack(ops["alice"], "update_room", {"room": "ops", "private": True})
    # Admins see private rooms by name, and act as owners there.
    assert ack(root, "kick", {"room": "ops", "user": "alice"})["ok"]
    assert ack(root, "set_role", {"room": "ops", "user": "bob", "role": "owner"})["ok"]
    ack(ops["bob"], "direct", {"user": "carol"})
    direct = ack(ops["carol"], "my_rooms", {})["rooms"]
    name = next(r["name"] for r in direct if r["kind"] == "direct")
    assert code(ack(root, "history", {"room": name})) == "not_found"


def test_reasons_follow_the_text_rules(ops):
    bad = ack(ops["alice"], "kick", {"room": "ops", "user": "bob", "reason": "\x1b[2J"})
    assert code(bad) == "bad_request"
    assert ack(ops["alice"], "my_rooms", {})["ok"]
    assert code(ack(ops["alice"], "kick", {"room": "ops", "user": "nobody"})) == "not_found"
    god = {"room": "ops", "user": "bob", "role": "god"}
    assert code(ack(ops["alice"], "set_role", god)) == "bad_request"


def test_a_disabled_account_can_still_be_kicked_and_banned_but_not_invited(app, ops, connect):
    with app.app_context():
        db.session.query(User).filter_by(username="bob").update({"is_disabled": True})
        db.session.query(User).filter_by(username="carol").update({"is_disabled": True})
        db.session.commit()
    assert ack(ops["alice"], "kick", {"room": "ops", "user": "bob"})["ok"]
    assert ack(ops["alice"], "ban", {"room": "ops", "user": "carol"})["ok"]
    assert code(ack(ops["alice"], "invite", {"room": "ops", "user": "bob"})) == "not_found"


def test_a_room_without_owner_is_not_taken_over_by_the_next_joiner(app, ops, connect):
    root = connect("root")
    with app.app_context():
        db.session.query(User).filter_by(username="root").update({"is_admin": True})
        db.session.commit()
    assert ack(root, "kick", {"room": "ops", "user": "alice"})["ok"]  # the last owner
    mallory = connect("mallory")
    ack(mallory, "join", {"room": "ops"})
    [me] = [r for r in ack(mallory, "my_rooms", {})["rooms"] if r["name"] == "ops"]
    assert me["role"] == "member"
    assert code(ack(mallory, "kick", {"room": "ops", "user": "bob"})) == "forbidden"


def test_a_new_member_starts_with_nothing_unread(ops, connect):
    for n in range(3):
        ack(ops["alice"], "send", {"room": "ops", "text": f"before {n}"})
    dave = connect("dave")
    ack(dave, "join", {"room": "ops"})
    [room] = ack(dave, "my_rooms", {})["rooms"]
    assert (room["seq"], room["last_read_seq"], room["unread"]) == (3, 3, 0)
    ack(ops["alice"], "send", {"room": "ops", "text": "after"})
    [room] = ack(dave, "my_rooms", {})["rooms"]
    assert room["unread"] == 1


def test_invites_spend_the_inviters_join_budget(app, connect):
    app.config["RATELIMIT_JOINS"] = "2 per minute"
    alice = connect("alice")
    for name in ("bob", "carol", "dave"):
        connect(name)
    ack(alice, "create", {"room": "ops"})  # one join spent
    assert ack(alice, "invite", {"room": "ops", "user": "bob"})["ok"]
    assert code(ack(alice, "invite", {"room": "ops", "user": "carol"})) == "rate_limited"
