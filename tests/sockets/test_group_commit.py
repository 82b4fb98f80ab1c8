"""Group commit: sends queued behind a transaction in flight are stored in one, correctly.

A test holds a room's lock from outside the app (tests.helpers.held_room), so
the batch in flight waits and the sends it starts queue up deterministically.
"""

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from chatapp.extensions import db
from chatapp.models import Message, Room
from chatapp.services.rooms import RoomKey
from tests.helpers.held_room import finish, queue_sends, room_locked, start_leader
from tests.helpers.services import database_backends
from tests.helpers.sockets import ack, drain, received
from tests.helpers.wait import wait_for


@pytest.fixture
def app(make_app):
    # The queued sends wait as long as a test holds the lock; so does SQLite's batch.
    return make_app(SEND_MAX_WAIT=30, SQLITE_BUSY_TIMEOUT=30)


@pytest.fixture
def rooms(app, connect):
    """alice and bob in #one and #two; carol in #one, listening. (carol's socket, keys)"""
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    for sock, names in ((alice, ("one", "two")), (bob, ("one", "two")), (carol, ("one",))):
        for name in names:
            assert ack(sock, "join", {"room": name, "create": True})["ok"]
    drain(alice, bob, carol)
    with app.app_context():
        ids = {name: id_ for name, id_ in db.session.execute(select(Room.name, Room.id))}
    return carol, RoomKey(ids["one"], "one"), RoomKey(ids["two"], "two")


def stored(app, room_id):
    """(seq, text, client_id) of a room's messages, in seq order."""
    with app.app_context():
        rows = db.session.execute(
            select(Message.seq, Message.text, Message.client_id)
            .where(Message.room_id == room_id)
            .order_by(Message.seq)
        )
        return [tuple(row) for row in rows]


def batches():
    count = REGISTRY.get_sample_value("chatapp_send_batch_size_count") or 0
    total = REGISTRY.get_sample_value("chatapp_send_batch_size_sum") or 0
    return count, total


def retries(reason):
    return REGISTRY.get_sample_value("chatapp_send_batch_retries_total", {"reason": reason}) or 0


def test_queued_sends_are_stored_in_one_transaction_in_queue_order(app, rooms):
    carol, one, two = rooms
    count, total = batches()
    with room_locked(app, one.id):
        leader = start_leader(app, "alice", one)
        queued = queue_sends(
            app,
            [
                ("bob", one, "b1"),
                ("alice", two, "a-two"),
                ("alice", one, "a1"),
                ("bob", two, "b-two"),
                ("bob", one, "b2"),
            ],
        )
    finish(leader, *queued)
    # The leader's batch, then one batch of the five queued behind it.
    assert batches() == (count + 2, total + 6)
    assert [seq for seq, *_ in stored(app, one.id)] == [1, 2, 3, 4]
    assert [text_ for _, text_, _ in stored(app, one.id)] == ["first", "b1", "a1", "b2"]
    assert [text_ for _, text_, _ in stored(app, two.id)] == ["a-two", "b-two"]
    acked = [o["sent"][0] for o in queued]
    assert [(m["room"], m["seq"]) for m in acked] == [
        ("one", 2),
        ("two", 1),
        ("one", 3),
        ("two", 2),
        ("one", 4),
    ]
    # Broadcast in seq order, each once.
    assert [m["seq"] for m in received(carol, "message")] == [1, 2, 3, 4]


def test_a_retry_inside_a_batch_is_stored_once(app, rooms):
    _, one, _ = rooms
    with room_locked(app, one.id):
        leader = start_leader(app, "alice", one)
        original, retry, other = queue_sends(
            app,
            [("alice", one, "hi", "c-1"), ("alice", one, "hi", "c-1"), ("bob", one, "x", "c-1")],
        )
    finish(leader, original, retry, other)
    (first, created), (again, created_again) = original["sent"], retry["sent"]
    assert created and not created_again and again == first
    assert other["sent"][1] and other["sent"][0]["id"] != first["id"]  # bob's own c-1
    assert stored(app, one.id) == [
        (1, "first", leader["sent"][0]["client_id"]),
        (2, "hi", "c-1"),
        (3, "x", "c-1"),
    ]


