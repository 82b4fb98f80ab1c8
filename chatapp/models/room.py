"""Rooms and who belongs to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.extensions import Model
from chatapp.models.types import UTCDateTime, utcnow


class Room(Model):
    """A chat room. `last_seq` is the sequence number of its newest message."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Incremented in the same transaction that stores a message: the row lock
    # serialises concurrent senders, and a rollback gives the number back.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Membership(Model):
    """A user's membership of a room, with how far they have read."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
