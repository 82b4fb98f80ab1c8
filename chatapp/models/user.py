"""Accounts and the login sessions issued to them."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.extensions import Model
from chatapp.models.types import UTCDateTime, utcnow


class User(UserMixin, Model):
    """A chat account. `name_key` is the lowercased username, unique."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Usernames are compared case-insensitively: "Alice" and "alice" are one
    # account. A plain unique column is portable where lower() indexes are not.
    name_key: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: The login session this object was loaded through (not a column).
    auth_session_id: str | None = None
    # Lets the annotation above stand without making SQLAlchemy map it as a column.
    __allow_unmapped__ = True

    def get_id(self) -> str | None:
        # Flask-Login stores this in the cookie session; naming the login
        # session rather than the user lets logout revoke exactly that session.
        return self.auth_session_id

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class AuthSession(Model):
    """One login: the cookie session and the bearer token both point here."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
