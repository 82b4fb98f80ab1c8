"""Accounts over REST: register, login, logout, me, tokens, disabled users."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from chatapp.extensions import db
from chatapp.models import AuthSession, User
from chatapp.models.types import utcnow


def test_register_answers_201_with_the_user(client, auth):
    response = auth.register("alice", "correct horse")
    assert response.status_code == 201
    user = response.get_json()["user"]
    assert user["username"] == "alice"
    assert user["is_admin"] is False
    assert user["created"].endswith("Z")
    assert "password" not in str(response.get_json())


def test_register_stores_a_salted_hash_not_the_password(app, auth):
    auth.register("alice", "correct horse")
    auth.register("bob", "correct horse")
    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert len(set(hashes)) == 2
    assert all(h.startswith("scrypt:") and "correct horse" not in h for h in hashes)


@pytest.mark.parametrize("variant", ["alice", "Alice", "ALICE", "aLiCe"])
def test_taken_username_in_any_case_is_409(client, auth, variant):
    assert auth.register("alice").status_code == 201
    response = auth.register(variant, "another password")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"


def test_login_is_case_insensitive_and_returns_user_and_token(client, auth):
    auth.register("Alice")
    response = auth.login("aLICE")
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["username"] == "Alice"
    assert isinstance(body["token"], str) and len(body["token"]) > 20


def test_login_cookie_flags(client, auth):
    auth.register()
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # SESSION_COOKIE_SECURE defaults off for plain HTTP


def test_secure_cookie_is_configurable(make_app):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    client.post("/api/auth/register", json={"username": "alice", "password": "correct horse"})
    response = client.post(
        "/api/auth/login", json={"username": "alice", "password": "correct horse"}
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_me_with_cookie_session(client, auth):
    auth.register()
    auth.login()
    response = client.get("/api/auth/me")
    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == "alice"


def test_me_with_bearer_token_and_no_cookie(app, auth):
    token = auth.signup()
    fresh = app.test_client()
    response = fresh.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == "alice"


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer not-a-token", "Bearer " + "x" * 600]
)
def test_me_without_valid_credentials_is_401_json(app, header):
    response = app.test_client().get("/api/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_tampered_token_is_refused(app, auth):
    token = auth.signup()
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    response = app.test_client().get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tampered}"}
    )
    assert response.status_code == 401


def test_token_signed_with_another_key_is_refused(app, make_app, auth):
    auth.signup()
    with app.app_context():
        sid = db.session.scalar(select(AuthSession.id))
    other = make_app(SECRET_KEY="another-" + "z" * 40)
    with other.app_context():
        from chatapp.auth.tokens import issue_token

        forged = issue_token(sid)  # names a live session, signed with the wrong key
    fresh = app.test_client()
    response = fresh.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_expired_login_session_token_is_refused(app, auth):
    token = auth.signup()
    with app.app_context():
        db.session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = app.test_client().get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_token_past_its_signed_max_age_is_refused(make_app, auth):
    token = auth.signup()
    # A second app on the same database whose tokens live for 0 seconds sees
    # the token as expired by its signature timestamp alone.
    strict = make_app(TOKEN_MAX_AGE=-1)
    response = strict.test_client().get(
        "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_logout_ends_the_cookie_session_and_its_token(app, client, auth):
    auth.register()
    token = auth.login().get_json()["token"]
    assert auth.logout().status_code == 200
    assert client.get("/api/auth/me").status_code == 401
    fresh = app.test_client()
    response = fresh.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_logout_with_a_token_leaves_other_sessions_alone(app, auth):
    auth.register()
    first = auth.login().get_json()["token"]
    second = auth.login().get_json()["token"]
    other = app.test_client()
    assert (
        other.post("/api/auth/logout", headers={"Authorization": f"Bearer {first}"}).status_code
        == 200
    )
    assert (
        other.get("/api/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    )
    assert (
        other.get("/api/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    )


def test_logout_requires_login(client):
    assert client.post("/api/auth/logout").status_code == 401


def test_unknown_user_and_wrong_password_get_the_same_answer(client, auth):
    auth.register("alice")
    wrong_password = auth.login("alice", "not the password")
    unknown_user = auth.login("nobody", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.get_json() == unknown_user.get_json()
    assert wrong_password.get_json()["error"]["code"] == "unauthorized"


def test_disabled_user_cannot_log_in_and_loses_sessions(app, client, auth):
    token = auth.signup()
    with app.app_context():
        from chatapp.services import accounts

        accounts.set_disabled(accounts.get_user("alice"), True)
    assert client.get("/api/auth/me").status_code == 401
    fresh = app.test_client()
    assert (
        fresh.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    response = auth.login()
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    # A wrong password for a disabled user still gets the generic answer.
    assert auth.login("alice", "wrong password").status_code == 401


def test_production_password_hash_meets_owasp():
    from chatapp.config import DEFAULTS

    method, n, r, p = DEFAULTS["PASSWORD_HASH_METHOD"].split(":")
    assert method == "scrypt"
    # OWASP: N=2^15 with r=8 needs p >= 3 at 32 MiB (or p >= 1 at 64 MiB).
    assert int(n) >= 2**15 and int(r) >= 8 and int(p) >= 3
