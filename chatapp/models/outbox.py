"""The transactional outbox: events committed with the data they describe."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.extensions import Model
from chatapp.models.message import MessageId
from chatapp.models.types import UTCDateTime, utcnow


class OutboxEvent(Model):
    """An event waiting to be published to NATS; deleted once JetStream has it.

    Rows are published in `id` order. Per room that is commit order, because a
    message's outbox row is inserted after its room's row lock is taken.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(MessageId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    subject: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
