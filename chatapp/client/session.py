"""The connection to the server: rooms, ordering, gap filling, and the login's end.

Per room the client remembers the highest `seq` it has shown. Messages are
shown once each, in order: a live message that skips ahead first pulls the
missing ones from `history`. After a reconnect (with backoff and jitter) it
rejoins its rooms, fills the gap, says so, and resends unacknowledged lines
with their original `client_id` (see sending.py), so they are stored once.

When the login ends elsewhere (`cli.py logout`, `users disable`,
`users set-password`) the server says `unauthorized` (an event, an ack, or a
refused reconnect): the client stops reconnecting, says so once, keeps the
unsent lines and lets the front end offer a new login (`resume`).

Quitting is a disconnect: memberships stay, and the next start rejoins them
(GET /api/me/rooms). Only /leave ends a membership.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

import socketio

from chatapp.client import logs
from chatapp.client.render import Output
from chatapp.client.sending import Sender

HISTORY_PAGE = 100
LOGIN_ENDED = "Your login ended: log in again."
# The server cuts a socket right after telling it its login ended.
CUT_WAIT_SECONDS = 5

log = logging.getLogger(__name__)


class ConnectFailed(Exception):
    """The first connection could not be made; the message says why."""


def login_refused(reply: object) -> bool:
    """True for an ack or connect error that says the login session ended."""
    if not isinstance(reply, dict):
        return False
    error = reply.get("error") if "ok" in reply else reply
    return isinstance(error, dict) and error.get("code") == "unauthorized"


class ChatSession(Sender):
    def __init__(self, server: str, token: str, out: Output) -> None:
        self.server = server
        self.token = token
        self.out = out
        # Reconnecting after a dropped connection is python-socketio's; after
        # the server's own disconnect it does not, so _reconnect_loop does.
        self.sio = socketio.Client(
            reconnection=True,
            reconnection_attempts=0,  # forever
            reconnection_delay=1,
            reconnection_delay_max=15,
            randomization_factor=0.5,  # jitter: clients do not return in lockstep
            logger=logs.SOCKETIO,
            engineio_logger=logs.ENGINEIO,
        )
        self.rooms: dict[str, int] = {}  # joined room -> highest seq shown
        self.current: str | None = None
        self.login_ended = threading.Event()
        # Called (on a library thread) once the login ended, e.g. to end the prompt.
        self.on_login_ended: Callable[[], None] | None = None
        self._early: dict[str, list[dict]] = {}
        self._show_lock = threading.RLock()
        # Our own connect and disconnect calls, one at a time.
        self._link_lock = threading.Lock()
        self._stop = threading.Event()  # close(): no more reconnecting or sending
        self.synced = threading.Event()  # connected, and every room rejoined
        self._connected_once = False
        self._refusal: str | None = None  # the server's reason for the last refused connect
        self._waiting: set[threading.Event] = set()  # calls awaiting their ack
        self._waiting_lock = threading.Lock()
        Sender.__init__(self)
        self.sio.on("connect", self._on_connect)
        self.sio.on("connect_error", self._on_connect_error)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("unauthorized", self._on_unauthorized)
        self.sio.on("message", self._on_message)
        self.sio.on("presence", self.out.presence)
        self.sio.on("notice", self.out.notice)

    # -- connection --

    def connect(self) -> None:
        try:
            with self._link_lock:
                self._dial()
        except socketio.exceptions.ConnectionError as error:
            reason = self._refusal or str(error)
            raise ConnectFailed(f"Cannot connect to {self.server}: {reason}") from None
        self._connected_once = True
        self.synced.set()
        self.start_sender()

    def _dial(self) -> None:
        """Connect once (the caller holds _link_lock); ConnectionError if refused."""
        self.sio.connect(
            self.server, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
        )

    def _on_connect(self) -> None:
        self._refusal = None
        if self._connected_once:
            # A reconnect: catch up off the event thread (calls need their acks).
            self.sio.start_background_task(self._resync)

    def _on_connect_error(self, data=None) -> None:
        # A refusal arrives as {"message", "data": {"code", "message"}}; a
        # connection that failed below Socket.IO as a string.
        if isinstance(data, dict):
            self._refusal = str(data.get("message") or data)
            data = data.get("data", data)
        if self._connected_once and login_refused(data):
            self._end_login()

    def _on_unauthorized(self, data=None) -> None:
        """The server's word that this login ended, just before it cuts the socket."""
        self._end_login()

    def _on_disconnect(self, reason=None) -> None:
        self.synced.clear()  # nothing is sent until the rooms are rejoined
        self._wake_waiting_calls()
        if self._stop.is_set() or self.login_ended.is_set():
            return
        self.out.error("Disconnected from the server; reconnecting...", "disconnected")
        if reason == self.sio.reason.SERVER_DISCONNECT:
            # python-socketio leaves a connection the server closed closed. The
            # server may have cut a flooding socket, or (a server that does not
            # send `unauthorized`) one whose login ended: a reconnect finds out.
            threading.Thread(
                target=self._reconnect_loop, name="chat-reconnect", daemon=True
            ).start()

    def _reconnect_loop(self) -> None:
        delay = 1.0
        while not self._stop.wait(delay * random.uniform(0.5, 1.5)):  # noqa: S311 (jitter)
            with self._link_lock:
                if self.sio.connected or self._stop.is_set() or self.login_ended.is_set():
                    return
                try:
                    self._dial()
                    return
                except socketio.exceptions.ConnectionError:
                    log.info("reconnect failed: %s", self._refusal)
            delay = min(delay * 2, 15)

    def _resync(self) -> None:
        for room in self.room_names():
            self._join(room, quiet=True)
        if not self.sio.connected:
            return  # lost again meanwhile: the next connect resyncs
        self.out.info("Reconnected.", "reconnected")
        # Only now: a line resent before its room was rejoined would be refused.
        self.synced.set()
        self.wake_sender()

    def _end_login(self) -> None:
        """The login ended: stop reconnecting and sending, keep what is unsent.

        The front end says so (LOGIN_ENDED) and offers a new login or exits.
        """
        first = self.stop_sending_for_login()
        # Stop a reconnect already under way (its attempts are refused now).
        threading.Thread(target=self._stop_reconnecting, name="chat-stop", daemon=True).start()
        if first and self.on_login_ended is not None:
            self.on_login_ended()

    def _stop_reconnecting(self) -> None:
        self._await_cut()
        with self._link_lock:
            if self.login_ended.is_set():
                self._shutdown()

    def _await_cut(self) -> None:
        """Give the server a moment to cut a socket whose login ended (it does so at once).

        Disconnecting from here while the server's disconnect is being read
        races inside python-socketio: its namespaces dict "changed size during
        iteration" (29 times in 150 tries, measured), and its traceback was
        printed into the chat.
        """
        for _ in range(int(CUT_WAIT_SECONDS * 20)):
            if not self.sio.connected:
                return
            time.sleep(0.05)

    def _shutdown(self) -> None:
        """Disconnect, or stop reconnecting; a library error here is logged, never shown."""
        try:
            self.sio.shutdown()
        except Exception:  # noqa: BLE001 (python-socketio's own races while closing)
            log.exception("closing the connection")

    def resume(self, token: str) -> None:
        """Carry on with a new login: reconnect, rejoin, resend what was queued."""
        self.resume_sending()
        try:
            with self._link_lock:
                self._shutdown()
                self.token = token
                self._dial()
        except socketio.exceptions.ConnectionError:
            self.out.error("Disconnected from the server; reconnecting...", "disconnected")
            threading.Thread(
                target=self._reconnect_loop, name="chat-reconnect", daemon=True
            ).start()

    def close(self) -> None:
        """Disconnect (Ctrl-D, Ctrl-C, /quit, end of input); memberships stay."""
        self._stop.set()
        self.wake_sender()
        self._wake_waiting_calls()
        if self.login_ended.is_set():
            self._await_cut()
        with self._link_lock:
            self._shutdown()

    # -- calls --

    def _call(self, event: str, data: dict, timeout: float = 10) -> dict | None:
        """The ack, or None when there was none (timeout, disconnected mid-call...)."""
        answered = threading.Event()
        replies: list = []

        def on_ack(*args) -> None:
            reply = args[0] if args else None
            if login_refused(reply):
                # Here, on the reader thread, before the server's disconnect is read.
                self._end_login()
            replies.append(reply)
            answered.set()

        with self._waiting_lock:
            self._waiting.add(answered)
        try:
            self.sio.emit(event, data, callback=on_ack)
            answered.wait(timeout)
        except Exception as error:  # noqa: BLE001 (any failure here means "no ack": retry later)
            log.info("%s not sent: %r", event, error)
        finally:
            with self._waiting_lock:
                self._waiting.discard(answered)
        return replies[0] if replies and isinstance(replies[0], dict) else None

    def _wake_waiting_calls(self) -> None:
        """A lost connection loses its acks: wake the calls waiting for one."""
        with self._waiting_lock:
            waiting = list(self._waiting)
        for answered in waiting:
            answered.set()

    # -- rooms --

    def room_names(self) -> list[str]:
        """The joined rooms, a copy: other threads add and remove rooms."""
        with self._show_lock:
            return list(self.rooms)

    def enter(self, current: str, others: list[str]) -> bool:
        """Join `current` (it becomes current), then rejoin the user's other rooms quietly."""
        if not self.join(current):
            return False
        for room in others:
            if room != self.current:
                self._join(room, quiet=True, history=False)
        if len(self.rooms) > 1:
            self.out.rooms(self.room_names(), self.current)
        return True

    def join(self, room: str) -> bool:
        """Join `room` and make it current; True on success."""
        return self._join(room.strip().lower(), quiet=False)

    def _join(self, room: str, quiet: bool, history: bool = True) -> bool:
        with self._show_lock:
            self._early.setdefault(room, [])
        reply = self._call("join", {"room": room})
        if reply is None or not reply.get("ok"):
            with self._show_lock:
                self._early.pop(room, None)
            if reply is None:
                self.out.error(
                    f"No answer joining #{room}; will retry after reconnecting.", "timeout"
                )
            else:
                self.error_reply(reply)
            if not quiet:
                self.count_refusal()
            return False
        name = reply["room"]
        if not quiet:
            self.current = name
            self.out.current_room = name  # before the history, so it shows without #room
        with self._show_lock:
            early = self._early.pop(room, []) + self._early.pop(name, [])
            if name not in self.rooms:
                # First join: the recent history (or none), then live from there on.
                self.rooms[name] = 0 if history else reply["seq"]
                self._show(name, reply["history"] if history else [])
                self.rooms[name] = max(self.rooms[name], reply["seq"])
            else:
                self._fill(name, reply["seq"])
            self._show(name, early)
        if not quiet:
            self.out.joined(name, reply["online"], reply["users"])
        return True

    def leave(self, room: str) -> None:
        """/leave: the one way a membership ends."""
        reply = self._call("leave", {"room": room})
        with self._show_lock:
            self.rooms.pop(room, None)
            if self.current == room:
                self.current = next(iter(self.rooms), None)
                self.out.current_room = self.current
        if reply is not None and not reply.get("ok"):
            self.error_reply(reply)

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

    def error_reply(self, reply: dict, prefix: str = "Error") -> None:
        error = reply.get("error", {})
        code = error.get("code", "error")
        if code == "unauthorized":
            return  # said once, as LOGIN_ENDED
        extra = {"retry_after": error["retry_after"]} if "retry_after" in error else {}
        self.out.error(f"{prefix}: {error.get('message', code)}", code, **extra)
