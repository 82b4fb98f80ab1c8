"""The connection to the server: rooms, ordering, gap filling and reliable sends.

Per room the client remembers the highest `seq` it has shown. Messages are
shown once each, in order: a live message that skips ahead first pulls the
missing ones from `history`. After a reconnect (with backoff and jitter, by
python-socketio) it rejoins its rooms, fills the gap, says so, and resends
unacknowledged lines with their original `client_id`, so they are stored once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import socketio

from chatapp.client.render import Output

HISTORY_PAGE = 100


class ConnectFailed(Exception):
    """The first connection could not be made; the message says why."""


@dataclass
class Pending:
    room: str
    text: str
    client_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    not_before: float = 0.0


class ChatSession:
    def __init__(self, server: str, token: str, out: Output) -> None:
        self.server = server
        self.token = token
        self.out = out
        self.sio = socketio.Client(
            reconnection=True,
            reconnection_attempts=0,  # forever
            reconnection_delay=1,
            reconnection_delay_max=15,
            randomization_factor=0.5,  # jitter: clients do not return in lockstep
        )
        self.rooms: dict[str, int] = {}  # joined room -> highest seq shown
        self.current: str | None = None
        self.pending: deque[Pending] = deque()
        self._early: dict[str, list[dict]] = {}
        self._show_lock = threading.RLock()
        self._send_wakeup = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        # Guards "queue empty" <-> "idle" so wait_idle never returns with a line queued.
        self._pending_lock = threading.Lock()
        self._closing = False
        self._connected_once = False
        self._fatal: str | None = None
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("message", self._on_message)
        self.sio.on("presence", self.out.presence)
        self.sio.on("notice", self.out.notice)

    # -- connection --

    def connect(self) -> None:
        try:
            self.sio.connect(
                self.server, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
            )
        except socketio.exceptions.ConnectionError as error:
            raise ConnectFailed(f"Cannot connect to {self.server}: {error}") from None
        self._connected_once = True
        threading.Thread(target=self._sender, name="chat-sender", daemon=True).start()

    def _on_connect(self) -> None:
        if self._connected_once:
            # A reconnect: catch up off the event thread (calls need their acks).
            self.sio.start_background_task(self._resync)

    def _on_disconnect(self, *reason) -> None:
        if not self._closing:
            self.out.error("Disconnected from the server; reconnecting...", "disconnected")

    def _resync(self) -> None:
        for room in list(self.rooms):
            self._join(room, quiet=True)
        self.out.info("Reconnected.", "reconnected")
        self._send_wakeup.set()

    def close(self) -> None:
        """Leave every room and disconnect (Ctrl-D, Ctrl-C, /quit, end of input)."""
        self._closing = True
        if self.sio.connected:
            for room in list(self.rooms):
                try:
                    self.sio.call("leave", {"room": room}, timeout=5)
                except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                    break
            self.sio.disconnect()
        self._send_wakeup.set()

    # -- rooms --

    def join(self, room: str) -> bool:
        """Join `room` and make it current; True on success."""
        return self._join(room.strip().lower(), quiet=False)

    def _call(self, event: str, data: dict, timeout: float = 10) -> dict | None:
        """The ack, or None when there was none (timeout, disconnected mid-call...)."""
        try:
            return self.sio.call(event, data, timeout=timeout)
        except Exception:  # noqa: BLE001 (any failure here means "no ack": retry later)
            return None

    def _join(self, room: str, quiet: bool) -> bool:
        with self._show_lock:
            self._early.setdefault(room, [])
        reply = self._call("join", {"room": room})
        if reply is None:
            self.out.error(f"No answer joining #{room}; will retry after reconnecting.", "timeout")
            return False
        if not reply.get("ok"):
            self._early.pop(room, None)
            self.error_reply(reply)
            return False
        name = reply["room"]
        if not quiet:
            self.current = name
            self.out.current_room = name  # before the history, so it shows without #room
        with self._show_lock:
            early = self._early.pop(room, []) + self._early.pop(name, [])
            if name not in self.rooms:
                # First join: the recent history, then live from there on.
                self.rooms[name] = 0
                self._show(name, reply["history"])
                self.rooms[name] = max(self.rooms[name], reply["seq"])
            else:
                self._fill(name, reply["seq"])
            self._show(name, early)
        if not quiet:
            self.out.joined(name, reply["online"], reply["users"])
        return True

    def leave(self, room: str) -> None:
        reply = self._call("leave", {"room": room})
        with self._show_lock:
            self.rooms.pop(room, None)
        if reply is not None and not reply.get("ok"):
            self.error_reply(reply)
        if self.current == room:
            self.current = next(iter(self.rooms), None)
            self.out.current_room = self.current

    # -- showing messages once, in order --

    def _on_message(self, message: dict) -> None:
        room = message.get("room")
        with self._show_lock:
            if room in self._early:
                self._early[room].append(message)  # joining: shown after the history
                return
            if room in self.rooms:
                self._show(room, [message])

    def _show(self, room: str, messages: list[dict]) -> None:
        for message in sorted(messages, key=lambda m: m["seq"]):
            last = self.rooms.get(room, 0)
            if message["seq"] <= last:
                continue  # already shown (our own ack, a replay, a duplicate)
            if message["seq"] > last + 1:
                self._fill(room, message["seq"] - 1)
                if message["seq"] <= self.rooms[room]:
                    continue
            self.out.message(message)
            self.rooms[room] = message["seq"]

    def _fill(self, room: str, up_to: int) -> None:
        """Show the messages after the last shown one, up to seq `up_to`, from history."""
        while self.rooms.get(room, 0) < up_to:
            reply = self._call(
                "history", {"room": room, "after_seq": self.rooms[room], "limit": HISTORY_PAGE}
            )
            if not reply or not reply.get("ok") or not reply["messages"]:
                return
            for message in reply["messages"]:
                if message["seq"] > self.rooms[room]:
                    self.out.message(message)
                    self.rooms[room] = message["seq"]

    # -- sending, in order, never dropped silently --

    def send(self, text: str, room: str | None = None) -> None:
        """Queue a line for the current room; the sender thread delivers it."""
        target = room or self.current
        if target is None:
            self.out.error("Join a room first: /join NAME", "no_room")
            return
        with self._pending_lock:
            self.pending.append(Pending(target, text))
            self._idle.clear()
        self._send_wakeup.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued line was acknowledged (or refused for good)."""
        return self._idle.wait(timeout)

    def _sender(self) -> None:
        while not self._closing:
            try:
                self._send_pending()
            except Exception as error:  # noqa: BLE001 (the sender must outlive any error)
                self.out.error(f"Sending failed: {error}; retrying.", "client_error")
                time.sleep(1)

    def _send_pending(self) -> None:
        if not self._closing:
            self._send_wakeup.wait(0.5)
            self._send_wakeup.clear()
            while self.pending and self.sio.connected and not self._closing:
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
                    self.pending.popleft()
            with self._pending_lock:
                if not self.pending:
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
        if error.get("code") == "rate_limited":
            wait = int(error.get("retry_after", 1))
            self.out.error(
                f"Rate limited: sending again in {wait}s.", "rate_limited", retry_after=wait
            )
            item.not_before = time.monotonic() + wait
            return False
        if error.get("code") == "unavailable":
            self.out.error("The server cannot store messages right now; retrying.", "unavailable")
            item.not_before = time.monotonic() + 2
            return False
        self.error_reply(reply, prefix="Not sent")
        return True  # refused for good (too long, bad input...): said, not retried

    def error_reply(self, reply: dict, prefix: str = "Error") -> None:
        error = reply.get("error", {})
        code = error.get("code", "error")
        extra = {"retry_after": error["retry_after"]} if "retry_after" in error else {}
        self.out.error(f"{prefix}: {error.get('message', code)}", code, **extra)
