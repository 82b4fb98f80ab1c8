"""`cli.py invites ...` through Flask's CLI runner."""

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text, update

from chatapp.extensions import db
from chatapp.models import Invite
from chatapp.models.types import utcnow

CODE = re.compile(r"Invite (\d+): ([A-Za-z0-9_-]{32})")


@pytest.fixture
def invite_app(make_app):
    return make_app(REGISTRATION="invite")


def create(runner, *args):
    """Run `invites create ARGS`; its id and code."""
    result = runner.invoke(args=["invites", "create", *args])
    assert result.exit_code == 0, result.output
    found = CODE.search(result.output)
    assert found, result.output
    return int(found[1]), found[2]


def register(app, username, code):
    body = {"username": username, "password": "correct horse", "invite": code}
    return app.test_client().post("/api/auth/register", json=body)


def table(runner):
    result = runner.invoke(args=["invites", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    return lines[0].split(), {int(line.split()[0]): line.split() for line in lines[1:]}


def test_create_prints_a_code_that_registers_once(invite_app):
    runner = invite_app.test_cli_runner()
    result = runner.invoke(args=["invites", "create"])
    assert result.exit_code == 0, result.output
    assert "Uses: 1. Expires: never." in result.output
    assert "shown only now" in result.output
    assert "REGISTRATION" not in result.output  # no warning: invites are asked for here
    _, code = CODE.search(result.output).groups()
    assert register(invite_app, "alice", code).status_code == 201
    assert register(invite_app, "bob", code).status_code == 403


def test_create_with_uses_and_expiry(invite_app):
    runner = invite_app.test_cli_runner()
    before = utcnow()
    result = runner.invoke(args=["invites", "create", "--uses", "3", "--expires", "12h"])
    assert result.exit_code == 0, result.output
    assert "Uses: 3." in result.output
    shown = re.search(r"Expires: (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\.", result.output)
    assert shown, result.output
    expires = datetime.strptime(shown[1], "%Y-%m-%d %H:%M").replace(tzinfo=before.tzinfo)
    assert abs(expires - (before + timedelta(hours=12))) < timedelta(minutes=2)
    invite_id = int(CODE.search(result.output)[1])
    with invite_app.app_context():
        invite = db.session.get(Invite, invite_id)
        assert invite.max_uses == 3
        assert abs(invite.expires_at - (before + timedelta(hours=12))) < timedelta(minutes=1)


@pytest.mark.parametrize("duration,delta", [("30m", timedelta(minutes=30)), ("7d", timedelta(7))])
def test_durations_in_minutes_and_days(invite_app, duration, delta):
    invite_id, _ = create(invite_app.test_cli_runner(), "--expires", duration)
    with invite_app.app_context():
        invite = db.session.get(Invite, invite_id)
        assert abs(invite.expires_at - invite.created_at - delta) < timedelta(seconds=5)


@pytest.mark.parametrize("garbage", ["7", "7x", "d", "-1d", "0d", "1.5h", "7d\n", "99999d", ""])
def test_create_refuses_a_garbage_duration(runner, garbage):
    result = runner.invoke(args=["invites", "create", "--expires", garbage])
    assert result.exit_code == 2
    assert "Invalid value for '--expires'" in result.output
    assert "Invite " not in result.output


@pytest.mark.parametrize("args", [["--uses", "0"], ["--uses", "x"], ["--uses", "-2"]])
def test_create_refuses_bad_use_counts(runner, args):
    result = runner.invoke(args=["invites", "create", *args])
    assert result.exit_code == 2
    assert "--uses" in result.output


def test_create_refuses_an_unknown_maker_and_a_multiline_note(app, runner):
    result = runner.invoke(args=["invites", "create", "--by", "nobody"])
    assert result.exit_code == 1 and "No user called 'nobody'" in result.output
    result = runner.invoke(args=["invites", "create", "--note", "one\ntwo"])
    assert result.exit_code == 1 and "one line" in result.output
    with app.app_context():
        assert db.session.execute(text("SELECT COUNT(*) FROM invites")).scalar() == 0


def test_create_warns_when_registration_does_not_ask_for_invites(runner):
    result = runner.invoke(args=["invites", "create"])
    assert result.exit_code == 0, result.output
    assert "REGISTRATION is 'open'" in result.output


def test_list_shows_each_state_and_never_a_code(invite_app):
    runner = invite_app.test_cli_runner()
    runner.invoke(args=["users", "create", "alice", "--password", "correct horse"])
    active, active_code = create(runner, "--uses", "2", "--by", "alice", "--note", "team")
    used, used_code = create(runner)
    expired, expired_code = create(runner, "--expires", "1h")
    revoked, revoked_code = create(runner)
    assert register(invite_app, "bob", active_code).status_code == 201
    assert register(invite_app, "carol", used_code).status_code == 201
    with invite_app.app_context():
        db.session.execute(
            update(Invite)
            .where(Invite.id == expired)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    assert runner.invoke(args=["invites", "revoke", str(revoked)]).exit_code == 0

    output = runner.invoke(args=["invites", "list"]).output
    for code in (active_code, used_code, expired_code, revoked_code):
        assert code not in output
    header, rows = table(runner)
    assert header == ["ID", "CREATED", "(UTC)", "BY", "USES", "EXPIRES", "(UTC)", "STATE", "NOTE"]
    assert rows[active][3:5] + rows[active][-2:] == ["alice", "1/2", "active", "team"]
    assert rows[used][3:5] + rows[used][-1:] == ["-", "1/1", "used"]
    assert rows[expired][-1] == "expired"
    assert rows[revoked][3:] == ["-", "0/1", "never", "revoked"]

    listed = json.loads(runner.invoke(args=["invites", "list", "--json"]).output)
    assert [(i["id"], i["state"], i["by"]) for i in listed] == [
        (active, "active", "alice"),
        (used, "used", None),
        (expired, "expired", None),
        (revoked, "revoked", None),
    ]
    assert not any(code in json.dumps(listed) for code in (active_code, used_code))


def test_list_without_invites(runner):
    result = runner.invoke(args=["invites", "list"])
    assert result.exit_code == 0 and result.output == "No invites.\n"


def test_revoke_stops_the_code_at_once(invite_app):
    runner = invite_app.test_cli_runner()
    invite_id, code = create(runner, "--uses", "5")
    assert register(invite_app, "alice", code).status_code == 201
    result = runner.invoke(args=["invites", "revoke", str(invite_id)])
    assert result.exit_code == 0 and f"Revoked invite {invite_id}." in result.output
    assert register(invite_app, "bob", code).status_code == 403
    again = runner.invoke(args=["invites", "revoke", str(invite_id)])
    assert again.exit_code == 0 and "already revoked" in again.output
    login = {"username": "alice", "password": "correct horse"}
    assert invite_app.test_client().post("/api/auth/login", json=login).status_code == 200


def test_revoke_an_unknown_invite(runner):
    result = runner.invoke(args=["invites", "revoke", "99"])
    assert result.exit_code == 1 and "No invite with id 99" in result.output
    assert runner.invoke(args=["invites", "revoke", "x"]).exit_code == 2
