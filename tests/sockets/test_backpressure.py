"""Backpressure: sends beyond what the process can store soon are refused `busy`, at once."""

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from chatapp.errors import Busy
from chatapp.extensions import db
from chatapp.models import Message, Room
from chatapp.services import group_commit
from chatapp.services.rooms import RoomKey
from tests.helpers.held_room import committer, finish, queue_sends, room_locked, start_leader
from tests.helpers.sockets import ack


@pytest.fixture
def app(make_app):
    # One send may wait behind the batch in flight, for at most 0.2 s.
    # SQLite: the batch waits for the held write lock longer than the test holds it.
    return make_app(SEND_QUEUE_LIMIT=1, SEND_MAX_WAIT=0.2, SQLITE_BUSY_TIMEOUT=30)


def room_key(app, name):
    with app.app_context():
        return RoomKey(db.session.scalar(select(Room.id).where(Room.name == name)), name)


def stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


def refused(reason):
    return REGISTRY.get_sample_value("chatapp_sends_refused_total", {"reason": reason}) or 0


@pytest.fixture
def lobby(app, connect):
    """alice's socket in #lobby, and the room as a send names it."""
    alice = connect("alice")
    assert ack(alice, "join", {"room": "lobby", "create": True})["ok"]
    return alice, room_key(app, "lobby")


def test_a_send_that_would_wait_too_long_is_refused_busy_and_stores_nothing(app, lobby):
    alice, room = lobby
    before = refused("waited_too_long")
    with room_locked(app, room.id):
        leader = start_leader(app, "alice", room)
        reply = ack(alice, "send", {"room": "lobby", "text": "hi", "client_id": "c1"})
    finish(leader)
    assert reply["ok"] is False
    assert reply["error"]["code"] == "busy" and reply["error"]["retry_after"] == 1
    assert refused("waited_too_long") == before + 1
    assert "sent" in leader and stored(app) == 1  # the batch in flight was never refused
    # The client resends with the same client_id once told: stored once.
    again = ack(alice, "send", {"room": "lobby", "text": "hi", "client_id": "c1"})
    assert again["ok"] and again["message"]["seq"] == 2
    assert stored(app) == 2


def test_a_full_queue_refuses_at_once(app, lobby):
    alice, room = lobby
    committer(app).max_wait = 30  # the queued send waits for as long as the test needs
    before = refused("queue_full")
    with room_locked(app, room.id):
        leader = start_leader(app, "alice", room)
        (queued,) = queue_sends(app, [("alice", room, "second")])
        # The queue is full: refused without waiting SEND_MAX_WAIT (30 s).
        reply = ack(alice, "send", {"room": "lobby", "text": "third"})
        assert committer(app).waiting == 1
    finish(leader, queued)
    assert reply["error"]["code"] == "busy" and refused("queue_full") == before + 1
    assert [o["sent"][0]["seq"] for o in (leader, queued)] == [1, 2]
    assert stored(app) == 2


def test_a_refused_send_leaves_the_queue_working(app, lobby):
    alice, room = lobby
    with room_locked(app, room.id):
        leader = start_leader(app, "alice", room)
        with app.app_context(), pytest.raises(Busy):
            group_commit.submit(
                group_commit.Send(1, "alice", room.id, "lobby", "x", "c-x", "t" * 16)
            )
    finish(leader)
    assert committer(app).waiting == 0 and not committer(app)._leading
    assert ack(alice, "send", {"room": "lobby", "text": "after"})["message"]["seq"] == 2


def test_an_exhausted_database_pool_is_busy_not_an_internal_error(app, connect, monkeypatch, auth):
    alice = connect("alice")
    ack(alice, "join", {"room": "lobby", "create": True})

    def no_connection(*args, **kwargs):
        raise PoolTimeout("QueuePool limit of size 20 overflow 20 reached")

    monkeypatch.setattr(group_commit, "store", no_connection)
    reply = ack(alice, "send", {"room": "lobby", "text": "hi"})
    assert reply["error"]["code"] == "busy" and reply["error"]["retry_after"] == 1
    posted = alice.http.post("/api/rooms/lobby/messages", json={"text": "hi"})
    assert posted.status_code == 503 and posted.headers["Retry-After"] == "1"
    assert posted.get_json()["error"]["code"] == "busy"


def test_retry_after_is_only_on_refusals_and_says_what_the_error_says(client, auth):
    """Flask-Limiter stamps a Retry-After of its window on every limited response."""
    auth.signup("alice")
    ok = client.get("/api/rooms")
    assert ok.status_code == 200 and "Retry-After" not in ok.headers
    assert "X-RateLimit-Remaining" in ok.headers  # the limiter still counts
