"""#commands: answered in the ack, never stored or broadcast."""

import pytest
from sqlalchemy import func, select

from chatapp.extensions import db
from chatapp.models import Message
from tests.helpers.sockets import ack, received


def command(sock, text, room="general"):
    reply = ack(sock, "send", {"room": room, "text": text})
    assert reply["ok"] is True, reply
    assert "message" not in reply
    return reply["command"], reply["result"]


def test_help_lists_every_command(chat):
    alice, _ = chat
    name, result = command(alice, "#help")
    assert name == "help"
    usages = [c["usage"].split()[0] for c in result["commands"]]
    assert usages == [
        "#help",
        "#users",
        "#rooms",
        "#members",
        "#my_messages",
        "#all_messages",
        "#history",
    ]


def test_commands_are_case_insensitive(chat):
    alice, _ = chat
    assert command(alice, "#HELP")[0] == "help"


def test_users_lists_who_is_online_here(chat, connect):
    alice, bob = chat
    connect("carol")  # online, but not in the room
    name, result = command(alice, "#users")
    assert (name, result) == ("users", {"room": "general", "online": 2, "users": ["alice", "bob"]})


def test_rooms_lists_rooms_with_online_counts(chat):
    alice, _ = chat
    _, result = command(alice, "#rooms")
    assert [(r["name"], r["online"]) for r in result["rooms"]] == [("general", 2), ("side", 1)]
    assert result["next_cursor"] is None


def test_rooms_paginates_by_name(chat):
    alice, _ = chat
    _, first = command(alice, "#rooms 1")
    assert [r["name"] for r in first["rooms"]] == ["general"]
    assert first["next_cursor"] == "general"
    _, second = command(alice, f"#rooms 1 {first['next_cursor']}")
    assert [r["name"] for r in second["rooms"]] == ["side"]


def test_all_messages_is_everything_i_sent_in_any_room(chat):
    alice, bob = chat
    _, result = command(alice, "#all_messages")
    assert [m["text"] for m in result["messages"]] == ["g1", "g3", "s1", "s2"]
    _, bobs = command(bob, "#all_messages")
    assert [m["text"] for m in bobs["messages"]] == ["g2"]


def test_all_messages_pages_back_in_time(chat):
    alice, _ = chat
    _, newest = command(alice, "#all_messages 2")
    assert [m["text"] for m in newest["messages"]] == ["s1", "s2"]
    _, older = command(alice, f"#all_messages 2 {newest['next_cursor']}")
    assert [m["text"] for m in older["messages"]] == ["g1", "g3"]
    _, end = command(alice, f"#all_messages 2 {older['next_cursor']}")
    assert end == {"messages": [], "next_cursor": None}


def test_my_messages_is_every_message_of_my_rooms(chat):
    alice, bob = chat
    _, result = command(bob, "#my_messages")
    assert [m["text"] for m in result["messages"]] == ["g1", "g2", "g3"]
    _, alices = command(alice, "#my_messages")
    assert [m["text"] for m in alices["messages"]] == ["g1", "g2", "g3", "s1", "s2"]


def test_history_n(chat):
    alice, _ = chat
    _, result = command(alice, "#history 2")
    assert [m["seq"] for m in result["messages"]] == [2, 3]
    assert result["next_cursor"] == 2
    _, older = command(alice, "#history 2 2")
    assert [m["text"] for m in older["messages"]] == ["g1"]


@pytest.mark.parametrize("text", ["#history x", "#history 0", "#history 101", "#rooms -1"])
def test_bad_command_arguments(chat, text):
    alice, _ = chat
    reply = ack(alice, "send", {"room": "general", "text": text})
    assert reply["ok"] is False and reply["error"]["code"] == "bad_request"


def test_commands_are_never_stored_or_broadcast(app, chat):
    alice, bob = chat
    for text in ("#help", "#users", "#rooms", "#my_messages", "#all_messages", "#history 5"):
        command(alice, text)
    assert received(bob, "message") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 5
