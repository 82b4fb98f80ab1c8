"""Rooms, who belongs to them (with a role and how far they read), and who is banned."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.extensions import Model
from chatapp.models.types import UTCDateTime, utcnow

#: Room kinds: a named room, or the direct conversation of two users.
ROOM, DIRECT = "room", "direct"
#: Member roles, lowest first (server admins act as owners everywhere).
ROLES = ("member", "moderator", "owner")


class Room(Model):
    """A chat room. `last_seq` is the sequence number of its newest message.

    A private room (and every direct conversation) is invisible to non-members.
    """

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
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(8), default=ROOM)
    topic: Mapped[str | None] = mapped_column(Text, nullable=True)


class Membership(Model):
    """A user's membership of a room: their role, and how far they have read."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    role: Mapped[str] = mapped_column(String(16), default="member")


class RoomBan(Model):
    """A user kept out of a room until unbanned."""

    __tablename__ = "room_bans"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    banned_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
