"""Every socket error code, and bad input that must never hurt the server."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from chatapp.extensions import db, socketio
from chatapp.models import AuthSession, Message, User
from chatapp.models.types import utcnow
from tests.helpers.sockets import ack, drain, received


def error_code(reply):
    assert reply["ok"] is False, reply
    assert set(reply["error"]) >= {"code", "message"}
    return reply["error"]["code"]


def test_unauthenticated_connect_is_refused(app):
    assert not socketio.test_client(app).is_connected()
    assert not socketio.test_client(app, auth={"token": "forged"}).is_connected()
    assert not socketio.test_client(app, auth={"token": 42}).is_connected()


@pytest.mark.parametrize(
    "ended",
    [
        update(AuthSession).values(revoked_at=utcnow()),
        update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)),
        update(User).values(is_disabled=True),
    ],
    ids=["revoked", "expired", "disabled"],
)
def test_a_token_of_an_ended_login_cannot_connect(app, connect, ended):
    """The connect's own login check (a Core statement, not the REST loader) refuses it."""
    first = connect("alice", token=True)
    assert first.is_connected()
    token = first.http.post(
        "/api/auth/login", json={"username": "alice", "password": "correct horse"}
    )
    token = token.get_json()["token"]
    assert socketio.test_client(app, auth={"token": token}).is_connected()  # live: accepted
    with app.app_context():
        db.session.execute(ended)
        db.session.commit()
    refused = socketio.test_client(app, auth={"token": token})
    assert not refused.is_connected()


@pytest.mark.parametrize(
    "name", ["", "a" * 65, "has space", "dots.not.allowed", "émoji", "../x", "#general", None, 7]
)
def test_bad_room_names(alice, name):
    assert error_code(ack(alice, "join", {"room": name, "create": True})) == "bad_request"


@pytest.mark.parametrize(
    "data", [None, "general", ["general"], 5, {}, {"name": "general"}, {"room": ["x"]}]
)
def test_malformed_join_payloads(alice, data):
    assert error_code(ack(alice, "join", data)) == "bad_request"


def test_two_payload_arguments_are_refused(alice):
    assert (
        error_code(ack(alice, "join", {"room": "a", "create": True}, {"room": "b"}))
        == "bad_request"
    )


@pytest.mark.parametrize(
    "text, code",
    [
        ("", "bad_request"),
        ("   \n\t ", "bad_request"),
        ("x" * 4001, "too_long"),
        ("bell\x07", "bad_request"),
        ("escape \x1b[2J", "bad_request"),
        ("c1 \x9b", "bad_request"),
        ("carriage\rreturn", "bad_request"),
        ("nul\x00", "bad_request"),
        ("lone \ud800 surrogate", "bad_request"),
        (123, "bad_request"),
        (None, "bad_request"),
    ],
)
def test_bad_message_texts_are_refused_and_not_stored(app, alice, text, code):
    assert error_code(ack(alice, "send", {"room": "general", "text": text})) == code
    assert received(alice, "message") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_exactly_the_maximum_length_is_accepted(alice):
    assert ack(alice, "send", {"room": "general", "text": "x" * 4000})["ok"]


def test_maximum_length_is_configurable(make_app, database_url):
    app = make_app(MAX_MESSAGE_LENGTH=10)
    client = app.test_client()
    client.post("/api/auth/register", json={"username": "alice", "password": "correct horse"})
    client.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
    sock = socketio.test_client(app, flask_test_client=client)
    ack(sock, "join", {"room": "general", "create": True})
    assert error_code(ack(sock, "send", {"room": "general", "text": "x" * 11})) == "too_long"
    sock.disconnect()


@pytest.mark.parametrize("client_id", ["", "x" * 65, "has space", 7, ["a"]])
def test_bad_client_ids(alice, client_id):
    reply = ack(alice, "send", {"room": "general", "text": "hi", "client_id": client_id})
    assert error_code(reply) == "bad_request"


def test_sending_to_a_room_not_joined(alice, connect):
    bob = connect("bob")
    ack(bob, "join", {"room": "elsewhere", "create": True})
    assert error_code(ack(alice, "send", {"room": "elsewhere", "text": "hi"})) == "not_in_room"
    assert error_code(ack(alice, "send", {"room": "nowhere", "text": "hi"})) == "not_found"
    assert received(bob, "message") == []


def test_history_of_a_room_one_is_not_a_member_of(alice, connect):
    bob = connect("bob")
    ack(bob, "join", {"room": "secret", "create": True})
    ack(bob, "send", {"room": "secret", "text": "hidden"})
    assert error_code(ack(alice, "history", {"room": "secret"})) == "not_in_room"
    assert error_code(ack(alice, "history", {"room": "missing"})) == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        {"room": "general", "limit": 0},
        {"room": "general", "limit": 101},
        {"room": "general", "limit": "10"},
        {"room": "general", "limit": True},
        {"room": "general", "before_seq": 0},
        {"room": "general", "after_seq": -1},
        {"room": "general", "after_seq": 10**30},
        {"room": "general", "before_seq": 1.5},
    ],
)
def test_bad_history_queries(alice, query):
    assert error_code(ack(alice, "history", query)) == "bad_request"


def test_unknown_command_is_not_posted(app, alice, connect):
    bob = connect("bob")
    ack(bob, "join", {"room": "general", "create": True})
    drain(alice, bob)
    reply = ack(alice, "send", {"room": "general", "text": "#nope do it"})
    assert error_code(reply) == "unknown_command"
    assert "#help" in reply["error"]["message"]
    assert received(bob, "message") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_lone_hash_is_an_ordinary_message(alice):
    assert ack(alice, "send", {"room": "general", "text": "# not a command"})["message"]


