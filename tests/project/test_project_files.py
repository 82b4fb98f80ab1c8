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


def _asyncapi() -> dict:
    return yaml.safe_load((ROOT / "docs/asyncapi.yaml").read_text())


def test_asyncapi_document_covers_every_socket_event_and_subject(app):
    from chatapp.extensions import socketio

    document = _asyncapi()
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    # Every event a client may send (the handlers registered on the app) ...
    handled = set(socketio.server.handlers["/"]) - {"connect", "disconnect", "*"}
    assert {"join", "leave", "send", "history", "create", "direct", "read"} <= handled
    assert handled <= addresses, handled - addresses
    # ... and every event the server emits, wherever it is emitted.
    source = "".join(path.read_text() for path in (ROOT / "chatapp").rglob("*.py"))
    emitted = set(re.findall(r'socketio(?:\.server)?\.emit\(\s*"(\w+)"', source))
    assert {"message", "rooms", "room_added", "removed", "unauthorized"} <= emitted
    assert emitted <= addresses, emitted - addresses
    subjects = {"message", "presence", "member", "updated"}
    assert {f"chat.room.{{room}}.{kind}" for kind in subjects} | {"chat.user.created"} <= addresses
    for operation in document["operations"].values():
        ref = operation["channel"]["$ref"].split("/")[-1]
        assert ref in document["channels"]


def test_asyncapi_references_resolve():
    document = _asyncapi()

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    found = list(refs(document))
    assert len(found) > 50
    for ref in found:
        assert ref.startswith("#/"), ref
        node = document
        for part in ref[2:].split("/"):
            assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
            node = node[part]


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
