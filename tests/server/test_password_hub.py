"""The password-hash gate: a few hashes at a time, bounded waits, no database connection held.

That hashing leaves the eventlet hub free is in test_under_eventlet.py.
"""

import threading

import pytest

from chatapp.auth.gate import HashGate
from chatapp.auth.passwords import hash_gate
from chatapp.errors import Busy
from tests.helpers.wait import wait_for


class Blocker:
    """Replace the password check with one that waits until released (hashes pile up)."""

    def __init__(self, monkeypatch):
        from chatapp.auth import passwords

        self.started, self.released = threading.Event(), threading.Event()
        real = passwords._verify

        def blocked(*args):
            self.started.set()
            assert self.released.wait(30)
            return real(*args)

        monkeypatch.setattr(passwords, "_verify", blocked)

    def release(self):
        self.released.set()


ROOMY_BUDGETS = {
    "RATELIMIT_LOGIN_FAILURES": "100 per 15 minutes",
    "RATELIMIT_LOGIN_ADDRESS": "100 per 15 minutes",
}


def gate_of(app):
    with app.app_context():
        return hash_gate()


def in_threads(count, function):
    """Start `count` threads running `function`; (threads, results list)."""
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(function())) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def test_a_login_that_would_wait_too_long_is_refused_busy(make_app, monkeypatch):
    """One hash at a time, no wait allowed: a second concurrent login gets 503 busy at once."""
    app = make_app(PASSWORD_HASH_WORKERS=1, PASSWORD_HASH_MAX_WAIT=0)
    body = {"username": "alice", "password": "correct horse"}
    assert app.test_client().post("/api/auth/register", json=body).status_code == 201
    blocker = Blocker(monkeypatch)
    threads, first = in_threads(1, lambda: app.test_client().post("/api/auth/login", json=body))
    try:
        assert blocker.started.wait(10)
        refused = app.test_client().post("/api/auth/login", json=body)
        assert refused.status_code == 503
        error = refused.get_json()["error"]
        assert error["code"] == "busy" and error["retry_after"] >= 1
        assert int(refused.headers["Retry-After"]) >= 1
    finally:
        blocker.release()
        threads[0].join(10)
    assert first[0].status_code == 200  # the one admitted was served
    # With the slot free again, the next login goes through.
    assert app.test_client().post("/api/auth/login", json=body).status_code == 200


def test_a_burst_of_cheap_hashes_waits_instead_of_being_refused(make_app, monkeypatch):
    """30 logins queue behind one slot: at ~ms a hash their wait is short, so none is refused."""
    # Logins in flight hold a unit of the failure budgets until answered.
    app = make_app(PASSWORD_HASH_WORKERS=1, **ROOMY_BUDGETS)
    body = {"username": "alice", "password": "correct horse"}
    assert app.test_client().post("/api/auth/register", json=body).status_code == 201
    gate = gate_of(app)
    blocker = Blocker(monkeypatch)
    threads, answers = in_threads(31, lambda: app.test_client().post("/api/auth/login", json=body))
    try:
        wait_for(lambda: answers or (gate.running, gate.waiting) == (1, 30), 30, message="a queue")
        assert answers == []  # nobody was turned away
    finally:
        blocker.release()
        for thread in threads:
            thread.join(30)
    assert [a.status_code for a in answers] == [200] * 31


def test_the_gate_refuses_by_expected_wait():
    """Expected wait = (waiting + 1) x average hash time / workers, against the bound."""
    gate = HashGate(workers=1, max_wait=2.5, cap=1000, estimate=1.0)
    release = threading.Event()
    threads = [
        threading.Thread(target=gate.run, args=(release.wait, 30), daemon=True) for _ in range(3)
    ]
    try:
        for n, thread in enumerate(threads):  # one runs, then waits of 1 s and 2 s are fine
            thread.start()
            wait_for(lambda n=n: gate.running + gate.waiting == n + 1, 10, message="admission")
        with pytest.raises(Busy) as refused:  # a 3 s wait is not
            gate.run(lambda: None)
        assert refused.value.retry_after == 1  # about when the wait is back within bounds
    finally:
        release.set()
        for thread in threads:
            thread.join(10)
    # The same queue at 10 ms a hash is nothing: a hundred may wait.
    cheap = HashGate(workers=1, max_wait=2.5, cap=1000, estimate=0.01)
    assert cheap.expected_wait() == pytest.approx(0.01)
    cheap.waiting = 100
    assert cheap.expected_wait() < cheap.max_wait


def test_waiting_logins_hold_no_database_connection(make_app, monkeypatch):
    """With a pool of one connection, logins queued for hashing leave it to other requests."""
    app = make_app(
        PASSWORD_HASH_WORKERS=1,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 2},
    )
    body = {"username": "alice", "password": "correct horse"}
    client = app.test_client()
    assert client.post("/api/auth/register", json=body).status_code == 201
    token = client.post("/api/auth/login", json=body).get_json()["token"]
    gate = gate_of(app)
    blocker = Blocker(monkeypatch)
    threads, answers = in_threads(4, lambda: app.test_client().post("/api/auth/login", json=body))
    try:
        wait_for(lambda: answers or (gate.running, gate.waiting) == (1, 3), 30, message="a queue")
        assert answers == []
        # The one connection is free: a request that needs the database is served.
        me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.get_json()
    finally:
        blocker.release()
        for thread in threads:
            thread.join(30)
    assert [a.status_code for a in answers] == [200] * 4
