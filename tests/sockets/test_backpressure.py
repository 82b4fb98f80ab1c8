"""Backpressure: sends beyond what the process can store soon are refused `busy`, at once."""

import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from chatapp.extensions import db
from chatapp.models import Message
from chatapp.services import messages
from chatapp.services.admission import SendGate
from tests.helpers.sockets import ack


@pytest.fixture
def app(make_app):
    # One send at a time, one waiting, for at most 0.2 s.
    return make_app(SEND_CONCURRENCY=1, SEND_QUEUE_LIMIT=1, SEND_MAX_WAIT=0.2)


def stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


@pytest.fixture
def held(app):
    """The app's only send slot, held by the test until it leaves the block."""
    gate = app.extensions["chatapp.send_gate"]

    class Holder:
        def __enter__(self):
            assert gate._slots.acquire(blocking=False)
            return gate

        def __exit__(self, *exc):
            gate._slots.release()

    return Holder()


def test_a_send_that_would_wait_too_long_is_refused_busy_and_stores_nothing(app, connect, held):
    alice = connect("alice")
    ack(alice, "join", {"room": "lobby", "create": True})
    with held:
        reply = ack(alice, "send", {"room": "lobby", "text": "hi", "client_id": "c1"})
    assert reply["ok"] is False
    assert reply["error"]["code"] == "busy" and reply["error"]["retry_after"] == 1
    assert stored(app) == 0
    # The client resends with the same client_id once told: stored once.
    again = ack(alice, "send", {"room": "lobby", "text": "hi", "client_id": "c1"})
    assert again["ok"] and again["message"]["seq"] == 1
    assert stored(app) == 1


def test_a_full_waiting_room_refuses_at_once(app, held):
    with held as gate:
        waiter = threading.Thread(target=lambda: gate_try(gate))
        waiter.start()
        deadline = time.monotonic() + 5
        while gate.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gate.waiting == 1
        began = time.monotonic()
        with pytest.raises(Exception) as refused:
            with gate.slot():
                pass
        # Not a timing assertion on the server: the refusal did not wait its turn.
        assert refused.value.code == "busy" and time.monotonic() - began < gate.max_wait
        waiter.join(5)


def gate_try(gate):
    try:
        with gate.slot():
            pass
    except Exception:  # the waiter itself times out: expected
        pass


def test_the_gate_never_admits_more_than_its_concurrency():
    gate = SendGate(concurrency=3, queue_limit=100, max_wait=5)
    inside, most, lock = [0], [0], threading.Lock()

    def work():
        with gate.slot():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.01)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most[0] == 3 and gate.waiting == 0


def test_an_exhausted_database_pool_is_busy_not_an_internal_error(app, connect, monkeypatch, auth):
    alice = connect("alice")
    ack(alice, "join", {"room": "lobby", "create": True})

    def no_connection(*args, **kwargs):
        raise PoolTimeout("QueuePool limit of size 20 overflow 20 reached")

    monkeypatch.setattr(messages, "insert_message", no_connection)
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
