"""/readyz keeps one Redis connection (a private redis-server counts the connections it gets)."""

import pytest
import redis

from tests.helpers.services import RedisServer

pytestmark = pytest.mark.slow


def test_readyz_reuses_one_redis_connection(make_app, tmp_path):
    server = RedisServer(tmp_path).start()
    try:
        app = make_app(REDIS_URL=server.url, RATELIMIT_READYZ="1000 per minute")
        client = app.test_client()
        assert client.get("/readyz").status_code == 200  # the pools are made here
        probe = redis.Redis.from_url(server.url)

        def connections():
            return probe.info("stats")["total_connections_received"]

        before = connections()
        for _ in range(20):
            body = client.get("/readyz").get_json()
            assert body["checks"]["redis"]["status"] == "up"
        # A connection per probe would be 20 (and 20 sockets in TIME_WAIT).
        assert connections() - before <= 2
        probe.close()
    finally:
        server.stop()
