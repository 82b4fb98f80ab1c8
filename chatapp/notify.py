"""Telling clients what happened, after the database has committed it.

Only emits: services call these after a successful commit (and after waking
the outbox relay), so no client ever sees what could still roll back.
`socketio.emit(..., to=room)` reaches every session in the room on every
server process (through the Redis queue when one is configured).
"""

from __future__ import annotations

from typing import Any

from chatapp import metrics, revocations
from chatapp.extensions import socketio
from chatapp.payloads import notice_payload


def message_created(payload: dict[str, Any]) -> None:
    """A message was committed (its NATS event with it): deliver it live."""
    socketio.emit("message", payload, to=payload["room"])
    # This process's recipients; other processes deliver theirs from the queue.
    local = sum(1 for _ in socketio.server.manager.get_participants("/", payload["room"]))
    metrics.DELIVERIES.inc(local)


def presence_changed(payload: dict[str, Any]) -> None:
    """A user's first session entered a room, or their last left."""
    socketio.emit("presence", payload, to=payload["room"])


def member_changed(payload: dict[str, Any]) -> None:
    """A membership began or ended."""
    socketio.emit("member", payload, to=payload["room"])


def notice(sid: str, room: str, text: str) -> None:
    """A line for one session only, such as the welcome."""
    socketio.emit("notice", notice_payload(room, text), to=sid)


def logins_revoked(*, auth_session_id: str | None = None, user_id: int | None = None) -> None:
    """Logins were revoked: their sockets are told `unauthorized` and cut, on every process."""
    revocations.announce(auth_session_id=auth_session_id, user_id=user_id)