def test_a_retry_of_a_committed_message_in_a_batch_leaves_no_gap(app, rooms):
    _, one, _ = rooms
    with room_locked(app, one.id):
        leader = start_leader(app, "alice", one)
    finish(leader)
    before = retries("repeat")
    with room_locked(app, one.id):
        second = start_leader(app, "bob", one, "second")
        queued = queue_sends(
            app,
            [
                ("bob", one, "x"),
                ("alice", one, "first", leader["sent"][0]["client_id"]),
                ("bob", one, "y"),
            ],
        )
    finish(second, *queued)
    repeat = queued[1]["sent"]
    assert repeat == (leader["sent"][0], False)
    assert retries("repeat") == before + 1  # stored again, knowing the repeat
    assert [text_ for _, text_, _ in stored(app, one.id)] == ["first", "second", "x", "y"]
    assert [seq for seq, *_ in stored(app, one.id)] == [1, 2, 3, 4]


def test_a_send_the_database_refuses_fails_only_itself(app, rooms):
    _, one, _ = rooms
    with room_locked(app, one.id):
        leader = start_leader(app, "alice", one)
        good, bad, also_good = queue_sends(
            app, [("alice", one, "ok 1"), ("bob", one, None), ("bob", one, "ok 2")]
        )
    finish(leader, good, bad, also_good)
    assert isinstance(bad["error"], IntegrityError)  # text NULL: a constraint refuses it
    assert [text_ for _, text_, _ in stored(app, one.id)] == ["first", "ok 1", "ok 2"]
    assert [seq for seq, *_ in stored(app, one.id)] == [1, 2, 3]


@pytest.fixture
def impatient_app(make_app, database_url):
    """The database gives up on a held lock after 2 s: the batch fails as a whole.

    (Long enough for the test to queue three sends behind the first batch.)
    """
    if database_url.startswith("sqlite"):
        return make_app(SEND_MAX_WAIT=30, SQLITE_BUSY_TIMEOUT=2)
    engine = {"connect_args": {"options": "-c lock_timeout=2000"}}
    return make_app(SEND_MAX_WAIT=30, SQLALCHEMY_ENGINE_OPTIONS=engine)


def test_a_batch_that_fails_fails_as_a_whole_and_takes_no_number(impatient_app, connect):
    app = impatient_app
    alice, bob = connect("alice"), connect("bob")
    for sock in (alice, bob):
        assert ack(sock, "join", {"room": "one", "create": True})["ok"]
    with app.app_context():
        one = RoomKey(db.session.scalar(select(Room.id).where(Room.name == "one")), "one")
    with room_locked(app, one.id):
        leader = start_leader(app, "alice", one)
        queued = queue_sends(app, [("alice", one, "a"), ("bob", one, "b"), ("alice", one, "c")])
        finish(
            leader, *queued
        )  # each batch gives up on the lock: first the leader's, then one of 3
    for outcome in (leader, *queued):
        assert isinstance(outcome["error"], OperationalError)
    assert stored(app, one.id) == []
    reply = ack(bob, "send", {"room": "one", "text": "after"})
    assert reply["ok"] and reply["message"]["seq"] == 1


# SQLite has no server to drop a connection: PostgreSQL only (both under CI).
@pytest.mark.parametrize(
    "database_url", [name for name in database_backends() if name == "postgresql"], indirect=True
)
def test_a_dropped_database_connection_is_replaced_and_the_batch_stored(app, rooms):
    _, one, _ = rooms
    before = retries("reconnect")
    with room_locked(app, one.id):
        leader = start_leader(app, "alice", one)
        queued = queue_sends(app, [("bob", one, "b")])
        with app.app_context(), db.engine.connect() as admin:
            waiting = text(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            pid = wait_for(lambda: admin.execute(waiting).scalar(), 10, message="batch waits")
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        wait_for(lambda: retries("reconnect") == before + 1, 10, message="the batch retried")
    finish(leader, *queued)
    assert "error" not in leader and "error" not in queued[0]
    assert [text_ for _, text_, _ in stored(app, one.id)] == ["first", "b"]


def test_a_send_from_a_deleted_account_is_unauthorized_and_stores_nothing(app, connect):
    """The socket still holds the login (re-checked only every LOGIN_RECHECK_SECONDS)."""
    alice, bob = connect("alice"), connect("bob")
    for sock in (alice, bob):
        assert ack(sock, "join", {"room": "one", "create": True})["ok"]
    with app.app_context():
        one = db.session.scalar(select(Room.id).where(Room.name == "one"))
        # Deleted behind the server's back: no revocation is announced.
        db.session.execute(text("DELETE FROM users WHERE username = 'bob'"))
        db.session.commit()
    reply = ack(bob, "send", {"room": "one", "text": "ghost"})
    assert reply["ok"] is False and reply["error"]["code"] == "unauthorized"
    assert stored(app, one) == []
