"""Count how often the eventlet hub runs another green thread during one password hash.

Run as a script (eventlet must patch before anything else is imported). Prints
JSON: ticks while hashing through chatapp (offloaded) and while hashing inline.
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402

from chatapp import create_app  # noqa: E402
from chatapp.auth.passwords import hash_password, hasher_for  # noqa: E402
from chatapp.config import DEFAULTS  # noqa: E402


def ticks_during(work) -> int:
    """How many 1 ms naps another green thread completes while `work` runs."""
    done = eventlet.event.Event()
    count = 0

    def ticker():
        nonlocal count
        while not done.ready():
            eventlet.sleep(0.001)
            count += 1

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
    return count


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
offloaded = ticks_during(hash_in_app)
# Production cost (DEFAULTS), several hashes: one Argon2id hash is only ~20 ms.
production = hasher_for(DEFAULTS)
inline = ticks_during(lambda: [production.hash("correct horse") for _ in range(5)])
print(json.dumps({"offloaded": offloaded, "inline": inline}))
