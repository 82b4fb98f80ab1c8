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
