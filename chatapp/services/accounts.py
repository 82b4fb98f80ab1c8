"""Accounts and login sessions: register, authenticate, log in and out, administer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Connection, Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from chatapp import notify, outbox
from chatapp.auth import budgets
from chatapp.auth.passwords import check_password, fingerprint, hash_password
from chatapp.errors import Conflict, Forbidden, InvalidCredentials, NotFound
from chatapp.extensions import db
from chatapp.models import AuthSession, User
from chatapp.models.tables import AUTH_SESSIONS, USERS
from chatapp.models.types import utcnow
from chatapp.payloads import user_payload
from chatapp.services import invites


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


def _release_connection() -> None:
    """End the read and give the connection back before a hash (or a wait for one).

    A login waits for a hashing slot for up to PASSWORD_HASH_MAX_WAIT seconds;
    holding a pooled connection meanwhile ran SQLite's pool dry in a burst
    (requests that needed the database stalled, then failed). `close()` rather
    than `rollback()`: loaded objects stay readable, detached, with no reload.
    """
    db.session.close()


def check_self_registration() -> str:
    """Raise Forbidden while REGISTRATION is "closed"; else the mode, "open" or "invite"."""
    mode: str = current_app.config["REGISTRATION"]
    if mode == "closed":
        raise Forbidden(
            "Registration is closed on this server; ask an administrator for an account."
        )
    return mode


def sign_up(username: str, password: str, address: str | None, invite: str | None = None) -> User:
    """Self-registration over the API: the REGISTRATION mode and the address's budget.

    While REGISTRATION=invite, `invite` must be a usable code, checked before
    anything else (so a visitor without one learns nothing of usernames) and
    spent with the account. While open it is ignored: not checked, not spent.
    Only created accounts spend the budget: a taken name, a busy server or any
    other failure gives the unit back.
    """
    if check_self_registration() == "invite":
        invites.check(invite)
    else:
        invite = None
    spent = budgets.spend_registration(address)
    try:
        return register(username, password, invite=invite)
    except BaseException:
        spent.refund()
        raise


def register(
    username: str, password: str, *, is_admin: bool = False, invite: str | None = None
) -> User:
    """Create an account; raise Conflict if the name is taken in any letter case.

    Hashing comes first, with no database connection held; then one short
    transaction spends a use of `invite` (if given; InvalidInvite if it cannot
    be spent), inserts the user and its event, so a refused account spends no use.
    """
    if find_user(username) is not None:
        raise Conflict("That username is taken.")
    _release_connection()
    password_hash = hash_password(password)
    user = User(
        username=username,
        name_key=name_key(username),
        password_hash=password_hash,
        is_admin=is_admin,
    )
    try:
        if invite is not None:
            invites.redeem(invite)
        db.session.add(user)
        db.session.flush()
        outbox.add(outbox.USER_CREATED, "user.created", user_payload(user))
        db.session.commit()
    except invites.InvalidInvite:
        # Spent or revoked since the check in sign_up, by a parallel registration.
        db.session.rollback()
        raise
    except IntegrityError:
        # Another request registered the same name between our check and commit.
        db.session.rollback()
        raise Conflict("That username is taken.") from None
    outbox.wake()
    return user


def log_in(username: str, password: str, address: str | None) -> tuple[User, AuthSession]:
    """Check credentials and open a login session; one generic error for any mismatch.

    Look the user up, give the connection back, spend the failure budgets,
    check the password (waiting for a hashing slot), then one short
    transaction writes the login session and, when due, the upgraded hash.
    """
    user = find_user(username)
    stored = user.password_hash if user else None
    _release_connection()
    spent = budgets.spend_login(name_key(username), fingerprint(stored), address)
    try:
        matches, new_hash = check_password(stored, password)
    except BaseException:  # Busy, or anything else: no guess was made
        spent.refund()
        raise
    if user is None or not matches:  # no user: the dummy hash never matches
        raise InvalidCredentials()
    budgets.login_succeeded(spent)
    if user.is_disabled:
        # Only said to someone who knows the password.
        raise Forbidden("This account is disabled.")
    if new_hash is not None:
        # Only if nobody changed it meanwhile (an admin's reset wins).
        db.session.execute(
            update(User)
            .where(User.id == user.id, User.password_hash == stored)
            .values(password_hash=new_hash)
        )
    return user, start_session(user)


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


@dataclass(frozen=True, slots=True)
class Login:
    """Who a socket is when it connects: what presence and the greeting need, no ORM object."""

    id: int
    username: str
    auth_session_id: str


def _live_session(query: Select) -> Select:
    """`query` of users, narrowed to the one behind live login session :auth_session_id."""
    return query.join(AUTH_SESSIONS, AUTH_SESSIONS.c.user_id == USERS.c.id).where(
        AUTH_SESSIONS.c.id == bindparam("auth_session_id"),
        AUTH_SESSIONS.c.revoked_at.is_(None),
        AUTH_SESSIONS.c.expires_at > bindparam("now"),
        USERS.c.is_disabled.is_(False),
    )


# Built once, as every connect and login re-check runs one. A connect's selects
# table columns: building statements and loading ORM rows was most of a
# connect's CPU (docs/benchmarks.md, capacity).
LOGIN = _live_session(select(USERS.c.id, USERS.c.username))
SESSION_USER = _live_session(select(User))


def session_login(auth_session_id: str, reads: Connection) -> Login | None:
    """Who is behind a live login session, or None: a connect's check, without the ORM."""
    row = reads.execute(LOGIN, {"auth_session_id": auth_session_id, "now": utcnow()}).first()
    return None if row is None else Login(row.id, row.username, auth_session_id)


def load_session_user(auth_session_id: str) -> User | None:
    """The active user behind a live login session, or None."""
    user = db.session.scalar(SESSION_USER, {"auth_session_id": auth_session_id, "now": utcnow()})
    if user is not None:
        user.auth_session_id = auth_session_id
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and log the user out everywhere.

    The new hash also starts fresh failed-login budgets for the user in every
    process (their keys hold a digest of the hash; see chatapp.auth.budgets).
    """
    _release_connection()
    new_hash = hash_password(password)
    db.session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
    user.password_hash = new_hash
    revoke_all_sessions(user)
    db.session.commit()
    notify.logins_revoked(user_id=user.id)


def unlock(user: User) -> None:
    """Forget the user's failed logins from every address (shared storage only)."""
    budgets.forget_failures(user.name_key)


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
    """Delete the account; its messages stay in their rooms without an author.

    Its direct conversations are renamed `~<a>-<b>-<room id>`: ids can be
    reused (SQLite hands out the highest one again), and a new account with
    the deleted one's id must not open the old conversation and its history.
    """
    from chatapp.services.direct import announce_retired, retire_conversations

    user_id = user.id
    retired = retire_conversations(user_id)
    db.session.delete(user)
    db.session.commit()
    notify.logins_revoked(user_id=user_id)
    announce_retired(retired)
