"""The door of the Socket.IO server: who may hold a connection before logging in.

Authentication happens at the Socket.IO namespace connect, one step after the
Engine.IO handshake. Without a door, a client could open Engine.IO sessions
and never authenticate: each holds a connection slot (and, polling, ~12 KB)
for as long as it answers pings. So, per process:

- a handshake spends from a per-address budget (RATELIMIT_HANDSHAKES, in the
  limiter's storage, so shared through Redis); past it: 429 `rate_limited`;
- an address may hold at most MAX_PENDING_PER_ADDRESS sessions that have
  not authenticated yet; past it: 429 `rate_limited`;
- a session that has not authenticated within CONNECT_TIMEOUT seconds is
  closed by the sweep.

Protocol garbage (undecodable Socket.IO packets) closes the connection with a
rate-limited WARNING and a counter, never a traceback per frame.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from flask import Flask

from chatapp import metrics
from chatapp.auth.budgets import address_key
from chatapp.errors import RateLimited, wsgi_error
from chatapp.extensions import socketio
from chatapp.log_throttle import LogThrottle
from chatapp.middleware import direct
from chatapp.services import limits
from chatapp.sockets.session import close_connection

log = logging.getLogger(__name__)
garbage_log = LogThrottle(log, every=10.0)


class Door:
    """Engine.IO sessions not yet authenticated, by id: (client address, deadline)."""

    def __init__(self, timeout: float, per_address: int) -> None:
        self.timeout = timeout
        self.per_address = per_address
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, float]] = {}
        self._by_address: dict[str, int] = {}

    def admit(self, eio_sid: str, address: str) -> bool:
        """Record a new unauthenticated session; False if its address holds too many."""
        with self._lock:
            if self._by_address.get(address, 0) >= self.per_address:
                return False
            self._pending[eio_sid] = (address, time.monotonic() + self.timeout)
            self._by_address[address] = self._by_address.get(address, 0) + 1
            return True

    def settle(self, eio_sid: str) -> None:
        """The session authenticated or closed: it no longer counts."""
        with self._lock:
            found = self._pending.pop(eio_sid, None)
            if found is not None:
                address = found[0]
                left = self._by_address[address] - 1
                if left:
                    self._by_address[address] = left
                else:
                    del self._by_address[address]

    def overdue(self) -> list[str]:
        """Sessions past their deadline (they stay counted until closed)."""
        now = time.monotonic()
        with self._lock:
            return [sid for sid, (_, deadline) in self._pending.items() if deadline <= now]

    def pending(self, address: str) -> int:
        with self._lock:
            return self._by_address.get(address, 0)


def current_door(app: Flask) -> Door:
    return app.extensions["chatapp.door"]


def client_address(environ: dict[str, Any]) -> str:
    """The client as per-address limits count it (IPv6 by its /64, as login budgets do)."""
    return address_key(environ.get("REMOTE_ADDR"))


def install(app: Flask) -> None:
    """Put the door in front of this app's Socket.IO server."""
    door = Door(app.config["CONNECT_TIMEOUT"], app.config["MAX_PENDING_PER_ADDRESS"])
    app.extensions["chatapp.door"] = door
    server = socketio.server
    eio = server.eio
    on_connect = eio.handlers["connect"]
    on_message = eio.handlers["message"]
    on_disconnect = eio.handlers["disconnect"]

    def eio_connect(eio_sid: str, environ: dict[str, Any]):
        if not door.admit(eio_sid, client_address(environ)):
            metrics.HANDSHAKES_REFUSED.labels("pending").inc()
            return False  # Engine.IO answers 401; the handshake gate answers first
        return on_connect(eio_sid, environ)

    def eio_message(eio_sid: str, data: Any):
        try:
            return on_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError) as error:
            # python-socketio raises these for packets it cannot decode. A
            # client sending them is broken or hostile: one line, then goodbye.
            metrics.PROTOCOL_ERRORS.inc()
            garbage_log.log(
                logging.WARNING,
                "closing a connection that sent an undecodable packet (%s)",
                error.__class__.__name__,
            )
            close_connection(eio_sid)
            return None

    def eio_disconnect(eio_sid: str, *args: Any):
        try:
            # Namespace handlers run in here (and may put it back at the door).
            return on_disconnect(eio_sid, *args)
        finally:
            door.settle(eio_sid)

    eio.on("connect", eio_connect)
    eio.on("message", eio_message)
    eio.on("disconnect", eio_disconnect)
    app.wsgi_app = handshake_gate(app, app.wsgi_app)  # type: ignore[method-assign]  # WSGI middleware, as Flask documents


