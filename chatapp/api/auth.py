"""Accounts over JSON: register, log in, log out, who am I."""

from __future__ import annotations

from flask import jsonify, request, session
from flask_login import current_user, login_required, login_user, logout_user

from chatapp.api import bp
from chatapp.api.body import body_as
from chatapp.auth.tokens import issue_token
from chatapp.payloads import user_payload
from chatapp.schemas import Credentials, Registration
from chatapp.services import accounts


@bp.post("/auth/register")
def register():
    """Create an account. Answers 201 with the user; 409 if the name is taken.

    403 while REGISTRATION is closed, or is invite and the body's `invite` is
    missing or not a usable code; 429 once the address has registered
    RATELIMIT_REGISTER accounts (only created accounts count).
    """
    accounts.check_self_registration()
    data = body_as(Registration)
    user = accounts.sign_up(data.username, data.password, request.remote_addr, data.invite)
    return jsonify({"user": user_payload(user)}), 201


@bp.post("/auth/login")
def login():
    """Start a cookie session and answer {"user", "token"} for bearer use.

    429 (with retry_after) once this address spent its failed-login budgets;
    503 busy when the wait for password hashing would be too long.
    """
    data = body_as(Credentials)
    user, auth_session = accounts.log_in(data.username, data.password, request.remote_addr)
    session.permanent = True
    login_user(user)
    return jsonify({"user": user_payload(user), "token": issue_token(auth_session.id)})


@bp.post("/auth/logout")
@login_required
def logout():
    """End this login session: its cookie and every token issued to it."""
    accounts.end_session(current_user.auth_session_id)
    logout_user()
    return jsonify({"ok": True})


@bp.get("/auth/me")
@login_required
def me():
    """The logged-in user."""
    return jsonify({"user": user_payload(current_user)})
