"""REGISTRATION=invite: registering needs a code, spent with the account it creates."""

import hashlib
import secrets
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from chatapp.extensions import db
from chatapp.models import Invite, User
from chatapp.models.types import utcnow
from chatapp.services import invites
from tests.helpers.errors import assert_error

REGISTER = "/api/auth/register"
INVALID = invites.InvalidInvite.message


@pytest.fixture
def invite_app(make_app):
    return make_app(REGISTRATION="invite")


def make_code(app, uses=1, expires_in=None):
    with app.app_context():
        invite, code = invites.create(uses=uses, expires_in=expires_in)
        return invite.id, code


def invite_row(app, invite_id):
    with app.app_context():
        return db.session.get(Invite, invite_id)


def usernames(app):
    with app.app_context():
        return db.session.scalars(select(User.username).order_by(User.id)).all()


def register(client, username="alice", invite=None):
    body = {"username": username, "password": "correct horse"}
    if invite is not None:
        body["invite"] = invite
    return client.post(REGISTER, json=body)


def assert_invalid_invite(response):
    assert_error(response, 403, "forbidden")
    assert response.get_json()["error"]["message"] == INVALID


def test_a_valid_code_registers_and_is_spent(invite_app):
    invite_id, code = make_code(invite_app)
    client = invite_app.test_client()
    response = register(client, invite=code)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["user"]["username"] == "alice"
    login = client.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
    assert login.status_code == 200
    assert invite_row(invite_app, invite_id).uses == 1
    assert_invalid_invite(register(client, "bob", invite=code))
    assert usernames(invite_app) == ["alice"]


@pytest.mark.parametrize("invite", [None, ""])
def test_no_code_is_refused_and_says_a_code_is_needed(invite_app, invite):
    body = {"username": "alice", "password": "correct horse", "invite": invite}
    if invite is None:
        del body["invite"]
    response = invite_app.test_client().post(REGISTER, json=body)
    if invite == "":  # not a code at all: the format is public, so it may say so
        assert_error(response, 422, "bad_request")
        assert "invite" in response.get_json()["error"]["message"]
    else:
        assert_error(response, 403, "forbidden")
        assert "invite code" in response.get_json()["error"]["message"]
    assert usernames(invite_app) == []


