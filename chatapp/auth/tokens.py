"""Signed, expiring bearer tokens naming a login session."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

_SALT = "chatapp.bearer-token"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_token(auth_session_id: str) -> str:
    """A bearer token for the login session `auth_session_id`."""
    return _serializer().dumps({"sid": auth_session_id})


def read_token(token: str) -> str | None:
    """The login session id inside `token`, or None if forged, malformed or expired."""
    if not token or len(token) > 512:
        return None
    try:
        data = _serializer().loads(token, max_age=current_app.config["TOKEN_MAX_AGE"])
    except BadSignature:  # also covers SignatureExpired
        return None
    sid = data.get("sid") if isinstance(data, dict) else None
    return sid if isinstance(sid, str) else None
