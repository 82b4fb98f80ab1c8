"""Committed files that must stay in step with the code: ERD, lint hooks, AsyncAPI, CI.

The Makefile's plans and the shell scripts are read in test_make_and_scripts.py.
"""

import re
from pathlib import Path

import pytest
import yaml

from chatapp.cli.erd import erd_path, render
from tests.helpers.server import ROOT


def test_committed_erd_matches_the_models(app):
    with app.app_context():
        current = Path(erd_path()).read_text()
        assert current == render(), "docs/erd.md is stale: run `python cli.py erd`"


def test_erd_check_command(app):
    result = app.test_cli_runner().invoke(args=["erd", "--check"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_erd_shows_every_table_and_relationship(app):
    with app.app_context():
        text = render()
    for table in ("users", "rooms", "memberships", "messages", "auth_sessions", "outbox"):
        assert f"    {table} {{" in text
    assert 'rooms ||--o{ messages : "room_id"' in text
    assert 'users |o--o{ messages : "user_id"' in text  # nullable: deleted authors


def test_pre_commit_runs_the_pinned_ruff():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    assert {hook["id"] for hook in repo["hooks"]} == {"ruff", "ruff-format"}
    pinned = re.search(r"^ruff==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert repo["rev"] == f"v{pinned.group(1)}"


def test_asyncapi_document_covers_every_socket_event_and_subject():
    from chatapp.sockets import handlers

    document = yaml.safe_load((ROOT / "docs/asyncapi.yaml").read_text())
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    handled = {"join", "leave", "send", "history"}
    assert all(hasattr(handlers, name) for name in handled)
    assert handled | {"message", "presence", "notice"} <= addresses
    assert {"chat.room.{room}.message", "chat.room.{room}.presence", "chat.user.created"} <= (
        addresses
    )
    for operation in document["operations"].values():
        ref = operation["channel"]["$ref"].split("/")[-1]
        assert ref in document["channels"]


def test_ci_runs_exactly_make_test():
    lines = (ROOT / ".ci/run").read_text().splitlines()
    assert lines[-1] == "exec make test"


def test_database_tests_run_on_both_unless_named_and_always_both_under_ci(monkeypatch):
    """CHATAPP_TEST_DATABASES narrows a local run (make test-fast); CI refuses to be narrowed."""
    from tests.helpers import services

    monkeypatch.setattr(services, "IN_CI", False)
    monkeypatch.delenv("CHATAPP_TEST_DATABASES", raising=False)
    assert services.database_backends() == ["sqlite", "postgresql"]
    monkeypatch.setenv("CHATAPP_TEST_DATABASES", "sqlite")
    assert services.database_backends() == ["sqlite"]
    monkeypatch.setenv("CHATAPP_TEST_DATABASES", "postgresql, sqlite")
    assert services.database_backends() == ["sqlite", "postgresql"]
    monkeypatch.setenv("CHATAPP_TEST_DATABASES", "sqlite,mysql")
    with pytest.raises(pytest.UsageError, match="mysql"):
        services.database_backends()
    monkeypatch.setattr(services, "IN_CI", True)
    monkeypatch.setenv("CHATAPP_TEST_DATABASES", "sqlite")
    with pytest.raises(pytest.UsageError, match="CI=true"):
        services.database_backends()
