"""Accounts and login sessions: register, authenticate, log in and out, administer."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from chatapp import events, notify
from chatapp.auth.passwords import hash_password, verify_password
from chatapp.errors import Conflict, Forbidden, InvalidCredentials, NotFound
from chatapp.events import outbox
from chatapp.extensions import db
from chatapp.models import AuthSession, User
from chatapp.models.types import utcnow
from chatapp.payloads import user_payload


def name_key(username: str) -> str:
    """The case-insensitive form usernames are compared by."""
    return username.lower()


def find_user(username: str) -> User | None:
    """The user called `username` in any letter case, or None."""
    return db.session.scalar(select(User).where(User.name_key == name_key(username)))


def get_user(username: str) -> User:
    """Like `find_user`, but raise NotFound."""
    user = find_user(username)
    if user is None:
        raise NotFound(f"No user called {username!r}.")
    return user


def register(username: str, password: str, *, is_admin: bool = False) -> User:
    """Create an account; raise Conflict if the name is taken in any letter case."""
    if find_user(username) is not None:
        raise Conflict("That username is taken.")
    user = User(
        username=username,
        name_key=name_key(username),
        password_hash=hash_password(password),
        is_admin=is_admin,
    )
    db.session.add(user)
    try:
        db.session.flush()
        outbox.add(outbox.USER_CREATED, "user.created", user_payload(user))
        db.session.commit()
    except IntegrityError:
        # Another request registered the same name between our check and commit.
        db.session.rollback()
        raise Conflict("That username is taken.") from None
    events.wake()
    return user


def authenticate(username: str, password: str) -> User:
    """The user with these credentials; one generic error for any mismatch."""
    user = find_user(username)
    if not verify_password(user.password_hash if user else None, password):
        raise InvalidCredentials()
    if user.is_disabled:
        # Only said to someone who knows the password.
        raise Forbidden("This account is disabled.")
    return user


def start_session(user: User) -> AuthSession:
    """Open a login session for `user`; its id goes in the cookie and the token."""
    max_age = current_app.config["TOKEN_MAX_AGE"]
    auth_session = AuthSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        expires_at=utcnow() + timedelta(seconds=max_age),
    )
    db.session.add(auth_session)
    db.session.commit()
    user.auth_session_id = auth_session.id
    return auth_session


def end_session(auth_session_id: str) -> None:
    """Revoke one login session: its cookie and tokens stop working."""
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.id == auth_session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()
    notify.logins_revoked(auth_session_id=auth_session_id)


def revoke_all_sessions(user: User) -> None:
    """Revoke every login session of `user` (password change, disable)."""
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def live_logins(auth_session_ids: set[str]) -> set[str]:
    """The ids among `auth_session_ids` still live: unexpired, unrevoked, user enabled."""
    live: set[str] = set()
    ids = sorted(auth_session_ids)
    for start in range(0, len(ids), 1000):  # bounded IN lists
        live.update(
            db.session.scalars(
                select(AuthSession.id)
                .join(User, AuthSession.user_id == User.id)
                .where(
                    AuthSession.id.in_(ids[start : start + 1000]),
                    AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > utcnow(),
                    User.is_disabled.is_(False),
                )
            )
        )
    return live


def load_session_user(auth_session_id: str) -> User | None:
    """The active user behind a live login session, or None."""
    row = db.session.execute(
        select(User, AuthSession)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.id == auth_session_id)
    ).first()
    if row is None:
        return None
    user, auth_session = row
    if auth_session.revoked_at is not None or auth_session.expires_at <= utcnow():
        return None
    if user.is_disabled:
        return None
    user.auth_session_id = auth_session.id
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and log the user out everywhere."""
    user.password_hash = hash_password(password)
    revoke_all_sessions(user)
    db.session.commit()
    notify.logins_revoked(user_id=user.id)


def set_disabled(user: User, disabled: bool) -> None:
    """Disable (logging out everywhere) or re-enable an account."""
    user.is_disabled = disabled
    if disabled:
        revoke_all_sessions(user)
    db.session.commit()
    notify.logins_revoked(user_id=user.id)


def set_admin(user: User, admin: bool) -> None:
    """Grant or remove the admin flag."""
    user.is_admin = admin
    db.session.commit()


def delete_user(user: User) -> None:
    """Delete the account; its messages stay in their rooms without an author."""
    user_id = user.id
    db.session.delete(user)
    db.session.commit()
    notify.logins_revoked(user_id=user_id)
