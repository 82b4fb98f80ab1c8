"""Stored chat messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.extensions import Model
from chatapp.models.types import UTCDateTime, utcnow

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
MessageId = BigInteger().with_variant(Integer(), "sqlite")


class Message(Model):
    """A message in a room; `seq` numbers a room's messages 1, 2, 3... with no gaps."""

    __tablename__ = "messages"
    __table_args__ = (
        # Also the "history of a room" index: WHERE room_id = ? ORDER BY seq.
        UniqueConstraint("room_id", "seq"),
        # Idempotent sends: a retried client_id finds the original message.
        UniqueConstraint("user_id", "client_id"),
        # "Messages of a user": WHERE user_id = ? ORDER BY id DESC.
        Index("ix_messages_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(MessageId, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    # NULL once the author's account is deleted: the room's history stays whole.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_id: Mapped[str] = mapped_column(String(64))
