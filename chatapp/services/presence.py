"""Arrivals and departures: recorded for NATS (committed), then broadcast.

Who is online is kept by the presence store (`chatapp.presence`); this module
turns its answers into events, the same way every other service does: the
outbox row commits first, then the room is told.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from chatapp import notify, outbox
from chatapp.extensions import db
from chatapp.models import Room
from chatapp.payloads import presence_payload
from chatapp.presence import RoomChange, local_sessions, presence_store


def _record(payload: dict[str, Any]) -> None:
    if outbox.enabled():
        # Presence has no other row to commit with: its event commits alone.
        # Like every room event it says whether the room is private (a deleted
        # room's last departures count as private: nothing is left to tell).
        private = db.session.scalar(select(Room.private).where(Room.name == payload["room"]))
        outbox.add(
            outbox.room_subject(payload["room"], "presence"),
            "presence.changed",
            payload,
            private=True if private is None else private,
        )
        db.session.commit()
        outbox.wake()
    notify.presence_changed(payload)


def announce(change: RoomChange, event: str) -> None:
    """`change.user` entered (first session, "join") or left (last session, "leave").

    Users found expired on the way are announced first, as having left.
    """
    announce_gone(change)
    if change.changed and change.user is not None:
        _record(presence_payload(change.room, change.users, event, change.user))


def announce_gone(change: RoomChange) -> None:
    """Users whose sessions expired (their server process died) left the room."""
    for user in change.gone:
        _record(presence_payload(change.room, change.users, "leave", user))


def drop_user(username: str, room: str) -> None:
    """Every session of `username` leaves `room`'s presence (their membership ended).

    Sessions of this process also forget the room; another process's keep it in
    their bookkeeping, harmlessly: refreshes never bring back a session the
    store dropped, and their sends are checked against the database.
    """
    for sid in presence_store().sessions(username):
        leave_session(sid, room)


def leave_session(sid: str, room: str) -> None:
    """One session leaves `room`'s presence, and this process forgets it was there."""
    session = local_sessions().get(sid)
    if session is not None:
        session.rooms.pop(room, None)
    announce(presence_store().leave(sid, room), "leave")
