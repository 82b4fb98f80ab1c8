"""Fixtures of the tests of what ships: the Compose file, empty databases, nginx before the apps."""

import os
import subprocess

import pytest
import yaml

from tests.helpers.nginx_site import NGINX, GrafanaStub, Site, render
from tests.helpers.server import ROOT, ServerProcess, server_env
from tests.helpers.services import (
    RedisServer,
    create_postgres_database,
    database_backends,
    free_port,
    port_open,
    require,
)
from tests.helpers.wait import wait_for


@pytest.fixture(scope="module")
def compose():
    """docker-compose.yml, parsed."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(params=database_backends())
def empty_database(request, tmp_path):
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url, drop = create_postgres_database("chatapp_migrate")
    yield url
    drop()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """nginx with the project's config (TLS) before two app processes and Redis, per module."""
    require("nginx (apt-get install nginx-light)", os.path.exists(NGINX))
    directory = tmp_path_factory.mktemp("nginx")
    redis_server = RedisServer(directory).start()
    http, https = free_port(), free_port()
    env = server_env(
        f"sqlite:///{directory / 'chat.db'}",
        REDIS_URL=redis_server.url,
        PROXY_FIX_X_FOR="1",
        PUBLIC_URL=f"https://127.0.0.1:{https}",
        # The apps' own per-address limits stay out of the way of nginx's.
        RATELIMIT_REGISTER="1000 per hour",
        RATELIMIT_ANONYMOUS="1000 per minute",
        # nginx's own per-address limits are under test here; the app's door
        # (tests/server/test_connection_limits.py) must not refuse first.
        MAX_PENDING_PER_ADDRESS="1000",
        RATELIMIT_HANDSHAKES="100000 per minute",
    )
    apps = [ServerProcess(env, log_path=directory / "a.log").start()]
    apps.append(ServerProcess(env, log_path=directory / "b.log").start())
    grafana = GrafanaStub()
    argv = render(
        directory,
        apps=[app.port for app in apps],
        grafana=grafana.server_address[1],
        http=http,
        https=https,
    )
    with open(directory / "nginx.stderr", "wb") as stderr:
        process = subprocess.Popen(
            [*argv[:-1], argv[-1] + f" error_log {directory}/logs/error.log warn; daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_for(lambda: port_open("127.0.0.1", https, 0.2), 15, 0.05, "nginx")
        site = Site(directory, argv, http, https)
        site.apps = apps
        site.grafana = grafana
        yield site
    finally:
        process.terminate()
        process.wait(10)
        grafana.stop()
        for app in apps:
            app.stop()
        redis_server.stop()
