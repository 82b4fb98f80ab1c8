"""Roles across two real server processes: every operation below its role is refused
`forbidden`, an owner is safe from moderators, and a room keeps an owner unless an
admin (made with `cli.py users promote`) decides otherwise (issue 13)."""

import pytest

from tests.helpers.realtime import login
from tests.helpers.team import RELAXED_LIMITS, admin_cli, unique

pytestmark = pytest.mark.slow

SERVER_SETTINGS = RELAXED_LIMITS


def code(reply):
    return "ok" if reply["ok"] else reply["error"]["code"]


@pytest.fixture
def staff(servers, clients):
    """A public room: alice owner (A), mod moderator (B), bob and carol members (A, B)."""
    a, b = servers
    names = {who: unique(who) for who in ("alice", "mod", "bob", "carol")}
    people = {
        "alice": clients(a, names["alice"]),
        "mod": clients(b, names["mod"]),
        "bob": clients(a, names["bob"]),
        "carol": clients(b, names["carol"]),
    }
    room = unique("r")
    assert people["alice"].call("create", {"room": room, "topic": "start"})["ok"]
    for who in ("mod", "bob", "carol"):
        assert people[who].call("join", {"room": room})["ok"]
    promoted = {"room": room, "user": names["mod"], "role": "moderator"}
    assert people["alice"].call("set_role", promoted)["ok"]
    return room, names, people


def test_a_member_is_refused_every_moderation(staff):
    room, names, people = staff
    bob, carol = people["bob"], names["carol"]
    for event, data in [
        ("kick", {"room": room, "user": carol}),
        ("ban", {"room": room, "user": carol}),
        ("unban", {"room": room, "user": carol}),
        ("set_role", {"room": room, "user": carol, "role": "moderator"}),
        ("set_role", {"room": room, "user": names["bob"], "role": "owner"}),
        ("update_room", {"room": room, "topic": "mine"}),
        ("update_room", {"room": room, "private": True}),
        ("delete_room", {"room": room}),
    ]:
        assert code(bob.call(event, data)) == "forbidden", event
    # In a public room any member may invite; nothing above changed the room.
    newcomer = unique("eve")
    login(bob.url, newcomer)
    assert code(bob.call("invite", {"room": room, "user": newcomer})) == "ok"
    info = bob.call("join", {"room": room})["room_info"]
    assert info["topic"] == "start" and info["private"] is False


def test_a_moderator_moderates_members_but_not_owners_or_roles(staff):
    room, names, people = staff
    mod, alice = people["mod"], names["alice"]
    for event, data in [
        ("set_role", {"room": room, "user": names["bob"], "role": "moderator"}),
        ("set_role", {"room": room, "user": names["mod"], "role": "owner"}),
        ("kick", {"room": room, "user": alice}),
        ("ban", {"room": room, "user": alice}),
        ("delete_room", {"room": room}),
    ]:
        assert code(mod.call(event, data)) == "forbidden", event
    # What a moderator may do, done from the other process than the owner's.
    assert mod.call("update_room", {"room": room, "topic": "rules"})["room"]["topic"] == "rules"
    people["alice"].wait_for("room_updated", lambda e: e["room"]["topic"] == "rules")
    assert code(mod.call("kick", {"room": room, "user": names["carol"]})) == "ok"
    people["carol"].wait_for("removed", lambda e: e["room"] == room)
    members = alice_members(people, room)
    assert members == {alice: "owner", names["mod"]: "moderator", names["bob"]: "member"}


def alice_members(people, room):
    reply = people["alice"].call("send", {"room": room, "text": "#members"})
    return {m["user"]: m["role"] for m in reply["result"]["members"]}


def test_the_last_owner_stays_unless_another_is_named_or_an_admin_acts(
    staff, servers, pair_env, clients
):
    room, names, people = staff
    alice, me = people["alice"], names["alice"]
    assert code(alice.call("leave", {"room": room})) == "forbidden"
    assert code(alice.call("set_role", {"room": room, "user": me, "role": "member"})) == "forbidden"
    assert code(alice.call("kick", {"room": room, "user": me})) == "forbidden"
    assert alice_members(people, room)[me] == "owner"
    # An admin, who is no member, names another owner; then alice may step down and leave.
    root = unique("root")
    root_token = login(servers[1].url, root)
    assert "now an admin" in admin_cli(pair_env, "users", "promote", root)
    admin = clients(servers[1], None, token=root_token)
    assert (
        code(admin.call("set_role", {"room": room, "user": names["bob"], "role": "owner"})) == "ok"
    )
    people["mod"].wait_for("member", lambda e: e["event"] == "role" and e["role"] == "owner")
    assert code(alice.call("set_role", {"room": room, "user": me, "role": "member"})) == "ok"
    assert code(alice.call("leave", {"room": room})) == "ok"
    # bob is the last owner now: he may not go, but the admin may still demote him.
    assert code(people["bob"].call("leave", {"room": room})) == "forbidden"
    demote = {"room": room, "user": names["bob"], "role": "member"}
    assert code(admin.call("set_role", demote)) == "ok"
    assert code(admin.call("update_room", {"room": room, "topic": "run by an admin"})) == "ok"
    people["bob"].wait_for("room_updated", lambda e: e["room"]["topic"] == "run by an admin")


def test_an_owner_alone_may_leave_and_direct_conversations_have_no_roles(servers, clients):
    a, b = servers
    alice_name, bob_name = unique("alice"), unique("bob")
    alice, bob = clients(a, alice_name), clients(b, bob_name)
    room = unique("solo")
    assert alice.call("create", {"room": room})["ok"]
    assert code(alice.call("leave", {"room": room})) == "ok"
    direct = alice.call("direct", {"user": bob_name})["room"]["name"]
    carol = unique("carol")
    login(a.url, carol)
    for who, event, data in [
        (alice, "invite", {"room": direct, "user": carol}),
        (alice, "kick", {"room": direct, "user": bob_name}),
        (bob, "ban", {"room": direct, "user": alice_name}),
        (bob, "set_role", {"room": direct, "user": bob_name, "role": "owner"}),
        (bob, "update_room", {"room": direct, "private": False}),
        (alice, "delete_room", {"room": direct}),
        (bob, "leave", {"room": direct}),
    ]:
        assert code(who.call(event, data)) == "forbidden", event
    assert bob.call("send", {"room": direct, "text": "still ours"})["ok"]
