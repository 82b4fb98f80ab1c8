"""The hash gate: a few password hashes at once, and a wait bounded by time.

Under the green hub every green thread shares one OS thread, so a hash runs on
a real OS thread (`server.green.off_hub`; argon2-cffi releases the GIL). Off
the hub is not enough: that thread pool has 20 threads, and 20 hashes at
once take every core from the hub too. So at most `workers` hashes run at once
(PASSWORD_HASH_WORKERS, default one core fewer than the machine has) and the
rest wait their turn.

Who is refused: a request is answered 503 "busy" (with Retry-After) only when
its *expected* wait passes PASSWORD_HASH_MAX_WAIT seconds. The expected wait
is (requests already waiting + 1) x the measured average hash time / workers,
so a burst of 200 logins at ~20 ms a hash is served (about 4 s of queue on one
worker), while the same burst at 2 s a hash is refused at once, at no cost,
rather than left to time out. (Before, a fixed queue of 16 refused 91 % of a
burst whatever the hash cost.) PASSWORD_HASH_QUEUE stays as a hard cap on the
waiting requests, a backstop for memory should the estimate be wrong.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from chatapp.errors import Busy
from chatapp.server.green import off_hub

T = TypeVar("T")

log = logging.getLogger(__name__)

# How much one new measurement moves the average. The first hashes of a burst
# run while the hub parses hundreds of requests and are slow (67 ms here
# against ~20 ms, measured); at 0.2 they alone pushed the estimate past the
# bound and refused a quarter of a burst that was then served at 22 ms a hash.
# At 0.05 a lasting change still shows within about 40 hashes (a second).
SMOOTHING = 0.05


class HashGate:
    """At most `workers` hashes at once; waits longer than `max_wait` s are refused (Busy)."""

    def __init__(self, workers: int, max_wait: float, cap: int, estimate: float) -> None:
        # Created after the monkey patching, these are green primitives.
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self.workers = workers
        self.max_wait = max_wait
        self.cap = cap
        #: Average seconds per hash, seeded by one measured hash (see passwords._gate).
        self.average = estimate
        self.waiting = 0
        self.running = 0
        self._logged_at = -1e9

    def expected_wait(self) -> float:
        """Seconds a request arriving now would wait for a slot."""
        return (self.waiting + 1) * self.average / self.workers

    def _log_refusal(self, expected: float) -> None:
        # At most every 10 s: a burst refuses hundreds in a second.
        now = time.monotonic()
        if now - self._logged_at >= 10:
            self._logged_at = now
            log.warning(
                "password hashing busy: %d waiting, %.0f ms a hash, %d workers: "
                "expected wait %.1f s > %.1f s",
                self.waiting,
                self.average * 1000,
                self.workers,
                expected,
                self.max_wait,
            )

    def run(self, function: Callable[..., T], *args) -> T:
        """Run `function(*args)` off the hub in a slot; raise Busy if the wait is too long."""
        with self._lock:
            # No overtaking: while others wait, a newcomer queues behind them.
            admitted = self.waiting == 0 and self._slots.acquire(blocking=False)
            if not admitted:
                expected = self.expected_wait()
                if expected > self.max_wait or self.waiting >= self.cap:
                    self._log_refusal(expected)
                    retry = max(1, math.ceil(expected - self.max_wait))
                    raise Busy(retry, "Too many logins at once; try again in a moment.")
                self.waiting += 1
        if not admitted:
            try:
                self._slots.acquire()
            finally:
                with self._lock:
                    self.waiting -= 1
        with self._lock:
            self.running += 1
        timing = [0.0]
        try:
            return off_hub(_timed, timing, function, *args)
        finally:
            with self._lock:
                self.running -= 1
                if timing[0]:
                    self.average += SMOOTHING * (timing[0] - self.average)
            self._slots.release()


def _timed(timing: list[float], function: Callable[..., T], *args) -> T:
    """Run `function`, writing its duration in timing[0], measured on its own thread.

    Timed around the call on the hub instead, a hash would also count the time
    the hub takes to come back to it: under a burst of 200 requests that
    tripled the estimate and refused requests that would have been served in time.
    """
    started = time.perf_counter()
    try:
        return function(*args)
    finally:
        timing[0] = time.perf_counter() - started
