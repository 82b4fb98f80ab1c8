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
from chatapp.payloads import notice_payload, read_payload, removed_payload, room_added_payload
from chatapp.presence import presence_store


def user_room(user_id: int) -> str:
    """The Socket.IO room of every session of one user (no room name contains ':')."""
    return f"user:{user_id}"


def messages_created(payloads: list[dict[str, Any]]) -> None:
    """Messages committed together (a group commit's batch): delivered live, in order.

    Other processes get them through one Redis round trip for the batch.
    """
    with socketio.server.manager.publishing_together():
        for payload in payloads:
            message_created(payload)


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
    """A membership began, ended or changed role; a ban or unban."""
    socketio.emit("member", payload, to=payload["room"])


def room_updated(room: dict[str, Any]) -> None:
    """A room's topic or privacy changed: its members see the new ROOM."""
    socketio.emit("room_updated", {"room": room}, to=room["name"])


def room_added(
    user_id: int,
    username: str,
    membership: dict[str, Any],
    by: str | None,
    skip_sid: str | None = None,
) -> None:
    """`user` was invited or added: their live sessions receive the room from now on.

    Subscribed first, then told, so a session that hears `room_added` already
    receives the room's messages. A session on another process is subscribed
    through the Socket.IO message queue, in order with the room's broadcasts.
    """
    for sid in presence_store().sessions(username):
        if sid != skip_sid:  # the joining session subscribes itself, after its presence
            _subscribe(sid, membership["name"])
    socketio.emit(
        "room_added", room_added_payload(membership, by), to=user_room(user_id), skip_sid=skip_sid
    )


def removed(
    user_id: int,
    username: str,
    room: str,
    by: str | None,
    reason: str | None,
    banned: bool,
    skip_sid: str | None = None,
) -> None:
    """`user`'s membership of `room` ended: every session is told, then stops receiving it.

    The unsubscription goes through the message queue, like the broadcasts,
    so a message sent after it is never delivered to those sessions.
    """
    payload = removed_payload(room, by, reason, banned)
    socketio.emit("removed", payload, to=user_room(user_id), skip_sid=skip_sid)
    for sid in presence_store().sessions(username):
        socketio.server.leave_room(sid, room, namespace="/")


def room_closed(room: str) -> None:
    """A deleted room: no session anywhere receives it any more."""
    socketio.server.close_room(room, namespace="/")


def read(user_id: int, room: str, last_read_seq: int, skip_sid: str | None = None) -> None:
    """The user read `room` up to `last_read_seq`: their other sessions clear its unread count."""
    socketio.emit(
        "read", read_payload(room, last_read_seq), to=user_room(user_id), skip_sid=skip_sid
    )


def _subscribe(sid: str, room: str) -> None:
    try:
        socketio.server.enter_room(sid, room, namespace="/")
    except (KeyError, ValueError):
        pass  # the session ended between listing and subscribing; nothing to deliver to


def notice(sid: str, room: str, text: str) -> None:
    """A line for one session only, such as the welcome."""
    socketio.emit("notice", notice_payload(room, text), to=sid)


def logins_revoked(*, auth_session_id: str | None = None, user_id: int | None = None) -> None:
    """Logins were revoked: their sockets are told `unauthorized` and cut, on every process."""
    revocations.announce(auth_session_id=auth_session_id, user_id=user_id)
