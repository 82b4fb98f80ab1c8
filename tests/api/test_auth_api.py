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
    assert all(h.startswith("$argon2id$") and "correct horse" not in h for h in hashes)


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


def test_production_password_hash_is_owasp_argon2id():
    from chatapp.auth.passwords import hasher_for
    from chatapp.config import DEFAULTS

    # OWASP's first choice: Argon2id, m=19 MiB, t=2, p=1.
    assert DEFAULTS["PASSWORD_ARGON2_MEMORY_KIB"] >= 19456
    assert DEFAULTS["PASSWORD_ARGON2_TIME_COST"] >= 2
    assert DEFAULTS["PASSWORD_ARGON2_PARALLELISM"] == 1
    stored = hasher_for(DEFAULTS).hash("correct horse")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def stored_hash(app, name="alice"):
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.name_key == name))


def test_old_scrypt_hash_becomes_argon2_at_the_next_login(app, client, auth):
    from werkzeug.security import generate_password_hash

    auth.register()
    old = generate_password_hash("correct horse", "scrypt:1024:8:1")
    with app.app_context():
        db.session.execute(update(User).values(password_hash=old))
        db.session.commit()
    assert auth.login("alice", "wrong password").status_code == 401
    assert stored_hash(app) == old  # a failed login changes nothing
    assert auth.login().status_code == 200
    assert stored_hash(app).startswith("$argon2id$")
    assert auth.login().status_code == 200  # and the new hash works


def test_argon2_hash_is_redone_when_the_parameters_change(make_app):
    cheap = make_app()
    body = {"username": "alice", "password": "correct horse"}
    assert cheap.test_client().post("/api/auth/register", json=body).status_code == 201
    assert ",t=1," in stored_hash(cheap)
    stronger = make_app(PASSWORD_ARGON2_TIME_COST=3)
    assert stronger.test_client().post("/api/auth/login", json=body).status_code == 200
    assert ",t=3," in stored_hash(stronger)


def test_closed_registration_is_refused_and_admins_still_create_accounts(make_app):
    app = make_app(REGISTRATION="closed")
    client = app.test_client()
    for body in ({"username": "alice", "password": "correct horse"}, {"username": "?"}):
        response = client.post("/api/auth/register", json=body)
        assert response.status_code == 403
        error = response.get_json()["error"]
        assert error["code"] == "forbidden"
        assert "closed" in error["message"] and "administrator" in error["message"]
    assert stored_hash(app) is None
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "alice", "--password", "correct horse"])
    assert result.exit_code == 0, result.output
    login = client.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
    assert login.status_code == 200


@pytest.mark.parametrize("mode", ["bogus", "Open", "invites", "", "yes"])
def test_unknown_registration_mode_refuses_to_start(make_app, mode):
    with pytest.raises(RuntimeError) as refused:
        make_app(REGISTRATION=mode)
    assert str(refused.value) == (
        f"REGISTRATION must be 'open', 'invite' or 'closed', not {mode!r}."
    )


@pytest.mark.parametrize("mode", ["open", "invite", "closed"])
def test_each_registration_mode_starts(make_app, mode):
    assert make_app(REGISTRATION=mode).config["REGISTRATION"] == mode


def test_registration_mode_comes_from_the_environment():
    from chatapp.config import from_env

    assert from_env({"REGISTRATION": "closed"})["REGISTRATION"] == "closed"
