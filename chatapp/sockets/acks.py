"""One wrapper turning socket handlers' results and errors into protocol acks."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, request, session
from sqlalchemy.exc import DBAPIError

from chatapp import metrics
from chatapp.errors import ChatError, RateLimited, Unauthorized, Unavailable
from chatapp.extensions import db, socketio
from chatapp.models import User
from chatapp.presence import local_sessions
from chatapp.services import limits
from chatapp.services.accounts import load_session_user
from chatapp.tracing import start_trace

log = logging.getLogger(__name__)

INTERNAL = {"code": "internal_error", "message": "Something went wrong on our side."}


def cut_off(sid: str) -> None:
    """Disconnect a socket for good: its namespace, and the connection under it.

    A namespace disconnect alone leaves the Engine.IO connection open, and a
    hostile raw client could keep sending on it.
    """
    eio_sid = socketio.server.manager.eio_sid_from_sid(sid, "/")
    socketio.server.disconnect(sid, namespace="/")
    if eio_sid is not None:
        socketio.server.eio.disconnect(eio_sid)


LOGIN_ENDED = "Your login session has ended; log in again."


def end_login(sid: str, message: str = LOGIN_ENDED) -> None:
    """Tell a socket its login ended (event `unauthorized`), then disconnect it.

    Clients learn why they were cut off, and do not reconnect in a loop.
    """
    socketio.emit("unauthorized", Unauthorized(message).to_dict(), to=sid)
    cut_off(sid)


def session_user() -> User:
    """The user of this socket, so that logout and disable bite.

    The login is re-read from the database at most every LOGIN_RECHECK_SECONDS:
    one query per event was a tenth of a send's CPU. Revocations made on this
    process reset the check (`LocalSessions.recheck_logins`), so they apply at
    once here; those made on another process apply within the interval.
    """
    local = local_sessions().get(request.sid)
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
    if local is not None:
        local.user, local.checked_at = user, now
    return user


def acked(handler: Callable[[User, Any], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Call `handler(user, payload)`; ack {"ok": true, ...} or {"ok": false, "error"}.

    Every ack carries the event's trace id; every event is counted and logged.
    """

    @functools.wraps(handler)
    def wrapper(*args: Any) -> dict[str, Any]:
        started = time.perf_counter()
        trace_id = start_trace()
        ack = _handle(handler, args)
        ack["trace_id"] = trace_id
        _record(handler.__name__, args, ack, time.perf_counter() - started)
        return ack

    return wrapper


def _record(event: str, args: tuple, ack: dict[str, Any], elapsed: float) -> None:
    outcome = "ok" if ack["ok"] else ack["error"]["code"]
    metrics.SOCKET_EVENTS.labels(event, outcome).inc()
    if event == "send" and ack["ok"]:
        metrics.SEND_LATENCY.observe(elapsed)
    if outcome == "rate_limited":
        metrics.REFUSALS.labels("socket").inc()
    data = args[0] if len(args) == 1 and isinstance(args[0], dict) else {}
    room = data.get("room") if isinstance(data.get("room"), str) else None
    session = local_sessions().get(request.sid)
    log.info(
        "socket event",
        extra={
            "event": event,
            "outcome": outcome,
            "user": session.username if session else None,
            "room": room[:64] if room else None,
            "duration_ms": round(elapsed * 1000, 2),
        },
    )


def _handle(handler, args: tuple) -> dict[str, Any]:
    """Run the handler; map every outcome to an ack body."""
    sid = request.sid
    try:
        if len(args) > 1:
            raise ChatError("Send one payload object.")
        user = session_user()
        return {"ok": True, **handler(user, args[0] if args else None)}
    except Unauthorized as error:
        end_login(sid, error.message)
        return {"ok": False, "error": error.to_dict()}
    except RateLimited as error:
        if limits.flooding(f"sid:{sid}"):
            log.warning("disconnecting a flooding socket", extra={"sid": sid})
            cut_off(sid)
        return {"ok": False, "error": error.to_dict()}
    except ChatError as error:
        return {"ok": False, "error": error.to_dict()}
    except DBAPIError:
        db.session.rollback()
        log.exception("database error in socket event %s", handler.__name__)
        return {"ok": False, "error": Unavailable().to_dict()}
    except Exception:
        log.exception("unhandled error in socket event %s", handler.__name__)
        return {"ok": False, "error": INTERNAL}
