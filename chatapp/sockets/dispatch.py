"""Running an acknowledged socket event: trace, authenticate, call, ack, count, log."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from chatapp import metrics
from chatapp.errors import ChatError
from chatapp.log_throttle import LogThrottle
from chatapp.models import User
from chatapp.presence import local_sessions
from chatapp.sockets.acks import error_ack
from chatapp.sockets.session import after_refusal, current_sid, session_user
from chatapp.tracing import start_trace

log = logging.getLogger(__name__)

Handler = Callable[[User, Any], dict[str, Any]]


def acked(handler: Handler) -> Callable[..., dict[str, Any]]:
    """Call `handler(user, payload)`; ack {"ok": true, ...} or {"ok": false, "error"}.

    Every ack carries the event's trace id; every event is counted (and logged
    at DEBUG, refusals at INFO: `_record`).
    """

    @functools.wraps(handler)
    def wrapper(*args: Any) -> dict[str, Any]:
        started = time.perf_counter()
        trace_id = start_trace()
        try:
            if len(args) > 1:
                raise ChatError("Send one payload object.")
            ack = {"ok": True, **handler(session_user(), args[0] if args else None)}
        except Exception as error:  # noqa: BLE001 (every failure becomes an ack)
            after_refusal(current_sid(), error)
            ack = error_ack(error, handler.__name__)
        ack["trace_id"] = trace_id
        _record(handler.__name__, args, ack, time.perf_counter() - started)
        return ack

    return wrapper


# Refusals that come in floods exactly when the server can least afford a line
# each: under overload or from a flooding client. Their counters
# (chatapp_socket_events_total, chatapp_sends_refused_total) count every one;
# the log says so at most once per LOAD_LOG_EVERY seconds.
LOAD_REFUSALS = ("busy", "rate_limited")
LOAD_LOG_EVERY = 10.0
_load_log = {code: LogThrottle(log, every=LOAD_LOG_EVERY) for code in LOAD_REFUSALS}


def _record(event: str, args: tuple, ack: dict[str, Any], elapsed: float) -> None:
    """Count every event; log it at DEBUG if it succeeded, at INFO if it was refused.

    A line per successful event was a twentieth of a send's CPU; the
    Prometheus counter chatapp_socket_events_total counts them instead.
    Failures (`internal_error`, `unavailable`) are logged with their
    traceback where they are caught (sockets.acks) and here at INFO.
    """
    outcome = "ok" if ack["ok"] else ack["error"]["code"]
    metrics.socket_event(event, outcome, elapsed)
    level = logging.DEBUG if outcome == "ok" else logging.INFO
    if outcome in _load_log:
        _load_log[outcome].log(logging.INFO, "socket events refused: %s", outcome)
        level = logging.DEBUG
    if not log.isEnabledFor(level):
        return
    data = args[0] if len(args) == 1 and isinstance(args[0], dict) else {}
    room = data.get("room") if isinstance(data.get("room"), str) else None
    session = local_sessions().get(current_sid())
    log.log(
        level,
        "socket event",
        extra={
            "event": event,
            "outcome": outcome,
            "user": session.username if session else None,
            "room": room[:64] if room else None,
            "duration_ms": round(elapsed * 1000, 2),
        },
    )
