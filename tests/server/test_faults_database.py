"""The database goes away under a running server: errors, never a false ok; then recovery."""

import pytest
import sqlalchemy as sa

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ServerProcess, server_env

pytestmark = pytest.mark.slow


def stored_texts(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        texts = conn.execute(sa.text("SELECT text FROM messages ORDER BY seq")).scalars().all()
    engine.dispose()
    return texts


def test_sends_fail_cleanly_while_the_database_is_down_and_recover(postgres, tmp_path):
    env = server_env(postgres.url)
    server = ServerProcess(env, log_path=tmp_path / "server.log").start()
    try:
        client = ChatClient(server.url, login(server.url, "alice")).connect()
        client.call("join", {"room": "general", "create": True})
        assert client.call("send", {"room": "general", "text": "before"})["ok"]

        postgres.stop()
        down = [client.call("send", {"room": "general", "text": f"down {n}"}) for n in range(3)]
        for reply in down:
            assert reply["ok"] is False
            assert reply["error"]["code"] == "unavailable"
        # The server itself stays up and says so over HTTP too.
        assert client.sio.connected

        postgres.start()
        after = client.call("send", {"room": "general", "text": "after", "client_id": "a1"})
        assert after["ok"] is True and after["message"]["seq"] == 2
        assert stored_texts(postgres.url) == ["before", "after"]
        client.close()
    finally:
        server.stop()