def test_unknown_events_get_an_error_ack(alice):
    assert error_code(ack(alice, "frobnicate", {"x": 1})) == "unknown_event"


def test_revoked_login_session_ends_the_socket(alice):
    # At once, not at the socket's next event: it is told why, then cut off.
    alice.http.post("/api/auth/logout")
    assert not alice.is_connected()
    told = [p["args"][0] for p in alice.queue if p["name"] == "unauthorized"]
    assert told == [
        {"code": "unauthorized", "message": "Your login session has ended; log in again."}
    ]


def test_a_socket_that_sends_on_a_dead_login_is_told_and_cut(app, alice):
    app.config["LOGIN_RECHECK_SECONDS"] = 0
    revoke_elsewhere(app, "alice")  # in the database only: no announcement here
    reply = ack(alice, "send", {"room": "general", "text": "after logout"})
    assert error_code(reply) == "unauthorized"
    assert not alice.is_connected()
    assert [p["name"] for p in alice.queue].count("unauthorized") == 1


def test_a_deleted_users_send_is_unauthorized_not_unavailable(app, alice):
    from chatapp.models import User

    app.config["LOGIN_RECHECK_SECONDS"] = 3600  # the socket still trusts its cached login
    with app.app_context():
        db.session.execute(delete(User).where(User.username == "alice"))  # as another process
        db.session.commit()
    reply = ack(alice, "send", {"room": "general", "text": "from beyond"})
    assert error_code(reply) == "unauthorized"
    assert not alice.is_connected()


def revoke_elsewhere(app, username):
    """Revoke a user's logins in the database only, as another server process would."""
    from chatapp.models import AuthSession, User
    from chatapp.models.types import utcnow

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        db.session.execute(
            update(AuthSession).where(AuthSession.user_id == user_id).values(revoked_at=utcnow())
        )
        db.session.commit()


def test_a_login_revoked_elsewhere_is_refused_once_rechecked(app, alice):
    app.config["LOGIN_RECHECK_SECONDS"] = 0  # re-read the login on every event
    revoke_elsewhere(app, "alice")
    assert error_code(ack(alice, "send", {"room": "general", "text": "hi"})) == "unauthorized"
    assert not alice.is_connected()


def test_listening_sockets_of_a_revoked_login_are_swept(app, connect, alice):
    from chatapp.server.background import end_revoked_logins

    bob = connect("bob")
    revoke_elsewhere(app, "alice")
    with app.app_context():
        end_revoked_logins()
    assert not alice.is_connected()
    assert bob.is_connected()
    assert ack(bob, "join", {"room": "general", "create": True})["ok"]


def test_database_errors_become_unavailable_not_ok(app, alice, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from chatapp.services import group_commit

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(group_commit, "store", broken)
    reply = ack(alice, "send", {"room": "general", "text": "lost?"})
    assert error_code(reply) == "unavailable"
    assert received(alice, "message") == []


def test_unexpected_errors_become_internal_error_without_details(alice, monkeypatch):
    from chatapp.services import queries

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "history_page", broken)
    reply = ack(alice, "history", {"room": "general"})
    assert error_code(reply) == "internal_error"
    assert "secret" not in str(reply)


@pytest.mark.parametrize(
    "first",
    [
        ("create", {"room": "taken"}),  # refused after a rollback: the name is in use
        ("unban", {"room": "mine", "user": "bob"}),  # refused after a rollback: no such ban
        ("read", {"room": "mine", "seq": 0}),  # answered after ending its read with a rollback
    ],
    ids=["create", "unban", "read"],
)
def test_a_rollback_in_the_event_that_loads_the_login_leaves_the_socket_working(connect, first):
    """The event that (re)loads a socket's login may roll back; the cached login survives it."""
    bob, alice = connect("bob"), connect("alice")
    assert ack(bob, "create", {"room": "taken"})["ok"]
    assert ack(alice, "create", {"room": "mine"})["ok"]
    fresh = connect("alice")  # its first event loads the login it then caches
    event, data = first
    ack(fresh, event, data)
    assert ack(fresh, "my_rooms", {})["ok"]
    assert ack(fresh, "send", {"room": "mine", "text": "still here"})["ok"]


def test_a_connect_the_door_closed_while_it_waited_leaves_nothing_behind(app, connect, monkeypatch):
    """No disconnect event comes for a connect in progress: the connect undoes itself."""
    from flask import request

    from chatapp.presence import local_sessions, presence_store

    first = connect("alice", token=True)
    token = first.http.post(
        "/api/auth/login", json={"username": "alice", "password": "correct horse"}
    ).get_json()["token"]
    with app.app_context():
        store = presence_store()
    real_connect = store.connect

    def slow_connect(sid, user):
        count = real_connect(sid, user)
        # Meanwhile the door (CONNECT_TIMEOUT) closed the connection, as its sweep does.
        socketio.server._handle_eio_disconnect(
            socketio.server.manager.eio_sid_from_sid(request.sid, "/"), "transport close"
        )
        return count

    monkeypatch.setattr(store, "connect", slow_connect)
    late = socketio.test_client(app, auth={"token": token})
    assert not late.is_connected()
    with app.app_context():
        assert len(presence_store().sessions("alice")) == 1  # the first socket's only
    with app.app_context():
        assert len(local_sessions()) == 1
