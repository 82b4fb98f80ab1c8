"""Fixtures of the REST API tests."""

import pytest

from tests.helpers.sockets import ack, drain


@pytest.fixture
def alice_http(connect):
    """alice's live socket in #general, and her HTTP client (same login)."""
    sock = connect("alice")
    ack(sock, "join", {"room": "general", "create": True})
    drain(sock)
    return sock, sock.http


@pytest.fixture
def login(app):
    """login("bob") -> an HTTP client of bob's own, registered and logged in on first use."""
    clients = {}

    def factory(username="alice"):
        if username not in clients:
            http = app.test_client()
            body = {"username": username, "password": "correct horse"}
            http.post("/api/auth/register", json=body)
            assert http.post("/api/auth/login", json=body).status_code == 200
            clients[username] = http
        return clients[username]

    return factory
