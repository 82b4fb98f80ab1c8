"""Backpressure on sends: refuse quickly and clearly what cannot be served soon.

Past its ceiling a server that accepts everything queues sends as green
threads waiting for database connections: latency climbs to seconds, clients
time out and retry, and throughput collapses (issue 14's overload run). Here
at most SEND_CONCURRENCY sends per process store at once (fewer than the
database pool holds, so history reads and joins still get a connection), at
most SEND_QUEUE_LIMIT wait for a turn, and none waits longer than
SEND_MAX_WAIT seconds: the others are answered `busy` with `retry_after` at
once, and clients resend them with their `client_id` (stored once).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app

from chatapp import metrics
from chatapp.errors import Busy

BUSY_MESSAGE = "The server is busy; this message was not stored. Send it again shortly."


class SendGate:
    """A counting gate with a bounded waiting room (green-thread safe once patched)."""

    def __init__(self, concurrency: int, queue_limit: int, max_wait: float) -> None:
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._lock = threading.Lock()
        self.waiting = 0
        self.queue_limit = queue_limit
        self.max_wait = max_wait

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots for the body, or raise Busy."""
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self.waiting >= self.queue_limit:
                    metrics.SENDS_REFUSED.labels(reason="queue_full").inc()
                    raise Busy(1, BUSY_MESSAGE)
                self.waiting += 1
            try:
                acquired = self._slots.acquire(timeout=self.max_wait)
            finally:
                with self._lock:
                    self.waiting -= 1
            if not acquired:
                metrics.SENDS_REFUSED.labels(reason="waited_too_long").inc()
                raise Busy(1, BUSY_MESSAGE)
        try:
            yield
        finally:
            self._slots.release()


def init_app(app: Flask) -> None:
    app.extensions["chatapp.send_gate"] = SendGate(
        app.config["SEND_CONCURRENCY"], app.config["SEND_QUEUE_LIMIT"], app.config["SEND_MAX_WAIT"]
    )


def send_slot():
    """The current app's gate's slot: `with send_slot(): ...store the message...`."""
    gate: SendGate = current_app.extensions["chatapp.send_gate"]
    return gate.slot()
