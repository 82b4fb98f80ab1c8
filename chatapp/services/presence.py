"""Arrivals and departures: recorded for NATS (committed), then broadcast.

Who is online is kept by the presence store (`chatapp.presence`); this module
turns its answers into events, the same way every other service does: the
outbox row commits first, then the room is told.
"""

from __future__ import annotations

from typing import Any

from chatapp import notify, outbox
from chatapp.extensions import db
from chatapp.payloads import presence_payload
from chatapp.presence import RoomChange


def _record(payload: dict[str, Any]) -> None:
    if outbox.enabled():
        # Presence has no other row to commit with: its event commits alone.
        outbox.add(outbox.room_subject(payload["room"], "presence"), "presence.changed", payload)
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
