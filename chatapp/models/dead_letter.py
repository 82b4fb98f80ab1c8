"""Outbox rows NATS can never accept, set aside so the rest keep flowing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.extensions import Model
from chatapp.models.message import MessageId
from chatapp.models.types import UTCDateTime, utcnow


class DeadLetter(Model):
    """An event the relay gave up on, with why and when.

    It has an id of its own: SQLite may hand a retried row an outbox id that
    an older dead letter once had, so the outbox id is kept (`outbox_id`) but
    not used as the key. `event_id` stays unique across a retry, so JetStream
    still drops a copy it already holds.
    """

    __tablename__ = "outbox_dead_letters"

    id: Mapped[int] = mapped_column(MessageId, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    subject: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(String(500))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
