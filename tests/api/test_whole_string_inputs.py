"""Every pattern-checked input must match as a whole string.

Python's `$` also matches before a trailing newline: with `re.match`, "x\\n"
was a valid room distinct from "x", and its NATS subject stopped the relay.
"""

import pytest

from chatapp.tracing import accept_trace_id
from tests.helpers.errors import assert_error
from tests.helpers.sockets import ack

TRAILING = ["x\n", "x\r", "x\n\n", "\nx", "x\x0b", "x\u2028"]


@pytest.mark.parametrize("room", TRAILING)
def test_socket_join_refuses_room_names_with_line_breaks(connect, room):
    alice = connect("alice")
    reply = ack(alice, "join", {"room": room, "create": True})
    assert reply["ok"] is False
    assert reply["error"]["code"] == "bad_request"


@pytest.mark.parametrize("room", ["x%0A", "x%0D", "x%0A%0A", "%0Ax"])
def test_rest_refuses_room_names_with_line_breaks(client, auth, room):
    auth.signup()
    assert_error(client.post(f"/api/rooms/{room}/join"), 400, "bad_request")
    assert_error(client.get(f"/api/rooms/{room}/messages"), 400, "bad_request")
    assert_error(client.post(f"/api/rooms/{room}/messages", json={"text": "hi"}), 400)
    assert_error(client.get(f"/api/rooms?after={room}"), 400, "bad_request")


def test_no_room_is_stored_for_a_refused_name(app, client, auth):
    from chatapp.models import Room

    auth.signup()
    client.post("/api/rooms/x%0A/join")
    with app.app_context():
        from chatapp.extensions import db

        assert db.session.query(Room).count() == 0


@pytest.mark.parametrize("client_id", ["abc\n", "abc\r\n", "\nabc"])
def test_client_ids_with_line_breaks_are_refused(connect, client_id):
    alice = connect("alice")
    assert ack(alice, "join", {"room": "general", "create": True})["ok"]
    reply = ack(alice, "send", {"room": "general", "text": "hi", "client_id": client_id})
    assert reply["ok"] is False
    assert reply["error"]["code"] == "bad_request"


def test_registration_refuses_a_username_with_a_trailing_newline(client):
    response = client.post(
        "/api/auth/register", json={"username": "alice\n", "password": "correct horse"}
    )
    assert_error(response, 422, "bad_request")


@pytest.mark.parametrize("candidate", ["abcdefgh\n", "abcdefgh\r", "\nabcdefgh"])
def test_trace_ids_with_line_breaks_are_replaced(candidate):
    assert accept_trace_id(candidate) != candidate
    assert accept_trace_id("abcdefgh") == "abcdefgh"
