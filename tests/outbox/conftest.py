"""Fixtures of the NATS tests: relaying apps, servers that publish, two relays on one stream."""

import pytest

from tests.helpers.server import ServerProcess, server_env
from tests.helpers.services import create_postgres_database


@pytest.fixture
def relay_app(make_app, nats_server):
    """An app whose relay runs (started by the test, once rows are staged)."""
    apps = []

    def factory(**overrides):
        app = make_app(
            NATS_URL=nats_server.url,
            NATS_RECONNECT_WAIT=0.5,
            NATS_RELAY_STUCK_AFTER=1.0,
            RATELIMIT_READYZ="1000 per minute",
            **overrides,
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["chatapp.relay"].stop(drain_seconds=0)


@pytest.fixture
def chat_server(serve):
    """chat_server(**env) -> a real server (SQLite) that publishes to NATS, stopped after."""

    def start(**env):
        return serve(
            **{"NATS_RECONNECT_WAIT": "0.5", "RATELIMIT_MESSAGES": "1000 per 10 seconds", **env}
        )

    return start


@pytest.fixture
def stack(nats_server, tmp_path):
    """Two server processes on one PostgreSQL database, both relaying to one nats-server."""
    database_url, drop = create_postgres_database("chatapp_relay")
    env = server_env(
        database_url,
        NATS_URL=nats_server.url,
        NATS_RECONNECT_WAIT="0.5",
        RATELIMIT_MESSAGES="1000 per 10 seconds",
        RATELIMIT_REGISTER="1000 per hour",
    )
    servers = [ServerProcess(env, log_path=tmp_path / f"s{n}.log").start() for n in range(2)]
    yield servers, nats_server, database_url
    for server in servers:
        server.stop()
    drop()
