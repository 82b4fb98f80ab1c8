"""Flask-Login wiring: the cookie session and bearer tokens resolve to one user."""

from __future__ import annotations

from flask import Flask, Request
from limits import parse

from chatapp.auth import passwords
from chatapp.auth.tokens import read_token
from chatapp.errors import Unauthorized
from chatapp.extensions import login_manager
from chatapp.models import User
from chatapp.services.accounts import load_session_user


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


#: The values REGISTRATION accepts.
REGISTRATION_MODES = ("open", "invite", "closed")

#: The budgets chatapp.auth.budgets reads, checked at startup.
AUTH_BUDGETS = ("RATELIMIT_LOGIN_FAILURES", "RATELIMIT_LOGIN_ADDRESS", "RATELIMIT_REGISTER")


def check_settings(app: Flask) -> None:
    """Refuse to start with an account setting that would fail at the first request."""
    mode = app.config["REGISTRATION"]
    if mode not in REGISTRATION_MODES:
        raise RuntimeError(f"REGISTRATION must be 'open', 'invite' or 'closed', not {mode!r}.")
    for name in AUTH_BUDGETS:
        try:
            parse(app.config[name])
        except ValueError:
            raise RuntimeError(
                f"{name} must be a rate like '5 per 15 minutes', not {app.config[name]!r}."
            ) from None
    passwords.check_settings(app)


def init_app(app: Flask) -> None:
    check_settings(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_from_cookie(auth_session_id: str) -> User | None:
        return load_session_user(auth_session_id)

    @login_manager.request_loader
    def load_from_token(request: Request) -> User | None:
        token = bearer_token(request)
        auth_session_id = read_token(token) if token else None
        return load_session_user(auth_session_id) if auth_session_id else None

    @login_manager.unauthorized_handler
    def unauthorized():
        raise Unauthorized()
