"""Adding events to the outbox, inside the caller's transaction."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select

from chatapp.extensions import db
from chatapp.models import OutboxEvent
from chatapp.models.tables import OUTBOX
from chatapp.models.types import utcnow
from chatapp.payloads import event_envelope
from chatapp.tracing import current_trace_id

INSERT_EVENT = insert(OUTBOX)


def enabled() -> bool:
    """Events are recorded only when NATS is configured; nothing would drain them."""
    return bool(current_app.config.get("NATS_URL"))


def room_subject(room: str, kind: str) -> str:
    # Room names are lowercase letters, digits, '-' and '_', direct conversations'
    # are '~<id>-<id>': valid subject tokens either way.
    return f"chat.room.{room}.{kind}"


USER_CREATED = "chat.user.created"


def add(
    subject: str, event_type: str, data: dict[str, Any], *, private: bool | None = None
) -> None:
    """Stage an event in the current transaction; it is published after commit.

    `private`: for a room's events, whether the room is private (the envelope says so).
    """
    if not enabled():
        return
    # A Core insert built once: it rides on every send, and needs nothing back.
    db.session.execute(INSERT_EVENT, event_row(subject, event_type, data, private))


def event_row(
    subject: str,
    event_type: str,
    data: dict[str, Any],
    private: bool | None = None,
    trace_id: str | None = None,
) -> dict[str, Any]:
    """The outbox row of an event, for INSERT_EVENT (the group commit inserts many at once).

    `trace_id` defaults to the current one; a batch stores other requests' events.
    """
    event_id = str(uuid.uuid4())
    envelope = event_envelope(event_id, event_type, trace_id or current_trace_id(), data, private)
    return {
        "event_id": event_id,
        "subject": subject,
        "payload": json.dumps(envelope),
        "created_at": utcnow(),
    }


def backlog() -> tuple[int, float | None]:
    """(events waiting to be published, age in seconds of the oldest)."""
    # func.min keeps the column's type, so `oldest` comes back timezone-aware.
    count, oldest = db.session.execute(
        select(func.count(OutboxEvent.id), func.min(OutboxEvent.created_at))
    ).one()
    db.session.rollback()
    age = None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
    return count, age
