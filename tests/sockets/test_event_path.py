"""Per-connection work stays per connection: the session cookie, the login, the counters."""

from itsdangerous import URLSafeTimedSerializer
from prometheus_client import REGISTRY
from sqlalchemy import event

from chatapp.extensions import db, socketio
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


def auth_session_reads(app):
    """A list that fills with the statements reading auth_sessions, and its listener."""
    reads = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if "auth_sessions" in statement:
            reads.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    return reads


def test_the_login_is_reread_once_per_recheck_interval_not_per_event(app, connect):
    alice = connect("alice")
    assert ack(alice, "join", {"room": "general", "create": True})["ok"]
    reads = auth_session_reads(app)
    app.config["LOGIN_RECHECK_SECONDS"] = 3600
    for n in range(10):
        assert ack(alice, "send", {"room": "general", "text": f"m{n}"})["ok"]
    assert reads == []
    app.config["LOGIN_RECHECK_SECONDS"] = 0  # the comparison: every event re-reads it
    for _ in range(10):
        assert ack(alice, "history", {"room": "general"})["ok"]
    assert len(reads) == 10


def test_event_counters_keep_counting_per_event_and_outcome(connect):
    def count(outcome):
        value = REGISTRY.get_sample_value(
            "chatapp_socket_events_total", {"event": "history", "outcome": outcome}
        )
        return value or 0.0

    alice = connect("alice")
    assert ack(alice, "join", {"room": "general", "create": True})["ok"]
    before = count("ok"), count("not_found")
    for _ in range(3):
        assert ack(alice, "history", {"room": "general"})["ok"]
    assert not ack(alice, "history", {"room": "nowhere"})["ok"]
    assert (count("ok"), count("not_found")) == (before[0] + 3, before[1] + 1)
