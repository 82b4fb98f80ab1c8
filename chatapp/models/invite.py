"""Invite codes: what lets someone register while REGISTRATION=invite."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.extensions import Model
from chatapp.models.types import UTCDateTime, utcnow


class Invite(Model):
    """An invite code, good for `max_uses` registrations until it expires or is revoked.

    Only the SHA-256 of the code is stored (`code_hash`, hex): the code itself
    is shown once, when it is made, so a copy of the database registers nobody.
    """

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    # Only ever raised by one conditional UPDATE (chatapp.services.invites.redeem),
    # in the transaction that creates the account, so it never passes max_uses.
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(String(100), nullable=True)

    def __repr__(self) -> str:
        return f"<Invite {self.id} {self.uses}/{self.max_uses}>"
