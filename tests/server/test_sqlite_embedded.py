"""The embedded default (SQLite): no acknowledged write lost, no frozen server."""

from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import text

from chatapp.extensions import db
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow


def test_commits_are_synced_before_they_are_acknowledged(sqlite_app):
    with sqlite_app.app_context():
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_a_writer_elsewhere_delays_a_send_but_never_the_server(locked):
    server, alice, outside = locked("60")
    replies = []
    sender = threading.Thread(
        target=lambda: replies.append(
            alice.call("send", {"room": "general", "text": "waits", "client_id": "w-1"}, 90)
        )
    )
    sender.start()
    # The server says the send waits for the lock, and answers meanwhile.
    wait_for(lambda: lock_waits(server) == 1, 30, 0.05, "the send to wait for the lock")
    assert requests.get(server.url + "/healthz", timeout=30).status_code == 200
    assert requests.get(server.url + "/api/openapi.json", timeout=30).status_code == 200
    assert sender.is_alive() and not replies
    outside.rollback()
    outside.close()
    sender.join(60)
    assert replies and replies[0]["ok"], replies


def test_a_lock_held_past_the_busy_timeout_is_unavailable_and_retryable(locked):
    _, alice, outside = locked("0.5")
    refused = alice.call("send", {"room": "general", "text": "later", "client_id": "b-1"})
    assert refused["ok"] is False and refused["error"]["code"] == "unavailable"
    outside.rollback()
    outside.close()
    stored = alice.call("send", {"room": "general", "text": "later", "client_id": "b-1"})
    assert stored["ok"] and stored["message"]["seq"] == 1
    history = alice.call("history", {"room": "general"})
    assert [m["text"] for m in history["messages"]] == ["later"]


def lock_waits(server) -> float:
    """chatapp_sqlite_lock_waits from the server's /metrics."""
    body = requests.get(server.url + "/metrics", timeout=30).text
    for line in body.splitlines():
        if line.startswith("chatapp_sqlite_lock_waits "):
            return float(line.split()[1])
    raise AssertionError("no chatapp_sqlite_lock_waits on /metrics")
