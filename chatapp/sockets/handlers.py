"""Socket.IO event handlers: the room protocol of docs/protocol.md.

Thin: parse, call one function, ack. `dispatch.acked` authenticates the
socket, turns errors into acks (`acks`), counts and logs each event.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, session
from flask_socketio import ConnectionRefusedError as SocketRefused
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from chatapp.database import autocommit_reads
from chatapp.errors import (
    ChatError,
    InternalError,
    RateLimited,
    Unauthorized,
    Unavailable,
    pool_busy,
)
from chatapp.extensions import db, socketio
from chatapp.models import User
from chatapp.presence import local_sessions, presence_store
from chatapp.presence.local import LocalSession
from chatapp.schemas import HistoryQuery, JoinRoom, RoomRef, SendMessage, parse
from chatapp.services import queries
from chatapp.sockets import gate, rooms, team  # noqa: F401 (team: its handlers register)
from chatapp.sockets.dispatch import acked
from chatapp.sockets.session import authenticate, connection_open, current_sid
from chatapp.tracing import start_trace

log = logging.getLogger(__name__)


# SocketRefused is python-socketio's ConnectionRefusedError, not the builtin of
# the same name: raising the builtin refuses too, but drops the error data.
def refuse(error: ChatError) -> SocketRefused:
    """A connect refusal: socket.io clients see err.message and err.data = {code, message}."""
    return SocketRefused(error.message, error.to_dict())


@socketio.on("connect")
def connect(auth: Any = None) -> None:
    """A client connects with a session cookie or auth {"token"}; others are refused."""
    try:
        user = authenticate(auth)
        if user is None:
            raise refuse(Unauthorized("Log in first: send auth {token} or the session cookie."))
        sessions = presence_store().connect(current_sid(), user.username)
    except PoolTimeout:
        db.session.rollback()
        raise refuse(pool_busy()) from None
    except DBAPIError:
        db.session.rollback()
        log.exception("database error during connect")
        raise refuse(Unavailable()) from None
    except SocketRefused:
        raise
    except Exception:
        # Logged here, with its traceback: an error escaping to the Engine.IO
        # layer would pass for protocol garbage (sockets.gate).
        log.exception("unhandled error during connect")
        raise refuse(InternalError()) from None
    if sessions > current_app.config["MAX_SESSIONS_PER_USER"]:
        presence_store().disconnect(current_sid(), user.username)
        raise refuse(RateLimited(60, "Too many sessions open for this user; close one first."))
    if not connection_open(current_sid()):
        # The door closed the connection while this connect waited (for the
        # database or Redis, past CONNECT_TIMEOUT). No disconnect event comes
        # for a connect in progress: undone here, its presence would stay.
        # From this check to gate.authenticated nothing yields to the door.
        presence_store().disconnect(current_sid(), user.username)
        raise refuse(Unavailable())
    session["auth_session_id"] = user.auth_session_id
    local_sessions().add(current_sid(), LocalSession(user.id, user.username, user.auth_session_id))
    gate.authenticated(current_app, current_sid())
    try:
        # After the presence entry: an invite committed from here on finds this
        # session there; one committed before is in the memberships read here.
        with autocommit_reads() as reads:
            rooms.connected(user.id, current_sid(), reads)
    except Exception:
        log.exception("subscribing a new session to its rooms failed")


@socketio.on("disconnect")
def disconnect(*reason: Any) -> None:
    """The connection closed or was lost: the session leaves its rooms' presence."""
    sid = current_sid()
    eio_sid = socketio.server.manager.eio_sid_from_sid(sid, "/")
    try:
        rooms.disconnect(sid)
    except Exception:
        log.exception("cleaning up a disconnected session failed")
    if eio_sid is not None:
        gate.left_namespace(current_app, eio_sid)


@socketio.on("join")
@acked
def join(user: User, data: Any) -> dict[str, Any]:
    """Sent by a client to open a room. Acks with room, online, users, seq, history, room_info."""
    request = parse(JoinRoom, data)
    return rooms.join(user, current_sid(), request.room, request.create)


@socketio.on("leave")
@acked
def leave(user: User, data: Any) -> dict[str, Any]:
    """Sent by a client to leave a room. Acks with {"room"}."""
    return rooms.leave(user, current_sid(), parse(RoomRef, data).room)


@socketio.on("send")
@acked
def send(user: User, data: Any) -> dict[str, Any]:
    """Sent by a client to post a message or run a #command. Acks with message or result."""
    return rooms.send(user, current_sid(), parse(SendMessage, data))


@socketio.on("history")
@acked
def history(user: User, data: Any) -> dict[str, Any]:
    """Sent by a member to page through a room. Acks with {"room", "messages", "seq"}."""
    return queries.history_page(user, parse(HistoryQuery, data))


@socketio.on("*")
def unknown_event(event: str, *args: Any) -> dict[str, Any]:
    """Any other event: answered, so a client waiting on an ack is not left hanging."""
    return {
        "ok": False,
        "error": {"code": "unknown_event", "message": "Unknown event; see docs/protocol.md."},
        "trace_id": start_trace(),
    }