def authenticated(app: Flask, sid: str) -> None:
    """The namespace connect of socket `sid` succeeded: its session passed the door."""
    eio_sid = socketio.server.manager.eio_sid_from_sid(sid, "/")
    if eio_sid is not None:
        current_door(app).settle(eio_sid)


def left_namespace(app: Flask, eio_sid: str) -> None:
    """A socket logged out of the namespace but kept its connection: back to the door.

    Otherwise a client could log in, send a namespace disconnect, and hold the
    Engine.IO connection for as long as it answers pings, again and again.
    """
    environ = socketio.server.environ.get(eio_sid)
    if environ is None:  # the connection itself is closing
        return
    if not current_door(app).admit(eio_sid, client_address(environ)):
        close_connection(eio_sid)


def close_overdue(app: Flask) -> int:
    """Close sessions that did not authenticate in time; how many (the sweep calls it)."""
    closed = 0
    for eio_sid in current_door(app).overdue():
        current_door(app).settle(eio_sid)
        metrics.HANDSHAKES_REFUSED.labels("timeout").inc()
        try:
            close_connection(eio_sid)
        except Exception:  # noqa: BLE001 (already gone)
            log.debug("closing an overdue session failed", exc_info=True)
        closed += 1
    return closed


def door_keeper(app: Flask, running) -> None:
    """Background task: close unauthenticated sessions past CONNECT_TIMEOUT."""
    interval = max(0.2, min(1.0, app.config["CONNECT_TIMEOUT"] / 4))
    while running():
        try:
            close_overdue(app)
        except Exception:
            log.exception("the connect-deadline sweep failed")
        socketio.sleep(interval)


HANDSHAKE_PATH = "/socket.io/"  # Flask-SocketIO's default path, which chatapp keeps


def handshake_gate(app: Flask, wsgi_app):
    """WSGI middleware refusing Engine.IO handshakes over an address's budget (429).

    A function, not an object with __call__, and it calls the Socket.IO
    middleware's bound __call__ (chatapp.middleware.direct): calling an object
    from Python recurses in C, and every idle websocket's green thread keeps
    that C stack copied on the heap for as long as it is connected.
    """
    wsgi_app = direct(wsgi_app)

    def gate(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(HANDSHAKE_PATH) and not parse_qs(
            environ.get("QUERY_STRING", "")
        ).get("sid"):
            refusal = handshake_refusal(app, client_address(environ))
            if refusal is not None:
                return wsgi_error(refusal, start_response)
        return wsgi_app(environ, start_response)

    return gate


def handshake_refusal(app: Flask, address: str) -> RateLimited | None:
    """Why a new handshake from `address` is refused now, or None."""
    door = current_door(app)
    if door.pending(address) >= door.per_address:
        metrics.HANDSHAKES_REFUSED.labels("pending").inc()
        return RateLimited(
            math.ceil(door.timeout),
            "Too many connections from this address are still logging in.",
        )
    with app.app_context():
        try:
            limits.spend("RATELIMIT_HANDSHAKES", f"handshake:{address}")
        except RateLimited as error:
            metrics.HANDSHAKES_REFUSED.labels("rate").inc()
            return error
    return None
