"""`cli.py rooms ...` in another process than the server: live sessions hear of it through Redis."""

import pytest

from chatapp import create_app
from chatapp.extensions import db
from tests.helpers.config import BASE_CONFIG
from tests.helpers.realtime import ChatClient, login
from tests.helpers.services import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_url(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server.url
    server.stop()


@pytest.fixture
def live(serve, redis_url):
    """(server, rooms(*args)): a real server on Redis, and the admin CLI as a process of its own."""
    server = serve(REDIS_URL=redis_url)
    # Built as `cli.py` builds it, on the server's database and Redis; testing
    # configs leave the Socket.IO queue off unless it is named.
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": server.env["DATABASE_URL"],
            "REDIS_URL": redis_url,
            "SOCKETIO_MESSAGE_QUEUE": redis_url,
        }
    )
    clients = []

    def client(username):
        found = ChatClient(server.url, login(server.url, username)).connect()
        clients.append(found)
        return found

    def rooms(*args):
        result = app.test_cli_runner().invoke(args=["rooms", *args])
        assert result.exit_code == 0, result.output
        assert result.stderr == ""  # no "REDIS_URL is not set" note
        return result.output

    yield client, rooms
    for found in clients:
        found.close()
    with app.app_context():
        db.engine.dispose()


def test_the_cli_reaches_sessions_on_a_running_server(live):
    client, rooms = live
    alice, bob, carol = client("alice"), client("bob"), client("carol")
    assert alice.call("join", {"room": "general", "create": True})["ok"]
    assert bob.call("join", {"room": "general"})["ok"]

    rooms("ban", "general", "bob", "--reason", "spam")
    removed = {"room": "general", "by": None, "reason": "spam", "banned": True}
    bob.wait_for("removed", lambda event: event == removed)
    assert alice.call("send", {"room": "general", "text": "after the ban"})["ok"]
    alice.wait_for("message", lambda m: m["text"] == "after the ban")
    # Bob's refused join is answered after anything sent to his socket before it.
    assert bob.call("join", {"room": "general"})["error"]["code"] == "forbidden"
    assert [m["text"] for m in bob.received("message")] == []

    rooms("add-member", "general", "carol")
    added = carol.wait_for("room_added", lambda event: event["room"]["name"] == "general")
    assert added["by"] is None and added["room"]["role"] == "member"
    assert alice.call("send", {"room": "general", "text": "welcome carol"})["ok"]
    carol.wait_for("message", lambda m: m["text"] == "welcome carol")  # with no join of hers

    rooms("set-private", "general", "--private")
    alice.wait_for("room_updated", lambda event: event["room"]["private"] is True)

    rooms("delete", "general", "--yes")
    for session in (alice, carol):
        session.wait_for("removed", lambda event: event["reason"] == "deleted")
