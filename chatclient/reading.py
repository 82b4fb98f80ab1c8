"""Read state: telling the server how far the user has read, without a call per line.

Rooms marks a room as messages of the current room are shown; one thread of
its own sends `read` {"room", "seq"} a moment later with the highest seq
marked, so a burst of lines (a page of history, a busy room) costs one call,
and at most one `read` is in flight at a time. A mark that got no answer (a
lost connection) is kept and sent after the reconnect (`wake`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: How long a burst of shown lines may go on before its read mark is sent.
BATCH_SECONDS = 0.3


class ReadMarker:
    """`call(event, data, timeout)` returns the ack or None; `ready()` says whether calls may go."""

    def __init__(
        self,
        call: Callable[..., dict | None],
        ready: Callable[[], bool],
        stop: threading.Event,
        acknowledged: Callable[[dict], None],
    ) -> None:
        self._call = call
        self._ready = ready
        self._stop = stop
        self._acknowledged = acknowledged
        self._wanted: dict[str, int] = {}  # room -> highest seq shown, not yet sent
        self._sent: dict[str, int] = {}  # room -> highest seq the server confirmed
        self._lock = threading.Lock()
        self._sending = threading.Lock()  # one `read` in flight at a time
        self._wakeup = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="chat-read", daemon=True).start()

    def mark(self, room: str, seq: int) -> None:
        """The user has seen `room` up to `seq` (sent soon, once, coalesced)."""
        with self._lock:
            if seq <= max(self._wanted.get(room, 0), self._sent.get(room, 0)):
                return
            self._wanted[room] = seq
        self._wakeup.set()

    def confirmed(self, room: str, last_read_seq: int) -> None:
        """The server's read mark for `room` (an ack, or another session's `read`)."""
        with self._lock:
            self._sent[room] = max(self._sent.get(room, 0), last_read_seq)

    def wake(self) -> None:
        """Try again now (after a reconnect)."""
        self._wakeup.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._wakeup.wait(1):
                continue
            self._wakeup.clear()
            if self._stop.wait(BATCH_SECONDS):
                return
            with self._sending:
                self._send_marks()

    def flush(self, timeout: float = 2) -> None:
        """Send what is marked now (before quitting), waiting `timeout` at most for each step."""
        if self._sending.acquire(timeout=timeout):
            try:
                self._send_marks(timeout)
            finally:
                self._sending.release()

    def _send_marks(self, timeout: float = 10) -> None:
        while self._ready():
            with self._lock:
                if not self._wanted:
                    return
                room, seq = self._wanted.popitem()
                if seq <= self._sent.get(room, 0):
                    continue
            reply = self._call("read", {"room": room, "seq": seq}, timeout)
            if reply is None:
                with self._lock:  # no answer: kept for after the reconnect
                    self._wanted[room] = max(seq, self._wanted.get(room, 0))
                return
            if reply.get("ok"):
                self.confirmed(room, int(reply.get("last_read_seq", seq)))
                self._acknowledged(reply)
            # Refused (the room is gone, the user was removed): nothing to keep.
