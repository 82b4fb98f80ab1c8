"""`cli.py rooms add-member | remove-member | ban | unban | set-role` through the CLI runner."""

from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import Room, RoomBan, User
from chatapp.services import accounts, direct
from tests.cli.test_cli_rooms import refused, register, roles, rooms_cli
from tests.helpers.sockets import ack, drain, payload, received


def bans(app, name):
    """{username: (banned_by, reason)} of room `name`."""
    with app.app_context():
        rows = db.session.execute(
            select(User.username, RoomBan.banned_by, RoomBan.reason)
            .join(RoomBan, RoomBan.user_id == User.id)
            .join(Room, Room.id == RoomBan.room_id)
            .where(Room.name == name)
        )
        return {username: (by, reason) for username, by, reason in rows}


def in_general(connect, *names):
    """Sockets of `names` in #general (the first creates it, as its owner), nothing received."""
    socks = [connect(name) for name in names]
    for sock in socks:
        assert ack(sock, "join", {"room": "general", "create": True})["ok"]
    drain(*socks)
    return socks


def test_add_member_with_a_role_and_the_user_is_told(app, runner, connect):
    rooms_cli(runner, "create", "secret", "--private")
    bob = connect("bob")
    drain(bob)
    result = rooms_cli(runner, "add-member", "secret", "BOB", "--role", "moderator")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Added bob to #secret as moderator.\n"
    assert roles(app, "secret") == {"bob": "moderator"}
    # Added (and subscribed), then the role follows as a member event of the room.
    events = [(event["name"], payload(event)) for event in bob.get_received()]
    assert [name for name, _ in events] == ["room_added", "member"]
    assert events[0][1]["by"] is None and events[0][1]["room"]["name"] == "secret"
    assert events[1][1] == {
        "room": "secret",
        "user": "bob",
        "event": "role",
        "by": None,
        "role": "moderator",
    }
    assert rooms_cli(runner, "add-member", "secret", "carol").exit_code == 1
    register(app, "carol")
    assert rooms_cli(runner, "add-member", "secret", "carol").stdout.endswith("as member.\n")
    assert roles(app, "secret") == {"bob": "moderator", "carol": "member"}


def test_add_member_refusals(app, runner):
    register(app, "alice", "bob")
    rooms_cli(runner, "create", "general", "--owner", "alice")
    refused(rooms_cli(runner, "add-member", "general", "alice"), "alice is already in #general")
    refused(rooms_cli(runner, "add-member", "general", "ghost"), "No user called 'ghost'")
    refused(rooms_cli(runner, "add-member", "nope", "bob"), "No room called #nope.")
    bad = rooms_cli(runner, "add-member", "general", "bob", "--role", "admin")
    refused(bad, "'admin' is not one of 'member', 'moderator', 'owner'", code=2)
    rooms_cli(runner, "ban", "general", "bob")
    refused(rooms_cli(runner, "add-member", "general", "bob"), "bob is banned from #general")
    assert roles(app, "general") == {"alice": "owner"}


def test_remove_member_cuts_the_user_off_at_once(app, runner, connect):
    alice, bob = in_general(connect, "alice", "bob")
    result = rooms_cli(runner, "remove-member", "general", "bob", "--reason", "calm down")
    assert result.stdout == "Removed bob from #general.\n"
    # Told what a server in another process misses without a message queue.
    assert result.stderr == (
        "Note: REDIS_URL is not set, so this reaches no open session: bob's open sessions "
        "may receive #general for up to 2 x PRESENCE_REFRESH (30 s by default; their sends "
        "are refused already).\n"
    )
    assert roles(app, "general") == {"alice": "owner"}
    assert received(bob, "removed") == [
        {"room": "general", "by": None, "reason": "calm down", "banned": False}
    ]
    assert received(alice, "member") == [
        {"room": "general", "user": "bob", "event": "removed", "by": None}
    ]
    assert ack(alice, "send", {"room": "general", "text": "after"})["ok"]
    assert received(bob, "message") == []
    # A kick is not a ban: a public room takes him back.
    assert ack(bob, "join", {"room": "general"})["ok"]


