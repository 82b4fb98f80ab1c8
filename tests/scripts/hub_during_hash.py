"""Does the eventlet hub run other green threads while a password hash is in progress?

Run as a module, `python -m tests.scripts.hub_during_hash` (eventlet must patch
before anything else is imported). Every hash here first waits, blocking the
thread it runs on, until another green thread has taken a turn since the hash
began. Off the hub (chatapp's way) that turn comes at once; inline, on the hub,
it never can, and the wait gives up. No count of turns, so a busy machine
changes nothing. Prints JSON: for each hash through chatapp and each inline
hash, whether the hub ran while it was in progress.
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402

from argon2 import PasswordHasher  # noqa: E402

from chatapp import create_app  # noqa: E402
from chatapp.auth.passwords import hash_gate, hash_password, hasher_for  # noqa: E402
from chatapp.config import DEFAULTS  # noqa: E402

real_threading = eventlet.patcher.original("threading")
real_hash = PasswordHasher.hash
turn = real_threading.Event()  # set by a green thread; waited on with an OS lock
seen: list[bool] = []
patience = [0.0]


def watched_hash(self, password, **kwargs):
    """Wait until a green thread has run since this hash began, then hash."""
    turn.clear()
    seen.append(turn.wait(patience[0]))
    return real_hash(self, password, **kwargs)


def hub_turns_during(work, wait_seconds: float) -> list[bool]:
    """For each hash `work` makes: whether another green thread ran while it was in progress."""
    seen.clear()
    patience[0] = wait_seconds
    done = eventlet.event.Event()

    def ticker():
        while not done.ready():
            turn.set()
            eventlet.sleep(0.001)

    def worker():
        try:
            work()
        finally:
            done.send(True)  # never leave the caller waiting, even on failure

    eventlet.spawn(ticker)
    eventlet.sleep(0)  # let the ticker start
    worker_thread = eventlet.spawn(worker)
    done.wait()
    worker_thread.wait()  # re-raises the worker's error, if any
    return list(seen)


def hash_in_app():
    with app.app_context():  # a new green thread starts without one
        for _ in range(5):
            hash_password("correct horse battery")


app = create_app(
    {
        "TESTING": True,
        "SECRET_KEY": "k" * 40,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "SOCKETIO_ASYNC_MODE": "threading",
    }
)
with app.app_context():
    hash_gate()  # made with the real hasher: its first hash measures the machine
PasswordHasher.hash = watched_hash
# Off the hub a turn comes within milliseconds; the bound is only for a stuck run.
offloaded = hub_turns_during(hash_in_app, wait_seconds=30)
# Production cost (DEFAULTS). On the hub no turn can come: waiting longer proves nothing.
production = hasher_for(DEFAULTS)
inline = hub_turns_during(lambda: [production.hash("correct horse") for _ in range(2)], 0.5)
print(json.dumps({"offloaded": offloaded, "inline": inline}))
