"""Per-connection work stays per connection: the session cookie, the login, the counters."""

from itsdangerous import URLSafeTimedSerializer

from chatapp.extensions import socketio
from tests.helpers.sockets import ack


def test_a_socket_reads_its_session_cookie_once_not_per_event(app, monkeypatch):
    decoded = []
    loads = URLSafeTimedSerializer.loads

    def counting_loads(self, *args, **kwargs):
        decoded.append(1)
        return loads(self, *args, **kwargs)

    monkeypatch.setattr(URLSafeTimedSerializer, "loads", counting_loads)
    http = app.test_client()
    body = {"username": "alice", "password": "correct horse"}
    http.post("/api/auth/register", json=body)
    assert http.post("/api/auth/login", json=body).status_code == 200
    decoded.clear()
    sock = socketio.test_client(app, flask_test_client=http)
    assert sock.is_connected() and len(decoded) == 1  # the connect reads the cookie
    assert ack(sock, "join", {"room": "general", "create": True})["ok"]
    for n in range(20):
        assert ack(sock, "send", {"room": "general", "text": f"m{n}"})["ok"]
    assert ack(sock, "history", {"room": "general"})["ok"]
    assert len(decoded) == 1
    # HTTP requests still read the cookie, each its own.
    assert http.get("/api/auth/me").status_code == 200
    assert len(decoded) == 2
    sock.disconnect()


def test_a_new_connection_reads_the_cookie_it_brings(app, connect):
    # The connection's session is its own, never another connection's: after
    # logging out, the same browser's next socket is refused.
    alice = connect("alice")
    assert ack(alice, "join", {"room": "general", "create": True})["ok"]
    assert alice.http.post("/api/auth/logout").status_code == 200
    again = socketio.test_client(app, flask_test_client=alice.http)
    assert not again.is_connected()