def test_remove_member_acts_on_owners_and_refuses_non_members(app, runner):
    register(app, "alice", "bob")
    rooms_cli(runner, "create", "general", "--owner", "alice")
    assert rooms_cli(runner, "remove-member", "general", "alice").exit_code == 0
    assert roles(app, "general") == {}
    refused(rooms_cli(runner, "remove-member", "general", "bob"), "bob is not in #general.")
    refused(rooms_cli(runner, "remove-member", "general", "ghost"), "No user called 'ghost'")


def test_ban_removes_and_keeps_out_until_unbanned(app, runner, connect):
    alice, bob = in_general(connect, "alice", "bob")
    result = rooms_cli(runner, "ban", "general", "bob", "--reason", "spam")
    assert result.stdout == "Banned bob from #general.\n"
    assert roles(app, "general") == {"alice": "owner"}
    assert bans(app, "general") == {"bob": (None, "spam")}
    assert received(bob, "removed") == [
        {"room": "general", "by": None, "reason": "spam", "banned": True}
    ]
    assert received(alice, "member") == [
        {"room": "general", "user": "bob", "event": "banned", "by": None}
    ]
    refused_join = ack(bob, "join", {"room": "general"})
    assert refused_join["error"]["code"] == "forbidden"
    refused(rooms_cli(runner, "ban", "general", "bob"), "bob is already banned from #general.")

    result = rooms_cli(runner, "unban", "general", "bob")
    assert result.stdout == "Unbanned bob from #general.\n"
    assert bans(app, "general") == {}
    assert received(alice, "member") == [
        {"room": "general", "user": "bob", "event": "unbanned", "by": None}
    ]
    assert ack(bob, "join", {"room": "general"})["ok"]
    refused(rooms_cli(runner, "unban", "general", "bob"), "bob is not banned from #general.")


def test_ban_of_a_non_member_keeps_them_out(app, runner):
    register(app, "alice", "carol")
    rooms_cli(runner, "create", "general", "--owner", "alice")
    assert rooms_cli(runner, "ban", "general", "carol").exit_code == 0
    assert bans(app, "general") == {"carol": (None, None)}
    assert roles(app, "general") == {"alice": "owner"}


def test_set_role_up_and_down_even_the_last_owner(app, runner, connect):
    alice, bob = in_general(connect, "alice", "bob")
    result = rooms_cli(runner, "set-role", "general", "bob", "owner")
    assert result.stdout == "bob is now owner of #general.\n"
    assert received(alice, "member") == [
        {"room": "general", "user": "bob", "event": "role", "by": None, "role": "owner"}
    ]
    assert rooms_cli(runner, "set-role", "general", "alice", "moderator").exit_code == 0
    # The admin may leave a room without owners (as `rooms create` without --owner does).
    assert rooms_cli(runner, "set-role", "general", "bob", "member").exit_code == 0
    assert roles(app, "general") == {"alice": "moderator", "bob": "member"}


def test_set_role_refusals(app, runner):
    register(app, "alice", "bob")
    rooms_cli(runner, "create", "general", "--owner", "alice")
    bad = rooms_cli(runner, "set-role", "general", "alice", "admin")
    refused(bad, "'admin' is not one of 'member', 'moderator', 'owner'", code=2)
    refused(rooms_cli(runner, "set-role", "general", "bob", "owner"), "bob is not in #general.")
    refused(rooms_cli(runner, "set-role", "general", "ghost", "owner"), "No user called 'ghost'")
    refused(rooms_cli(runner, "set-role", "nope", "bob", "owner"), "No room called #nope.")
    assert roles(app, "general") == {"alice": "owner"}


def test_direct_conversations_refuse_member_commands(app, runner):
    register(app, "alice", "bob", "carol")
    with app.app_context():
        name = direct.open_direct(accounts.get_user("alice"), "bob")[0].name
    for args in (
        ["add-member", name, "carol"],
        ["remove-member", name, "bob"],
        ["ban", name, "bob"],
        ["set-role", name, "bob", "owner"],
    ):
        refused(rooms_cli(runner, *args), "in a direct conversation")
    assert roles(app, name) == {"alice": "member", "bob": "member"}
    assert bans(app, name) == {}
