"""The connection to the server: rooms, ordering, gap filling, and the login's end.

Messages are shown once each, in order (rooms.py). After a reconnect (with
backoff and jitter) the client rejoins its rooms, fills the gap, says so, and
resends unacknowledged lines with their original `client_id` (sending.py),
so they are stored once.

When the login ends elsewhere (`cli.py logout`, `users disable`,
`users set-password`) the server says `unauthorized` (an event, an ack, or a
refused reconnect): the client stops reconnecting and sending, keeps the
unsent lines, and the front end (terminal.py) says so and offers a new login
(`resume`) or exits.

Quitting is a disconnect: memberships stay, and the next start on a terminal
rejoins them (`my_rooms`, `enter`), never re-creating a deleted one. Only
/leave, a kick, a ban or a deletion ends a membership (team.py says which).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

import socketio

from chatclient import logs
from chatclient.reading import ReadMarker
from chatclient.render import Output
from chatclient.rooms import Rooms
from chatclient.sending import Sender
from chatclient.team import Team

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


class ChatSession(Rooms, Sender, Team):
    """One user's connection to one server, with the rooms it shows."""

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
        self.login_ended = threading.Event()
        # Called (on a library thread) once the login ended, e.g. to end the prompt.
        self.on_login_ended: Callable[[], None] | None = None
        # Our own connect and disconnect calls, one at a time.
        self._link_lock = threading.Lock()
        self._stop = threading.Event()  # close(): no more reconnecting or sending
        self.synced = threading.Event()  # connected, and every room rejoined
        self._connected_once = False
        self._refusal: str | None = None  # the server's reason for the last refused connect
        self._waiting: set[threading.Event] = set()  # calls awaiting their ack
        self._waiting_lock = threading.Lock()
        self.reads = ReadMarker(self._call, self._can_send, self._stop, self._on_read)
        Rooms.__init__(self)
        Sender.__init__(self)
        self.sio.on("connect", self._on_connect)
        self.sio.on("connect_error", self._on_connect_error)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("unauthorized", self._on_unauthorized)
        self.sio.on("message", self._on_message)
        self.sio.on("presence", self.out.presence)
        self.sio.on("notice", self.out.notice)
        self.sio.on("member", self.out.member)
        self.sio.on("rooms", self._on_rooms)
        self.sio.on("room_added", self._on_room_added)
        self.sio.on("removed", self._on_removed)
        self.sio.on("room_updated", self._on_room_updated)
        self.sio.on("read", self._on_read)

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
        self.reads.start()

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
        self.catch_up()
        if not self.sio.connected:
            return  # lost again meanwhile: the next connect resyncs
        self.out.info("Reconnected.", "reconnected")
        # Only now: a line resent before its room was rejoined would be refused.
        self.synced.set()
        self.wake_sender()
        self.reads.wake()

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
        self.reads.flush()  # the last lines shown are read too
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

    def error_reply(self, reply: dict, prefix: str = "Error") -> None:
        error = reply.get("error", {})
        code = error.get("code", "error")
        if code == "unauthorized":
            return  # said once, as LOGIN_ENDED
        extra = {"retry_after": error["retry_after"]} if "retry_after" in error else {}
        self.out.error(f"{prefix}: {error.get('message', code)}", code, **extra)
