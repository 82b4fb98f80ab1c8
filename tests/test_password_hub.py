"""Production-cost hashing must not freeze the eventlet hub (every other connection)."""

import json
import os
import subprocess
import sys

from tests.server import ROOT


def test_hashing_runs_off_the_hub():
    result = subprocess.run(
        [sys.executable, "tests/scripts/hub_during_hash.py"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ticks = json.loads(result.stdout.strip().splitlines()[-1])
    # Hashing inline blocks the hub: the other green thread gets (almost) no turn.
    assert ticks["inline"] <= 2, ticks
    # Through chatapp the hash runs on an OS thread: the hub keeps serving.
    assert ticks["offloaded"] >= 20, ticks


def test_logins_beyond_the_hashing_queue_are_refused_busy(make_app, monkeypatch):
    """One hash at a time and none waiting: a second concurrent login gets 503 busy at once."""
    import threading

    from chatapp.auth import passwords

    app = make_app(PASSWORD_HASH_WORKERS=1, PASSWORD_HASH_QUEUE=0)
    body = {"username": "alice", "password": "correct horse"}
    assert app.test_client().post("/api/auth/register", json=body).status_code == 201
    hashing, release = threading.Event(), threading.Event()
    real_check = passwords.check_password_hash

    def slow_check(*args):
        hashing.set()
        assert release.wait(10)
        return real_check(*args)

    monkeypatch.setattr(passwords, "check_password_hash", slow_check)
    first: list = []
    worker = threading.Thread(
        target=lambda: first.append(app.test_client().post("/api/auth/login", json=body))
    )
    worker.start()
    try:
        assert hashing.wait(10)
        refused = app.test_client().post("/api/auth/login", json=body)
        assert refused.status_code == 503
        assert refused.get_json()["error"]["code"] == "busy"
        assert int(refused.headers["Retry-After"]) >= 1
    finally:
        release.set()
        worker.join(10)
    assert first[0].status_code == 200  # the one admitted was served
    # With the slot free again, the next login goes through.
    assert app.test_client().post("/api/auth/login", json=body).status_code == 200
