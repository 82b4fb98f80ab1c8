"""Password hashing at an OWASP-grade cost without freezing the server.

scrypt at N=2^15, r=8, p=3 takes a few hundred milliseconds of CPU. Under
eventlet every green thread shares one OS thread, so hashing inline would
stall every connection of the process; `eventlet.tpool` runs it on a real OS
thread instead (hashlib releases the GIL while it works).

Off the hub is not enough: eventlet's pool has 20 threads, and 20 hashes at
once take every core from the hub too (10 logins/s need 2.8 cores here). At
most PASSWORD_HASH_WORKERS hashes run at once (default: one core fewer than
the machine has); PASSWORD_HASH_QUEUE more may wait; beyond that a login is
refused at once with 503 "busy" and Retry-After, at no cost.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from chatapp.errors import Busy

T = TypeVar("T")

_dummy_hashes: dict[str, str] = {}


def _off_hub(function: Callable[..., T], *args) -> T:
    """Run CPU-heavy `function` on an OS thread when eventlet is in charge."""
    eventlet = sys.modules.get("eventlet")
    if eventlet is not None and eventlet.patcher.is_monkey_patched("thread"):
        from eventlet import tpool

        return tpool.execute(function, *args)
    return function(*args)


class HashGate:
    """At most `workers` hashes at once and `queue` waiting; more are refused (Busy)."""

    def __init__(self, workers: int, queue: int) -> None:
        # Created after eventlet's monkey patching, these are green primitives.
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._waiting = 0
        self._queue = queue

    def run(self, function: Callable[..., T], *args) -> T:
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self._queue:
                    raise Busy(2, "Too many logins at once; try again in a moment.")
                self._waiting += 1
            try:
                self._slots.acquire()
            finally:
                with self._lock:
                    self._waiting -= 1
        try:
            return _off_hub(function, *args)
        finally:
            self._slots.release()


def _gate() -> HashGate:
    gate = current_app.extensions.get("chatapp.hash_gate")
    if gate is None:
        workers = current_app.config["PASSWORD_HASH_WORKERS"] or max(1, (os.cpu_count() or 2) - 1)
        gate = HashGate(workers, current_app.config["PASSWORD_HASH_QUEUE"])
        current_app.extensions["chatapp.hash_gate"] = gate
    return gate


def hash_password(password: str) -> str:
    """Hash `password` with the configured method (PASSWORD_HASH_METHOD)."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    return _gate().run(generate_password_hash, password, method)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check `password`; with no hash, spend the same time and answer False.

    Hashing a dummy for unknown users keeps a login for a missing account as
    slow as one with a wrong password, so timing reveals no usernames.
    """
    if password_hash is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _dummy_hashes:
            _dummy_hashes[method] = _off_hub(generate_password_hash, "not-a-password", method)
        _gate().run(check_password_hash, _dummy_hashes[method], password)
        return False
    return _gate().run(check_password_hash, password_hash, password)
