"""Invite codes: make, list, revoke, and redeem one in the registration that spends it."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.elements import ColumnElement

from chatapp.errors import Forbidden, NotFound, ValidationFailed
from chatapp.extensions import db
from chatapp.models import Invite, User
from chatapp.models.types import utcnow

#: Bytes of randomness in a code: 192 bits, 32 URL-safe characters.
CODE_BYTES = 24
#: Far above any real invite; keeps `max_uses` inside PostgreSQL's INTEGER.
MAX_USES = 1_000_000
NOTE_LENGTH = 100
# Any control character, newline and tab too: a note is one line of a table.
NOTE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InviteRequired(Forbidden):
    message = "Registration on this server needs an invite code; ask an administrator for one."


class InvalidInvite(Forbidden):
    # One answer for unknown, expired, revoked and used-up codes, so trying
    # codes tells nothing about which exist or what became of them.
    message = "That invite code cannot be used: it is unknown, expired, revoked or used up."


def hash_code(code: str) -> str:
    """The stored form of a code: SHA-256, hex.

    A fast hash is right here, unlike for passwords: a code carries 192 random
    bits, so nobody can enumerate candidates against a stolen hash, and a
    fast, unsalted digest is what lets one indexed lookup find the row.
    """
    return hashlib.sha256(code.encode()).hexdigest()


def create(
    created_by: User | None = None,
    uses: int = 1,
    expires_in: timedelta | None = None,
    note: str | None = None,
) -> tuple[Invite, str]:
    """Make an invite good for `uses` registrations; return it and its code.

    The code is only ever returned here: the database keeps its hash.
    """
    if not 1 <= uses <= MAX_USES:
        raise ValidationFailed(f"An invite has 1 to {MAX_USES} uses.")
    if note is not None and (
        not 0 < len(note) <= NOTE_LENGTH or NOTE_FORBIDDEN.search(note) is not None
    ):
        raise ValidationFailed(f"A note is 1 to {NOTE_LENGTH} characters on one line.")
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValidationFailed("An invite must expire in the future.")
    code = secrets.token_urlsafe(CODE_BYTES)
    now = utcnow()
    invite = Invite(
        code_hash=hash_code(code),
        created_by=created_by.id if created_by else None,
        created_at=now,
        expires_at=now + expires_in if expires_in is not None else None,
        max_uses=uses,
        uses=0,
        note=note,
    )
    db.session.add(invite)
    db.session.commit()
    return invite, code


def list_invites() -> list[tuple[Invite, str | None]]:
    """Every invite, oldest first, with the username of its maker (None if unknown)."""
    rows = db.session.execute(
        select(Invite, User.username)
        .outerjoin(User, Invite.created_by == User.id)
        .order_by(Invite.id)
    ).all()
    return [(invite, maker) for invite, maker in rows]


def state(invite: Invite, now: datetime | None = None) -> str:
    """What an invite is now: "revoked", "used", "expired" or "active", first that applies."""
    now = now or utcnow()
    if invite.revoked_at is not None:
        return "revoked"
    if invite.uses >= invite.max_uses:
        return "used"
    if invite.expires_at is not None and invite.expires_at <= now:
        return "expired"
    return "active"


def revoke(invite_id: int) -> tuple[Invite, bool]:
    """Revoke an invite; also whether this call did it (False: it already was)."""
    invite = db.session.get(Invite, invite_id)
    if invite is None:
        raise NotFound(f"No invite with id {invite_id}.")
    if invite.revoked_at is not None:
        return invite, False
    invite.revoked_at = utcnow()
    db.session.commit()
    return invite, True


def _usable(code: str) -> ColumnElement[bool]:
    """The condition for an invite row this code may spend, now."""
    now = utcnow()
    return (
        (Invite.code_hash == hash_code(code))
        & Invite.revoked_at.is_(None)
        & (Invite.uses < Invite.max_uses)
        & (Invite.expires_at.is_(None) | (Invite.expires_at > now))
    )


def check(code: str | None) -> None:
    """Raise InviteRequired or InvalidInvite unless `code` could be redeemed now.

    Only a pre-check, before the password is hashed: a visitor without a good
    code costs no hashing and learns nothing about usernames. `redeem` decides.
    """
    if code is None:
        raise InviteRequired()
    if db.session.scalar(select(Invite.id).where(_usable(code))) is None:
        raise InvalidInvite()


def redeem(code: str) -> None:
    """Spend one use of `code` inside the caller's transaction, or raise InvalidInvite.

    One conditional UPDATE, so concurrent redemptions cannot pass `max_uses`:
    on PostgreSQL the second waits for the first's row lock and re-checks the
    condition, on SQLite writers take turns. The caller commits with the new
    account, or rolls back and the use is not spent. The caller must roll
    back when this raises.
    """
    spent = cast(
        CursorResult,
        db.session.execute(
            update(Invite)
            .where(_usable(code))
            .values(uses=Invite.uses + 1)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if spent != 1:
        raise InvalidInvite()
