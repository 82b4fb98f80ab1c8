"""Fixtures of the Socket.IO tests: users in rooms, tight limits, a fuzzed app, raw sockets."""

import uuid

import pytest
import sqlalchemy as sa

from chatapp import create_app
from chatapp.extensions import db, socketio
from chatapp.services import accounts, rooms
from tests.helpers.config import BASE_CONFIG
from tests.helpers.raw_socket import Raw
from tests.helpers.realtime import ChatClient, login
from tests.helpers.sockets import ack, drain


@pytest.fixture
def alice(connect):
    """alice's socket in #general, with nothing received yet."""
    sock = connect("alice")
    assert ack(sock, "join", {"room": "general", "create": True})["ok"]
    drain(sock)
    return sock


@pytest.fixture
def room(connect):
    """alice with two sessions and bob in #general; carol connected elsewhere."""
    alice1, alice2, bob, carol = (
        connect("alice"),
        connect("alice"),
        connect("bob"),
        connect("carol"),
    )
    # bob first: he owns the room, so alice (no owner) may leave it.
    for sock in (bob, alice1, alice2):
        assert ack(sock, "join", {"room": "general", "create": True})["ok"]
    assert ack(carol, "join", {"room": "other", "create": True})["ok"]
    drain(alice1, alice2, bob, carol)
    return alice1, alice2, bob, carol


@pytest.fixture
def chat(connect):
    """alice and bob in #general with 3 messages; alice alone in #side with 2."""
    alice, bob = connect("alice"), connect("bob")
    for sock in (alice, bob):
        ack(sock, "join", {"room": "general", "create": True})
    ack(alice, "join", {"room": "side", "create": True})
    for sock, room_name, text in [
        (alice, "general", "g1"),
        (bob, "general", "g2"),
        (alice, "general", "g3"),
        (alice, "side", "s1"),
        (alice, "side", "s2"),
    ]:
        assert ack(sock, "send", {"room": room_name, "text": text})["ok"]
    drain(alice, bob)
    return alice, bob


@pytest.fixture
def limited(make_app):
    """An app with tight socket limits and a connect() for it."""
    opened = []

    def build(**limits):
        app = make_app(**limits)

        def connect(username="alice"):
            http = app.test_client()
            body = {"username": username, "password": "correct horse"}
            http.post("/api/auth/register", json=body)
            assert http.post("/api/auth/login", json=body).status_code == 200
            sock = socketio.test_client(app, flask_test_client=http)
            opened.append(sock)
            return sock

        connect.app = app
        return connect

    yield build
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


@pytest.fixture
def two_users(app):
    """The ids of alice and bob, and of #general."""
    with app.app_context():
        users = [accounts.register(name, "correct horse") for name in ("alice", "bob")]
        general = rooms.create_room(users[0], "general")
        rooms.join_room(users[1], "general")  # senders must be members
        return [u.id for u in users], general.id


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app (SQLite, limits off) for a module of generated inputs: (app, http, sock, token)."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "RATELIMIT_ENABLED": False}
    )
    with app.app_context():
        db.create_all()
    http = app.test_client()
    body = {"username": "fuzzer", "password": "correct horse"}
    http.post("/api/auth/register", json=body)
    token = http.post("/api/auth/login", json=body).get_json()["token"]
    sock = socketio.test_client(app, flask_test_client=http)
    sock.emit("join", {"room": "general", "create": True}, callback=True)
    yield app, http, sock, token
    sock.disconnect()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def bystander(server):
    """Someone chatting normally on the module's server, in #lobby.

    A user per test: the message budget is per user.
    """
    client = ChatClient(server.url, login(server.url, f"by{uuid.uuid4().hex[:8]}")).connect()
    assert client.call("join", {"room": "lobby", "create": True})["ok"]
    yield client
    client.close()


@pytest.fixture
def raw_socket(server):
    """raw_socket(token=None) -> a hand-driven websocket to the module's server, closed after."""
    opened = []

    def open_raw(token=None):
        sock = Raw(server, token)
        opened.append(sock)
        return sock

    yield open_raw
    for sock in opened:
        sock.close()


@pytest.fixture
def admin(database_url):
    """A connection of our own to the test's database, outside the app's pool (autocommit)."""
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        yield conn
    engine.dispose()
