"""Accounts over JSON: register, log in, log out, who am I."""

from __future__ import annotations

from flask import current_app, jsonify, request, session
from flask_login import current_user, login_required, login_user, logout_user

from chatapp.api import bp
from chatapp.api.body import body_as
from chatapp.auth.tokens import issue_token
from chatapp.extensions import limiter
from chatapp.payloads import user_payload
from chatapp.schemas import Credentials, Registration
from chatapp.services import accounts


def _login_username() -> str:
    """Failed logins are counted per username, whatever its letter case."""
    data = request.get_json(silent=True)
    name = data.get("username") if isinstance(data, dict) else None
    return f"login:{name.lower()[:64]}" if isinstance(name, str) else "login:?"


@bp.post("/auth/register")
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], override_defaults=False)
def register():
    """Create an account. Answers 201 with the user; 409 if the name is taken."""
    data = body_as(Registration)
    user = accounts.register(data.username, data.password)
    return jsonify({"user": user_payload(user)}), 201


@bp.post("/auth/login")
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_FAILURES"],
    key_func=_login_username,
    deduct_when=lambda response: response.status_code == 401,
    override_defaults=False,
)
def login():
    """Start a cookie session and answer {"user", "token"} for bearer use."""
    data = body_as(Credentials)
    user = accounts.authenticate(data.username, data.password)
    auth_session = accounts.start_session(user)
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
