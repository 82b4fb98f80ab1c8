"""`cli.py rooms list | show | create | delete | set-private` through Flask's CLI runner.

The runner shares the app (and its Socket.IO server) with the `connect`
sockets, so what live sessions are told is checked here too. The member
commands are in test_cli_room_members.py.
"""

import json

from sqlalchemy import func, select

from chatapp.extensions import db
from chatapp.models import Membership, Message, OutboxEvent, Room
from chatapp.services import accounts, direct, messages
from chatapp.services import rooms as room_service
from tests.helpers.services import free_port
from tests.helpers.sockets import ack, drain, received


def rooms_cli(runner, *args, input=None):
    return runner.invoke(args=["rooms", *args], input=input)


def refused(result, message, code=1):
    """A clean Click error: its one line, the exit code, and no traceback."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert message in result.output
    assert "Traceback" not in result.output


def register(app, *names):
    with app.app_context():
        for name in names:
            accounts.register(name, "correct horse")


def find_room(app, name):
    with app.app_context():
        room = db.session.scalar(select(Room).where(Room.name == name))
        if room is not None:
            db.session.expunge(room)
        return room


def roles(app, name):
    """{username: role} of the members of room `name`."""
    with app.app_context():
        from chatapp.models import User

        rows = db.session.execute(
            select(User.username, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .join(Room, Room.id == Membership.room_id)
            .where(Room.name == name)
        )
        return {username: role for username, role in rows}


def post(app, username, room_name, *texts):
    with app.app_context():
        user = accounts.get_user(username)
        room = room_service.get_room(room_name)
        for text in texts:
            messages.store_message(user, room, text)


def test_create_public_private_and_owned_rooms(app, runner):
    register(app, "alice")
    result = rooms_cli(runner, "create", "General", "--topic", "Plans for the week")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Created public room #general.\n"
    result = rooms_cli(runner, "create", "secret", "--private", "--owner", "ALICE")
    assert result.stdout == "Created private room #secret, owned by alice.\n"
    general, secret = find_room(app, "general"), find_room(app, "secret")
    assert (general.private, general.topic, general.created_by) == (
        False,
        "Plans for the week",
        None,
    )
    assert secret.private and secret.topic is None
    assert roles(app, "general") == {}
    assert roles(app, "secret") == {"alice": "owner"}


def test_create_refuses_taken_and_bad_names_and_unknown_owners(app, runner):
    register(app, "alice")
    assert rooms_cli(runner, "create", "general").exit_code == 0
    refused(rooms_cli(runner, "create", "GENERAL"), "Error: The name #general is taken")
    refused(rooms_cli(runner, "create", "no spaces"), "Room names are 1 to 64 lowercase")
    refused(rooms_cli(runner, "create", "~1-2"), "Room names are 1 to 64 lowercase")
    refused(rooms_cli(runner, "create", "side", "--owner", "ghost"), "No user called 'ghost'")
    with app.app_context():
        accounts.set_disabled(accounts.get_user("alice"), True)
    refused(rooms_cli(runner, "create", "side", "--owner", "alice"), "alice is disabled")
    assert find_room(app, "side") is None  # a refused owner leaves no room behind


def test_the_owner_named_by_create_is_told_at_once(app, runner, connect):
    alice = connect("alice")
    drain(alice)
    assert rooms_cli(runner, "create", "ops", "--private", "--owner", "alice").exit_code == 0
    [added] = received(alice, "room_added")
    assert added["by"] is None
    assert added["room"]["name"] == "ops" and added["room"]["role"] == "owner"
    assert added["room"]["private"] is True and added["room"]["members"] == 1
    # Subscribed without a join: the room's messages reach her.
    bob = connect("bob")
    assert rooms_cli(runner, "add-member", "ops", "bob").exit_code == 0
    assert ack(bob, "send", {"room": "ops", "text": "hello"})["ok"]
    assert [m["text"] for m in received(alice, "message")] == ["hello"]


def test_list_shows_every_room_private_and_direct_ones_too(app, runner):
    register(app, "alice", "bob")
    assert rooms_cli(runner, "list").stdout == "No rooms.\n"
    rooms_cli(runner, "create", "general", "--topic", "Hello\nthere   all")
    rooms_cli(runner, "create", "secret", "--private", "--owner", "alice")
    with app.app_context():
        pair, _ = direct.open_direct(accounts.get_user("bob"), "alice")
        pair_name = pair.name
    post(app, "alice", "secret", "one", "two")
    result = rooms_cli(runner, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "PRIVATE", "MEMBERS", "MESSAGES", "TOPIC"]
    assert lines[1].split() == ["general", "room", "no", "0", "0", "Hello", "there", "all"]
    assert lines[2].split() == ["secret", "room", "yes", "1", "2"]
    assert lines[3].split() == [pair_name, "direct", "yes", "2", "0", "with", "alice", "and", "bob"]
    listed = json.loads(rooms_cli(runner, "list", "--json").output)
    assert [(r["name"], r["private"], r["members"], r["seq"]) for r in listed] == [
        ("general", False, 0, 0),
        ("secret", True, 1, 2),
        (pair_name, True, 2, 0),
    ]
    assert listed[0]["topic"] == "Hello\nthere   all" and "users" not in listed[0]
    assert listed[2]["kind"] == "direct" and listed[2]["users"] == ["alice", "bob"]
    assert "with" not in listed[2]


def test_show_lists_members_by_role_and_bans(app, runner):
    register(app, "alice", "bob", "carol", "dave")
    rooms_cli(runner, "create", "secret", "--private", "--topic", "Ops", "--owner", "carol")
    rooms_cli(runner, "add-member", "secret", "alice")
    rooms_cli(runner, "add-member", "secret", "bob", "--role", "moderator")
    rooms_cli(runner, "ban", "secret", "dave", "--reason", "spam")
    post(app, "alice", "secret", "hi")
    result = rooms_cli(runner, "show", "SECRET")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == ["#secret", "  kind:      room", "  private:   yes", "  topic:     Ops"]
    assert lines[4].startswith("  created:   ") and " by " not in lines[4]
    assert lines[5] == "  messages:  1"
    assert lines[6] == "Members (3):"
    assert [line.split()[:2] for line in lines[7:10]] == [
        ["carol", "owner"],
        ["bob", "moderator"],
        ["alice", "member"],
    ]
    assert lines[10] == "Bans (1):"
    assert (
        lines[11].split()[0] == "dave"
        and lines[11].endswith(" reason: spam")
        and " by " not in lines[11]
    )
    assert len(lines) == 12


def test_show_a_room_made_by_a_user_names_its_creator(app, runner):
    register(app, "alice")
    with app.app_context():
        room_service.create_room(accounts.get_user("alice"), "general")
    lines = rooms_cli(runner, "show", "general").output.splitlines()
    assert lines[4].endswith(" by alice")
    assert lines[6] == "Members (1):" and lines[7].split()[:2] == ["alice", "owner"]
    assert lines[8:] == ["Bans (0):"]


def test_commands_on_unknown_rooms_fail_cleanly(runner):
    for command in (["show"], ["delete", "--yes"], ["set-private", "--public"]):
        refused(rooms_cli(runner, *command, "nope"), "Error: No room called #nope.")
    refused(rooms_cli(runner, "show", "bad name!"), "Room names are")


def test_delete_asks_first_and_a_no_deletes_nothing(app, runner):
    register(app, "alice")
    rooms_cli(runner, "create", "general", "--owner", "alice")
    post(app, "alice", "general", "one", "two")
    result = rooms_cli(runner, "delete", "general", input="n\n")
    assert result.exit_code == 1
    assert "Delete #general? This deletes 2 messages and 1 membership." in result.output
    assert "Aborted!" in result.output
    assert find_room(app, "general") is not None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_delete_removes_the_room_its_messages_and_tells_its_members(app, runner, connect):
    alice, bob = connect("alice"), connect("bob")
    for sock in (alice, bob):
        assert ack(sock, "join", {"room": "general", "create": True})["ok"]
    post(app, "alice", "general", "one")
    drain(alice, bob)
    result = rooms_cli(runner, "delete", "general", input="y\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("Deleted #general.\n")
    assert find_room(app, "general") is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    gone = {"room": "general", "by": None, "reason": "deleted", "banned": False}
    assert received(alice, "removed") == [gone]
    assert received(bob, "removed") == [gone]


def test_delete_with_yes_does_not_ask(app, runner):
    rooms_cli(runner, "create", "general")
    result = rooms_cli(runner, "delete", "general", "--yes")
    assert result.stdout == "Deleted #general.\n"
    assert find_room(app, "general") is None


def test_set_private_and_public_tells_the_members(app, runner, connect):
    alice = connect("alice")
    assert ack(alice, "join", {"room": "general", "create": True})["ok"]
    drain(alice)
    result = rooms_cli(runner, "set-private", "general", "--private")
    assert result.stdout == "#general is now private.\n"
    assert find_room(app, "general").private
    [update] = received(alice, "room_updated")
    assert update["room"]["name"] == "general" and update["room"]["private"] is True
    assert rooms_cli(runner, "set-private", "general", "--public").exit_code == 0
    assert not find_room(app, "general").private
    refused(rooms_cli(runner, "set-private", "general"), "Say --private or --public", code=2)


def test_direct_conversations_keep_their_privacy(app, runner):
    register(app, "alice", "bob")
    with app.app_context():
        name = direct.open_direct(accounts.get_user("alice"), "bob")[0].name
    refused(rooms_cli(runner, "set-private", name, "--public"), "in a direct conversation")
    assert find_room(app, name).private


def test_events_of_the_cli_say_by_null(make_app):
    app = make_app(NATS_URL=f"nats://127.0.0.1:{free_port()}")
    runner = app.test_cli_runner()
    register(app, "alice")
    assert rooms_cli(runner, "create", "ops", "--owner", "alice").exit_code == 0
    assert rooms_cli(runner, "set-private", "ops", "--private").exit_code == 0
    assert rooms_cli(runner, "delete", "ops", "--yes").exit_code == 0
    with app.app_context():
        rows = db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        events = [(row.subject, json.loads(row.payload)) for row in rows]
    room_events = [
        (subject, e["type"], e["data"], e["private"])
        for subject, e in events
        if subject.startswith("chat.room.")
    ]
    assert [(s, t, p) for s, t, _, p in room_events] == [
        ("chat.room.ops.updated", "room.created", False),
        ("chat.room.ops.member", "member.added", False),
        ("chat.room.ops.updated", "room.updated", True),
        ("chat.room.ops.updated", "room.deleted", True),
    ]
    assert room_events[0][2]["room"]["members"] == 1
    assert room_events[1][2] == {
        "room": "ops",
        "user": "alice",
        "event": "added",
        "by": None,
        "role": "owner",
    }
    assert room_events[2][2]["by"] is None and room_events[3][2] == {"room": "ops", "by": None}
