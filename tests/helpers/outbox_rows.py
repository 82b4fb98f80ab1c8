"""Outbox and dead-letter rows written and read directly, for relay tests.

The API no longer creates rows NATS refuses, but databases from before the
fix may hold them: tests insert them as the app would have.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import insert, select

from chatapp.extensions import db
from chatapp.models import DeadLetter, OutboxEvent
from chatapp.models.types import utcnow
from chatapp.outbox import dead_letters
from tests.helpers.stream import read_stream
from tests.helpers.wait import wait_for

GOOD = "chat.room.ok.message"
BAD_SUBJECT = "chat.room.x\n.presence"


def stage(app, subject, n, pad="", event_id=None):
    """Insert an outbox row; its payload is {"n": n, "pad": pad}. Returns its event id."""
    event_id = event_id or str(uuid.uuid4())
    with app.app_context():
        db.session.execute(
            insert(OutboxEvent),
            {
                "event_id": event_id,
                "subject": subject,
                "payload": json.dumps({"n": n, "pad": pad}),
                "created_at": utcnow(),
            },
        )
        db.session.commit()
    return event_id


def stage_many(app, rows, ids=None):
    """Insert outbox rows (subject, n) in one transaction, in order; returns their event ids."""
    ids = ids or [str(uuid.uuid4()) for _ in rows]
    values = [
        {
            "event_id": event_id,
            "subject": subject,
            "payload": json.dumps({"n": n, "pad": ""}),
            "created_at": utcnow(),
        }
        for event_id, (subject, n) in zip(ids, rows, strict=True)
    ]
    with app.app_context():
        db.session.execute(insert(OutboxEvent), values)
        db.session.commit()
    return ids


def bury(app, subject, n, event_id=None):
    """A dead letter, made the way the relay makes one. Returns its event id."""
    event_id = stage(app, subject, n, event_id=event_id)
    with app.app_context():
        row_id = db.session.execute(
            select(OutboxEvent.id).where(OutboxEvent.event_id == event_id)
        ).scalar_one()
        dead_letters.bury(row_id, "test: refused")
        db.session.commit()
    return event_id


def outbox_ids(app):
    """Event ids waiting in the outbox, in publishing order."""
    with app.app_context():
        ids = db.session.execute(select(OutboxEvent.event_id).order_by(OutboxEvent.id)).scalars()
        return list(ids)


def letters(app):
    with app.app_context():
        return list(db.session.execute(select(DeadLetter).order_by(DeadLetter.id)).scalars())


def metric(app, name):
    """A sample's value on the app's /metrics (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = app.test_client().get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return 0.0


def published(url, count, timeout=60):
    """The (subject, event) pairs in the stream once it holds at least `count`."""

    def enough():
        found = read_stream(url)
        return found if len(found) >= count else None

    return wait_for(enough, timeout, 0.1, f"{count} events in the stream")
