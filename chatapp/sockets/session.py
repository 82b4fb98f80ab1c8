"""A socket's session: who it is, its subscriptions, and how it is cut off."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import current_app, request, session
from flask_login import current_user

from chatapp.auth.tokens import read_token
from chatapp.database import autocommit_reads
from chatapp.errors import RateLimited, Unauthorized
from chatapp.extensions import db, socketio
from chatapp.models import User
from chatapp.presence import local_sessions
from chatapp.presence.local import LocalSession
from chatapp.services import limits
from chatapp.services.accounts import Login, load_session_user, session_login

log = logging.getLogger(__name__)

LOGIN_ENDED = "Your login session has ended; log in again."


def current_sid() -> str:
    """The socket id of the event being handled."""
    return request.sid  # type: ignore[attr-defined]  # Flask-SocketIO sets it on its requests


def socket_session(sid: str) -> LocalSession:
    """This process's record of socket `sid`; gone only if the socket is ending."""
    found = local_sessions().get(sid)
    if found is None:
        raise Unauthorized("This connection has ended; connect again.")
    return found


def authenticate(auth: Any) -> Login | None:
    """Who is behind `auth: {"token"}`, a bearer header or the session cookie.

    A token is checked on a connection of its own (database.autocommit_reads);
    the cookie's user is loaded by Flask-Login through the session, whose
    connection is given back here: the connect then waits for Redis holding
    none.
    """
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        auth_session_id = read_token(auth["token"])
        if not auth_session_id:
            return None
        with autocommit_reads() as reads:
            return session_login(auth_session_id, reads)
    user = current_user
    login = None
    if user.is_authenticated and user.auth_session_id is not None:
        login = Login(user.id, user.username, user.auth_session_id)
    db.session.rollback()  # the login read's transaction
    return login


def connection_open(sid: str) -> bool:
    """Whether socket `sid`'s connection is still open (the door closes late connects)."""
    eio_sid = socketio.server.manager.eio_sid_from_sid(sid, "/")
    return eio_sid is not None and eio_sid in socketio.server.environ


def session_user() -> User:
    """The user of this socket, so that logout and disable bite.

    The login is re-read from the database at most every LOGIN_RECHECK_SECONDS:
    one query per event was a tenth of a send's CPU. Revocations are applied at
    once where they are announced (chatapp.revocations); this re-check catches
    what was not announced (no Redis, expiry).
    """
    local = local_sessions().get(current_sid())
    now = time.monotonic()
    if (
        local is not None
        and local.user is not None
        and now - local.checked_at < current_app.config["LOGIN_RECHECK_SECONDS"]
    ):
        return local.user
    auth_session_id = session.get("auth_session_id")
    user = load_session_user(auth_session_id) if auth_session_id else None
    if user is None:
        raise Unauthorized(LOGIN_ENDED)
    # The cached user outlives this event's database session. Detached now, it
    # keeps the columns it was loaded with: attached, a service's rollback would
    # expire them, and every later event reading them would fail (a detached
    # instance cannot reload) until the next re-check.
    db.session.expunge(user)
    if local is not None:
        local.user, local.checked_at = user, now
    return user


def subscribe(sid: str, room: str) -> None:
    """Deliver a room's broadcasts to socket `sid` (works outside a handler)."""
    socketio.server.enter_room(sid, room, namespace="/")


def unsubscribe(sid: str, room: str) -> None:
    socketio.server.leave_room(sid, room, namespace="/")


def close_connection(eio_sid: str) -> None:
    """Close an Engine.IO connection without waiting for its client to read.

    engineio's own disconnect() waits until the client has taken what is
    queued: a polling client that never polls again, or a websocket that
    stopped reading, would hold the caller (a sweep, a handler) forever.
    """
    eio = socketio.server.eio
    connection = eio.sockets.get(eio_sid)
    if connection is not None:
        connection.close(wait=False)  # CLOSE is queued; the transport delivers it if it can
        eio.sockets.pop(eio_sid, None)


def cut_off(sid: str) -> None:
    """Disconnect a socket for good: its namespace, and the connection under it.

    A namespace disconnect alone leaves the Engine.IO connection open, and a
    hostile raw client could keep sending on it.
    """
    eio_sid = socketio.server.manager.eio_sid_from_sid(sid, "/")
    socketio.server.disconnect(sid, namespace="/")
    if eio_sid is not None:
        close_connection(eio_sid)


def end_login(sid: str, message: str = LOGIN_ENDED) -> None:
    """Tell a socket its login ended (event `unauthorized`), then disconnect it.

    Clients learn why they were cut off, and do not reconnect in a loop.
    """
    socketio.emit("unauthorized", Unauthorized(message).to_dict(), to=sid)
    cut_off(sid)


def after_refusal(sid: str, error: Exception) -> bool:
    """What a refused event does to its socket; True if the socket was cut off.

    An ended login ends the socket; a socket that keeps going after
    `rate_limited` answers (RATELIMIT_FLOOD) is disconnected.
    """
    if isinstance(error, Unauthorized):
        end_login(sid, error.message)
        return True
    if isinstance(error, RateLimited) and limits.flooding(f"sid:{sid}"):
        log.warning("disconnecting a flooding socket", extra={"sid": sid})
        cut_off(sid)
        return True
    return False