def test_unknown_expired_revoked_and_used_up_codes_get_one_answer(invite_app):
    _, expired = make_code(invite_app, expires_in=timedelta(hours=1))
    revoked_id, revoked = make_code(invite_app)
    _, used = make_code(invite_app)
    with invite_app.app_context():
        db.session.execute(
            update(Invite)
            .where(Invite.code_hash == invites.hash_code(expired))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        invites.revoke(revoked_id)
    client = invite_app.test_client()
    assert register(client, "first", invite=used).status_code == 201
    unknown = secrets.token_urlsafe(24)
    answers = [register(client, "alice", invite=code) for code in (unknown, expired, revoked, used)]
    for response in answers:
        assert_invalid_invite(response)
    assert len({response.data for response in answers}) == 1  # byte for byte
    assert usernames(invite_app) == ["first"]


def test_a_code_for_two_uses_works_twice_then_not(invite_app):
    invite_id, code = make_code(invite_app, uses=2)
    client = invite_app.test_client()
    assert register(client, "alice", invite=code).status_code == 201
    assert register(client, "bob", invite=code).status_code == 201
    assert_invalid_invite(register(client, "carol", invite=code))
    assert invite_row(invite_app, invite_id).uses == 2
    assert usernames(invite_app) == ["alice", "bob"]


def test_a_taken_name_does_not_spend_the_use(invite_app):
    _, first = make_code(invite_app)
    invite_id, second = make_code(invite_app)
    client = invite_app.test_client()
    assert register(client, "alice", invite=first).status_code == 201
    assert_error(register(client, "ALICE", invite=second), 409, "conflict")
    assert invite_row(invite_app, invite_id).uses == 0
    assert register(client, "bob", invite=second).status_code == 201
    assert invite_row(invite_app, invite_id).uses == 1


def test_a_name_taken_at_the_insert_gives_the_use_back(invite_app, monkeypatch):
    """The race: the name is free at the check, taken by the insert; the use rolls back too."""
    from chatapp.services import accounts

    _, first = make_code(invite_app)
    invite_id, second = make_code(invite_app)
    client = invite_app.test_client()
    assert register(client, "alice", invite=first).status_code == 201
    monkeypatch.setattr(accounts, "find_user", lambda username: None)
    assert_error(register(client, "alice", invite=second), 409, "conflict")
    assert invite_row(invite_app, invite_id).uses == 0


def test_a_bad_code_is_refused_before_the_name_is_looked_at(invite_app):
    """Without a usable code, nobody learns which usernames exist."""
    _, code = make_code(invite_app)
    client = invite_app.test_client()
    assert register(client, "alice", invite=code).status_code == 201
    assert_invalid_invite(register(client, "alice", invite=secrets.token_urlsafe(24)))
    assert_error(register(client, "alice"), 403, "forbidden")


def test_only_the_hash_of_a_code_is_stored(invite_app):
    invite_id, code = make_code(invite_app)
    with invite_app.app_context():
        row = db.session.execute(text("SELECT * FROM invites")).one()
    assert code not in repr(tuple(row))
    assert row.code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert row.id == invite_id


@pytest.mark.parametrize(
    "code", ["x" * 15, "x" * 65, "x" * 20 + "\n", "x" * 20 + "=", "x" * 20 + "."]
)
def test_a_code_that_is_not_in_the_code_format_is_refused(invite_app, code):
    response = register(invite_app.test_client(), invite=code)
    assert_error(response, 422, "bad_request")
    assert response.get_json()["error"]["message"].startswith("invite:")


def test_open_registration_ignores_an_invite(make_app):
    app = make_app()  # REGISTRATION=open
    invite_id, code = make_code(app)
    client = app.test_client()
    assert register(client, "alice", invite=code).status_code == 201
    assert register(client, "bob", invite=secrets.token_urlsafe(24)).status_code == 201
    assert invite_row(app, invite_id).uses == 0  # not spent


def test_closed_registration_refuses_even_a_valid_code(make_app):
    app = make_app(REGISTRATION="closed")
    invite_id, code = make_code(app)
    response = register(app.test_client(), invite=code)
    assert_error(response, 403, "forbidden")
    assert "closed" in response.get_json()["error"]["message"]
    assert invite_row(app, invite_id).uses == 0


def test_parallel_registrations_with_one_single_use_code_admit_exactly_one(invite_app):
    """Several requests redeem one code at the same moment: exactly one account is made.

    On PostgreSQL the requests really overlap (most pass the pre-check and reach
    the UPDATE together); a read-then-write redeem lets several in.
    """
    invite_id, code = make_code(invite_app)
    count = 6
    start = threading.Barrier(count)
    statuses: list[int] = []
    messages: list[str] = []

    def attempt(n):
        client = invite_app.test_client()
        start.wait(timeout=10)
        response = register(client, f"user{n}", invite=code)
        statuses.append(response.status_code)
        if response.status_code != 201:
            messages.append(response.get_json()["error"]["message"])

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(statuses) == [201] + [403] * (count - 1)
    assert set(messages) == {INVALID}
    assert invite_row(invite_app, invite_id).uses == 1
    with invite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_the_openapi_document_shows_the_real_refusals(make_app, invite_app):
    """The 403 examples of the register route are the messages the server sends."""
    document = invite_app.test_client().get("/api/openapi.json").get_json()
    route = document["paths"]["/api/auth/register"]["post"]
    examples = route["responses"]["403"]["content"]["application/json"]["examples"]
    closed = register(make_app(REGISTRATION="closed").test_client())
    no_code = register(invite_app.test_client())
    unusable = register(invite_app.test_client(), invite=secrets.token_urlsafe(24))
    assert {name: example["value"] for name, example in examples.items()} == {
        "closed": closed.get_json(),
        "no_code": no_code.get_json(),
        "unusable_code": unusable.get_json(),
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"uses": 0},
        {"uses": invites.MAX_USES + 1},
        {"expires_in": timedelta(0)},
        {"expires_in": timedelta(minutes=-5)},
        {"note": ""},
        {"note": "x" * 101},
        {"note": "tab\there"},
    ],
)
def test_the_service_refuses_impossible_invites(app, kwargs):
    from chatapp.errors import ValidationFailed

    with app.app_context():
        with pytest.raises(ValidationFailed):
            invites.create(**kwargs)
        assert db.session.scalar(select(func.count()).select_from(Invite)) == 0
