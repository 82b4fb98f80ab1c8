"""Redis restarted (losing its data) under two running server processes."""

import itertools

import pytest
import requests

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ServerProcess, server_env
from tests.helpers.services import RedisServer
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow


def test_redis_restart_sends_acked_delivery_resumes_presence_returns(tmp_path):
    redis_server = RedisServer(tmp_path).start()
    env = server_env(
        f"sqlite:///{tmp_path / 'chat.db'}",
        REDIS_URL=redis_server.url,
        PRESENCE_REFRESH="1",
        PRESENCE_TTL="6",
        RATELIMIT_MESSAGES="1000 per 10 seconds",
    )
    a = ServerProcess(env, log_path=tmp_path / "a.log").start()
    b = ServerProcess(env, log_path=tmp_path / "b.log").start()
    clients = []
    try:
        alice = ChatClient(a.url, login(a.url, "alice")).connect()
        bob = ChatClient(b.url, login(b.url, "bob")).connect()
        clients += [alice, bob]
        alice.call("join", {"room": "ops", "create": True})
        bob.call("join", {"room": "ops", "create": True})
        first = alice.call("send", {"room": "ops", "text": "before"})["message"]
        bob.wait_for("message", lambda m: m["id"] == first["id"])

        redis_server.stop()
        during = [alice.call("send", {"room": "ops", "text": f"during {n}"}) for n in range(5)]
        assert all(reply["ok"] for reply in during), during  # stored and acknowledged

        redis_server.start()  # same port, empty: presence and queue state are gone
        counter = itertools.count()

        def live_again():
            probe = alice.call("send", {"room": "ops", "text": f"probe {next(counter)}"})
            return any(m["id"] == probe["message"]["id"] for m in bob.received("message"))

        wait_for(live_again, 35, 0.5, "live delivery across processes after Redis returned")

        # bob resumes after the last message he saw without a gap: then he has
        # every message once, in order (repeats of live ones are dropped by seq).
        seen = [m["seq"] for m in bob.received("message")]
        contiguous = 0
        for seq in seen:
            if seq != contiguous + 1:
                break
            contiguous = seq
        resumed = bob.call("history", {"room": "ops", "after_seq": contiguous, "limit": 100})
        shown = list(range(1, contiguous + 1)) + [m["seq"] for m in resumed["messages"]]
        assert shown == list(range(1, resumed["seq"] + 1))

        # Presence re-registered by both processes without anyone reconnecting.
        def online():
            headers = {"Authorization": f"Bearer {alice.token}"}
            rooms = requests.get(f"{a.url}/api/rooms", headers=headers, timeout=5).json()
            return next(r["online"] for r in rooms["rooms"] if r["name"] == "ops") == 2

        wait_for(online, 20, 0.5, "online count back to 2")
    finally:
        for client in clients:
            client.close()
        a.stop()
        b.stop()
        redis_server.stop()
