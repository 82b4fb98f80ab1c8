"""Events NATS can never accept: set aside by the relay; listed, retried or dropped by an operator.

A dead letter keeps the event exactly as staged (event id, subject, payload,
staging time) with the reason and the time it was refused.
"""

from __future__ import annotations

from sqlalchemy import delete, func, insert, literal, select

from chatapp.extensions import db
from chatapp.models import DeadLetter, OutboxEvent
from chatapp.models.types import UTCDateTime, utcnow
from chatapp.outbox.failures import publishable_subject

ERROR_MAX = 500  # the column's length


def bury(outbox_id: int, error: str) -> None:
    """Move one outbox row to the dead letters, inside the caller's transaction."""
    copy = select(
        OutboxEvent.id,
        OutboxEvent.event_id,
        OutboxEvent.subject,
        OutboxEvent.payload,
        OutboxEvent.created_at,
        literal(error[:ERROR_MAX]),
        literal(utcnow(), UTCDateTime()),
    ).where(OutboxEvent.id == outbox_id)
    columns = ["outbox_id", "event_id", "subject", "payload", "created_at", "error", "failed_at"]
    db.session.execute(insert(DeadLetter).from_select(columns, copy))
    db.session.execute(delete(OutboxEvent).where(OutboxEvent.id == outbox_id))


def count() -> int:
    found = db.session.execute(select(func.count(DeadLetter.id))).scalar_one()
    db.session.rollback()
    return found


def find(ids: list[int] | None) -> list[DeadLetter]:
    """The dead letters with these ids (all of them for None), oldest first."""
    query = select(DeadLetter).order_by(DeadLetter.id)
    if ids is not None:
        query = query.where(DeadLetter.id.in_(ids))
    return list(db.session.execute(query).scalars())


def retry(letters: list[DeadLetter]) -> tuple[list[DeadLetter], list[DeadLetter]]:
    """Move letters back to the outbox, after what is pending: (moved, skipped).

    They keep their event id, so JetStream drops a copy it already holds.
    Letters whose subject NATS can never take are skipped: they would only
    come back; drop them instead.
    """
    moved = [letter for letter in letters if publishable_subject(letter.subject)]
    skipped = [letter for letter in letters if not publishable_subject(letter.subject)]
    for letter in moved:  # in id order: the outbox keeps their order
        db.session.execute(
            insert(OutboxEvent).values(
                event_id=letter.event_id,
                subject=letter.subject,
                payload=letter.payload,
                # Staged again now; the envelope keeps its original `ts`.
                created_at=utcnow(),
            )
        )
        db.session.delete(letter)
    db.session.commit()
    return moved, skipped


def drop(letters: list[DeadLetter]) -> None:
    """Delete letters for good."""
    for letter in letters:
        db.session.delete(letter)
    db.session.commit()
