"""Telling clients what happened, after the database has committed it.

Services call these only after a successful commit, so no client ever sees a
message that could still roll back. `socketio.emit(..., to=room)` reaches every
session in the room on every server process (through the Redis queue when one
is configured).
"""

from __future__ import annotations

from typing import Any

from chatapp import metrics, outbox, revocations
from chatapp.extensions import db, socketio
from chatapp.payloads import notice_payload, presence_payload
from chatapp.presence import RoomChange


def message_stored(payload: dict[str, Any]) -> None:
    """A message was committed (its NATS event with it): deliver it live."""
    socketio.emit("message", payload, to=payload["room"])
    # This process's recipients; other processes deliver theirs from the queue.
    local = sum(1 for _ in socketio.server.manager.get_participants("/", payload["room"]))
    metrics.DELIVERIES.inc(local)
    outbox.wake()


def _presence(payload: dict[str, Any], skip_sid: str | None = None) -> None:
    if outbox.enabled():
        # Presence has no other row to commit with: its event commits alone.
        outbox.add(outbox.room_subject(payload["room"], "presence"), "presence.changed", payload)
        db.session.commit()
        outbox.wake()
    socketio.emit("presence", payload, to=payload["room"], skip_sid=skip_sid)


def presence_changed(change: RoomChange, event: str, skip_sid: str | None = None) -> None:
    """Announce that `change.user` entered (first session) or left (last session)."""
    if change.user is None:
        return
    _presence(presence_payload(change.room, change.users, event, change.user), skip_sid)


def users_gone(change: RoomChange) -> None:
    """Announce users whose sessions expired (their server process died)."""
    for user in change.gone:
        _presence(presence_payload(change.room, change.users, "leave", user))


def member_changed(payload: dict[str, Any] | None) -> None:
    """A membership began or ended (committed with its NATS event): tell the room."""
    if payload is None:
        return
    outbox.wake()
    socketio.emit("member", payload, to=payload["room"])


def notice(sid: str, room: str, text: str) -> None:
    """A line for one session only, such as the welcome."""
    socketio.emit("notice", notice_payload(room, text), to=sid)


def enter_room(sid: str, room: str) -> None:
    """Subscribe session `sid` to a room's broadcasts (works outside a handler)."""
    socketio.server.enter_room(sid, room, namespace="/")


def exit_room(sid: str, room: str) -> None:
    socketio.server.leave_room(sid, room, namespace="/")


def logins_revoked(*, auth_session_id: str | None = None, user_id: int | None = None) -> None:
    """Logins were revoked: their sockets are told `unauthorized` and cut, on every process."""
    revocations.announce(auth_session_id=auth_session_id, user_id=user_id)
