"""`cli.py users ...` through Flask's CLI runner."""

import json

from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import User


def user(app, name):
    with app.app_context():
        return db.session.scalar(select(User).where(User.name_key == name.lower()))


def test_create_with_password_option(app, runner):
    result = runner.invoke(args=["users", "create", "alice", "--password", "correct horse"])
    assert result.exit_code == 0, result.output
    assert "Created user alice" in result.output
    assert user(app, "alice") is not None


def test_create_prompts_twice_without_echo(app, runner):
    result = runner.invoke(args=["users", "create", "bob"], input="correct horse\ncorrect horse\n")
    assert result.exit_code == 0, result.output
    assert "correct horse" not in result.output
    assert "Repeat for confirmation" in result.output


def test_create_with_mismatched_confirmation_asks_again(app, runner):
    result = runner.invoke(
        args=["users", "create", "bob"],
        input="correct horse\nwrong horse\ncorrect horse\ncorrect horse\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


def test_create_reads_password_from_environment(app, runner):
    result = runner.invoke(
        args=["users", "create", "carol"], env={"CHATAPP_PASSWORD": "env pass 123"}
    )
    assert result.exit_code == 0, result.output
    login = app.test_client().post(
        "/api/auth/login", json={"username": "carol", "password": "env pass 123"}
    )
    assert login.status_code == 200


def test_create_refuses_bad_input_and_duplicates(runner):
    assert (
        runner.invoke(args=["users", "create", "x", "--password", "correct horse"]).exit_code == 1
    )
    assert runner.invoke(args=["users", "create", "alice", "--password", "short"]).exit_code == 1
    runner.invoke(args=["users", "create", "alice", "--password", "correct horse"])
    result = runner.invoke(args=["users", "create", "ALICE", "--password", "correct horse"])
    assert result.exit_code == 1
    assert "taken" in result.output


def test_create_admin_and_list(runner):
    runner.invoke(args=["users", "create", "alice", "--password", "correct horse", "--admin"])
    runner.invoke(args=["users", "create", "bob", "--password", "correct horse"])
    table = runner.invoke(args=["users", "list"])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split() == ["USERNAME", "ADMIN", "STATUS", "CREATED"]
    assert lines[1].split()[:3] == ["alice", "yes", "active"]
    assert lines[2].split()[:3] == ["bob", "no", "active"]
    listed = json.loads(runner.invoke(args=["users", "list", "--json"]).output)
    assert [(u["username"], u["is_admin"]) for u in listed] == [("alice", True), ("bob", False)]


def test_set_password_changes_it_and_ends_sessions(app, runner, auth, client):
    auth.signup("alice", "correct horse")
    result = runner.invoke(args=["users", "set-password", "alice", "--password", "new password 1"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/auth/me").status_code == 401
    assert auth.login("alice", "correct horse").status_code == 401
    assert auth.login("alice", "new password 1").status_code == 200


def test_disable_and_enable(app, runner, auth, client):
    auth.signup("alice")
    assert runner.invoke(args=["users", "disable", "alice"]).exit_code == 0
    assert user(app, "alice").is_disabled
    assert client.get("/api/auth/me").status_code == 401
    assert auth.login().status_code == 403
    assert runner.invoke(args=["users", "enable", "ALICE"]).exit_code == 0
    assert auth.login().status_code == 200


def test_promote_and_revoke(app, runner, auth):
    auth.register("alice")
    assert runner.invoke(args=["users", "promote", "alice"]).exit_code == 0
    assert user(app, "alice").is_admin
    assert runner.invoke(args=["users", "promote", "alice", "--revoke"]).exit_code == 0
    assert not user(app, "alice").is_admin


def test_delete_keeps_messages_without_author(app, runner, auth):
    from chatapp.models import Message
    from chatapp.services import messages, rooms

    auth.register("alice")
    with app.app_context():
        alice = user(app, "alice")
        alice = db.session.merge(alice)
        room = rooms.create_room(alice, "general")
        messages.store_message(alice, room, "still here")
    result = runner.invoke(args=["users", "delete", "alice"], input="y\n")
    assert result.exit_code == 0, result.output
    assert user(app, "alice") is None
    with app.app_context():
        message = db.session.scalar(select(Message))
        assert message.text == "still here" and message.user_id is None


def test_commands_on_unknown_user_fail_cleanly(runner):
    for command in ("disable", "enable", "promote", "delete"):
        result = runner.invoke(args=["users", command, "ghost"])
        assert result.exit_code == 1
        assert "No user called 'ghost'" in result.output


def test_unlock_without_shared_storage_says_it_cannot_reach_the_server(runner, auth):
    auth.register("alice")
    result = runner.invoke(args=["users", "unlock", "alice"])
    assert result.exit_code == 1
    assert "REDIS_URL" in result.output and "set-password" in result.output


def test_unlock_of_an_unknown_user_fails_cleanly(runner):
    result = runner.invoke(args=["users", "unlock", "ghost"])
    assert result.exit_code == 1
    assert "No user called 'ghost'" in result.output
