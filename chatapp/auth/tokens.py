"""Signed, expiring bearer tokens naming a login session."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

_SALT = "chatapp.bearer-token"
CLAIM = "sid"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_token(auth_session_id: str) -> str:
    """A bearer token for the login session `auth_session_id`."""
    # The claim keeps its first name, "sid", so tokens issued before stay readable;
    # everywhere in the code it is the auth_session_id (a socket's id is its sid).
    return _serializer().dumps({CLAIM: auth_session_id})


def read_token(token: str) -> str | None:
    """The login session id inside `token`, or None if forged, malformed or expired."""
    if not token or len(token) > 512:
        return None
    try:
        data = _serializer().loads(token, max_age=current_app.config["TOKEN_MAX_AGE"])
    except BadSignature:  # also covers SignatureExpired
        return None
    auth_session_id = data.get(CLAIM) if isinstance(data, dict) else None
    return auth_session_id if isinstance(auth_session_id, str) else None
