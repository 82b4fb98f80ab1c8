"""The room protocol over Socket.IO: join, presence, send, leave (docs/protocol.md)."""

from sqlalchemy import func, select

from chatapp.extensions import db
from chatapp.models import Message
from tests.helpers.sockets import ack, drain, payload, received


def test_first_join_creates_the_room_and_welcomes(connect):
    alice = connect("alice")
    reply = ack(alice, "join", {"room": "General", "create": True})
    assert reply == {
        "ok": True,
        "room": "general",
        "online": 1,
        "users": ["alice"],
        "seq": 0,
        "history": [],
        "room_info": {
            "name": "general",
            "private": False,
            "kind": "room",
            "topic": None,
            "created": reply["room_info"]["created"],
            "members": 1,
            "role": "owner",
            "last_read_seq": 0,
            "seq": 0,
            "unread": 0,
        },
    }
    events = alice.get_received()
    assert [e["name"] for e in events] == ["notice"]
    assert events[0]["args"][0] == {
        "room": "general",
        "text": "Welcome to #general, alice. 1 user online.",
    }


def test_join_announces_presence_to_the_others_only(connect):
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    ack(alice, "join", {"room": "general", "create": True})
    drain(alice)
    reply = ack(bob, "join", {"room": "general", "create": True})
    assert reply["online"] == 2 and reply["users"] == ["alice", "bob"]
    assert received(alice, "presence") == [
        {"room": "general", "online": 2, "users": ["alice", "bob"], "event": "join", "user": "bob"}
    ]
    bob_events = bob.get_received()
    assert [e["name"] for e in bob_events] == ["notice"]
    assert bob_events[0]["args"][0]["text"] == "Welcome to #general, bob. 2 users online."
    assert carol.get_received() == []


def test_a_second_session_is_counted_once_and_announced_never(connect):
    alice1, bob = connect("alice"), connect("bob")
    ack(alice1, "join", {"room": "general", "create": True})
    ack(bob, "join", {"room": "general", "create": True})
    drain(alice1, bob)
    alice2 = connect("alice")
    reply = ack(alice2, "join", {"room": "general", "create": True})
    assert reply["online"] == 2 and reply["users"] == ["alice", "bob"]
    assert received(bob, "presence") == []
    assert received(alice1, "presence") == []


def test_join_twice_in_one_session_is_harmless(connect):
    alice = connect("alice")
    ack(alice, "join", {"room": "general", "create": True})
    again = ack(alice, "join", {"room": "general", "create": True})
    assert again["ok"] and again["online"] == 1


def test_send_is_acked_after_commit_and_delivered_to_every_session_in_the_room(app, room):
    alice1, alice2, bob, carol = room
    reply = ack(alice1, "send", {"room": "general", "text": "  hello  ", "client_id": "c1"})
    assert reply["ok"] is True
    message = reply["message"]
    assert message["text"] == "hello"
    assert (message["room"], message["seq"], message["user"], message["client_id"]) == (
        "general",
        1,
        "alice",
        "c1",
    )
    assert message["ts"].endswith("Z")
    for sock in (alice1, alice2, bob):
        assert received(sock, "message") == [message]
    assert carol.get_received() == []
    with app.app_context():
        assert db.session.scalar(select(Message.text)) == "hello"


def test_same_client_id_returns_the_original_and_stores_nothing(app, room):
    alice1, alice2, bob, _ = room
    first = ack(alice1, "send", {"room": "general", "text": "once", "client_id": "same"})
    drain(alice1, alice2, bob)
    again = ack(alice2, "send", {"room": "general", "text": "once", "client_id": "same"})
    assert again == first
    assert received(bob, "message") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_client_id_is_optional(room):
    alice1, *_ = room
    reply = ack(alice1, "send", {"room": "general", "text": "no id"})
    assert reply["ok"] and len(reply["message"]["client_id"]) == 32


def test_sequence_numbers_count_up_per_room(room):
    alice1, _, bob, _ = room
    seqs = [
        ack(s, "send", {"room": "general", "text": "x"})["message"]["seq"] for s in (alice1, bob)
    ]
    assert seqs == [1, 2]


