"""Sending typed lines: in order, each once, never dropped without a word.

The sending half of ChatSession. Lines wait in `pending` until the server
acknowledges them; without an ack (a lost connection) a line stays queued and
is resent after the reconnect with its original `client_id`, so it is stored
once. A line refused for good (too long, bad input) is reported and counted
in `refused`. While the login has ended nothing is sent; the lines stay queued
for a new login, and `unsent()` lists them for the user.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatclient.render import Output


@dataclass
class Pending:
    room: str
    text: str
    client_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    not_before: float = 0.0


#: Refusals that say when to send again: code -> what the user is told.
RETRY_LATER = {"rate_limited": "Rate limited", "busy": "The server is busy"}


class Sender:
    """Needs from its subclass: sio, out, current, synced, login_ended, _stop, _call, _show."""

    # Declared for the type checker; ChatSession (or Rooms) provides them.
    sio: Any  # a socketio.Client
    out: Output
    current: str | None
    synced: threading.Event
    login_ended: threading.Event
    _stop: threading.Event
    _call: Callable[..., dict | None]
    _show: Callable[[str, list[dict]], None]
    _show_lock: threading.RLock
    error_reply: Callable[..., None]

    def __init__(self) -> None:
        self.pending: deque[Pending] = deque()
        self.refused = 0  # lines refused for good: piped mode then exits 1
        self._send_wakeup = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        # Guards "queue empty (or stuck on an ended login)" <-> "idle", so
        # wait_idle never returns while a line could still be sent.
        self._pending_lock = threading.Lock()

    def start_sender(self) -> None:
        threading.Thread(target=self._sender, name="chat-sender", daemon=True).start()

    def wake_sender(self) -> None:
        self._send_wakeup.set()

    def send(self, text: str, room: str | None = None) -> None:
        """Queue a line for the current room; the sender thread delivers it."""
        target = room or self.current
        if target is None:
            self.out.error("Join a room first: /join NAME", "no_room")
            self.count_refusal()
            return
        with self._pending_lock:
            self.pending.append(Pending(target, text))
            if not self.login_ended.is_set():
                self._idle.clear()
        self._send_wakeup.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued line was acknowledged or refused, or the login ended."""
        return self._idle.wait(timeout)

    def count_refusal(self) -> None:
        """A line was refused for good (by the server, or as a bad command)."""
        with self._pending_lock:
            self.refused += 1

    def unsent(self) -> list[str]:
        """The queued lines not acknowledged yet, oldest first."""
        with self._pending_lock:
            return [item.text for item in self.pending]

    def stop_sending_for_login(self) -> bool:
        """The login ended: stop sending, keep the queue. True the first time."""
        with self._pending_lock:
            if self.login_ended.is_set():
                return False
            self.login_ended.set()
            self._idle.set()  # nothing more can be sent: waiters return
        self._send_wakeup.set()
        return True

    def resume_sending(self) -> None:
        """A new login: the queue may be sent again."""
        with self._pending_lock:
            self.login_ended.clear()
            if self.pending:
                self._idle.clear()
        self._send_wakeup.set()

    def _can_send(self) -> bool:
        return (
            self.synced.is_set()
            and self.sio.connected
            and not self._stop.is_set()
            and not self.login_ended.is_set()
        )

    def _sender(self) -> None:
        while not self._stop.is_set():
            try:
                self._send_pending()
            except Exception as error:  # noqa: BLE001 (the sender must outlive any error)
                self.out.error(f"Sending failed: {error}; retrying.", "client_error")
                self._stop.wait(1)

    def _send_pending(self) -> None:
        self._send_wakeup.wait(0.5)
        self._send_wakeup.clear()
        while self.pending and self._can_send():
            item = self.pending[0]
            delay = item.not_before - time.monotonic()
            if delay > 0:
                self._send_wakeup.wait(delay)
                continue
            reply = self._call(
                "send", {"room": item.room, "text": item.text, "client_id": item.client_id}
            )
            if reply is None:
                break  # no ack: keep it; it is resent (same client_id) after reconnecting
            if self._handled(item, reply):
                with self._pending_lock:
                    self.pending.popleft()
        with self._pending_lock:
            if not self.pending or self.login_ended.is_set():
                self._idle.set()

    def _handled(self, item: Pending, reply: dict) -> bool:
        """Show the outcome; False to keep the line queued for a retry."""
        if reply.get("ok"):
            if "message" in reply:
                with self._show_lock:
                    self._show(item.room, [reply["message"]])
            elif "command" in reply:
                self.out.command(reply["command"], reply["result"])
            return True
        error = reply.get("error", {})
        code = error.get("code")
        if code == "unauthorized":
            return False  # kept for a new login; the login's end is said once
        if code in RETRY_LATER:  # kept, and sent again with its client_id after retry_after
            wait = int(error.get("retry_after", 1))
            self.out.error(
                f"{RETRY_LATER[code]}: sending again in {wait}s.", code, retry_after=wait
            )
            item.not_before = time.monotonic() + wait
            return False
        if code == "unavailable":
            self.out.error("The server cannot store messages right now; retrying.", "unavailable")
            item.not_before = time.monotonic() + 2
            return False
        self.error_reply(reply, prefix="Not sent")
        self.count_refusal()
        return True  # refused for good (too long, bad input...): said, counted, not retried