def test_multiline_and_tab_text_is_kept(room):
    alice1, *_ = room
    reply = ack(alice1, "send", {"room": "general", "text": "line 1\r\n\tline 2"})
    assert reply["message"]["text"] == "line 1\n\tline 2"


def test_leave_ends_the_membership_on_every_session(room):
    """A leave is for good: the user's other session is told and stops receiving too."""
    alice1, alice2, bob, _ = room
    assert ack(alice2, "leave", {"room": "general"}) == {"ok": True, "room": "general"}
    assert received(alice1, "removed") == [
        {"room": "general", "by": "alice", "reason": None, "banned": False}
    ]
    assert received(alice2, "removed") == []  # the leaving session has its ack
    # The Go service showed 0 here; the right answer is 1.
    told = [(event["name"], payload(event)) for event in bob.get_received()]
    assert told == [
        ("member", {"room": "general", "user": "alice", "event": "left", "by": "alice"}),
        (
            "presence",
            {"room": "general", "online": 1, "users": ["bob"], "event": "leave", "user": "alice"},
        ),
    ]
    ack(bob, "send", {"room": "general", "text": "hi"})
    assert received(alice1, "message") == [] and received(alice2, "message") == []
    refused = ack(alice1, "send", {"room": "general", "text": "still here?"})
    assert refused["error"]["code"] == "not_in_room"


def test_disconnect_counts_as_leaving(room):
    alice1, alice2, bob, _ = room
    alice2.disconnect()
    assert received(bob, "presence") == []
    alice1.disconnect()
    [event] = received(bob, "presence")
    assert (event["event"], event["user"], event["online"]) == ("leave", "alice", 1)


def test_leave_a_room_not_joined(connect):
    alice, bob = connect("alice"), connect("bob")
    missing = ack(alice, "leave", {"room": "general"})
    assert missing["ok"] is False and missing["error"]["code"] == "not_found"
    ack(bob, "join", {"room": "general", "create": True})
    reply = ack(alice, "leave", {"room": "general"})
    assert reply["ok"] is False and reply["error"]["code"] == "not_in_room"


def test_rejoin_after_leaving_announces_again(room):
    alice1, alice2, bob, _ = room
    ack(alice1, "leave", {"room": "general"})
    drain(bob)
    ack(alice1, "join", {"room": "general", "create": True})
    [event] = received(bob, "presence")
    assert (event["event"], event["user"], event["online"]) == ("join", "alice", 2)


def test_join_returns_the_last_50_messages_oldest_first(connect):
    alice = connect("alice")
    ack(alice, "join", {"room": "general", "create": True})
    for n in range(60):
        ack(alice, "send", {"room": "general", "text": f"m{n}"})
    bob = connect("bob")
    reply = ack(bob, "join", {"room": "general", "create": True})
    assert reply["seq"] == 60
    assert [m["seq"] for m in reply["history"]] == list(range(11, 61))
    assert reply["history"][-1]["text"] == "m59"


def test_token_authenticated_socket(connect):
    sock = connect("alice", token=True)
    assert sock.is_connected()
    assert ack(sock, "join", {"room": "general", "create": True})["users"] == ["alice"]


def test_bearer_header_on_the_handshake_authenticates(app, connect):
    from chatapp.extensions import socketio

    token = (
        connect("alice", token=True)
        .http.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
        .get_json()["token"]
    )
    sock = socketio.test_client(app, headers={"Authorization": f"Bearer {token}"})
    assert sock.is_connected()
    assert ack(sock, "join", {"room": "general", "create": True})["users"] == ["alice"]
    sock.disconnect()


def test_every_ack_carries_a_trace_id(connect):
    alice = connect("alice")
    first = alice.emit("join", {"room": "general", "create": True}, callback=True)
    second = alice.emit("send", {"room": "general", "text": "hi"}, callback=True)
    refused = alice.emit("join", {"room": "BAD NAME", "create": True}, callback=True)
    ids = [reply["trace_id"] for reply in (first, second, refused)]
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids)
