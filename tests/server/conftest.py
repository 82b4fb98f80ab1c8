"""Fixtures of the running-server tests: pairs of processes, a private PostgreSQL, gunicorn,
a locked SQLite file, captured logs, presence stores."""

import json
import logging
import os
import secrets
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from chatapp.logs import JsonFormatter
from chatapp.presence.memory_store import MemoryPresence
from chatapp.presence.redis_store import RedisPresence
from tests.helpers.config import FAST_HASH
from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ROOT, ServerProcess, server_env
from tests.helpers.services import (
    REDIS_URL,
    PostgresServer,
    RedisServer,
    create_postgres_database,
    free_port,
    port_open,
    require,
)
from tests.helpers.wait import wait_for


@pytest.fixture(scope="module")
def backing(tmp_path_factory):
    """A private Redis and an empty PostgreSQL database for this module."""
    redis_server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    url, drop = create_postgres_database()
    yield redis_server, url
    redis_server.stop()
    drop()


@pytest.fixture(scope="module")
def pair_env(request, backing):
    """The settings of the module's processes: one database, one Redis, its SERVER_SETTINGS."""
    redis_server, database_url = backing
    settings = getattr(request.module, "SERVER_SETTINGS", {})
    return server_env(database_url, REDIS_URL=redis_server.url, **settings)


def start_pair(env, directory) -> tuple[ServerProcess, ServerProcess]:
    # A first: it applies the migrations B then finds done.
    a = ServerProcess(env, log_path=directory / "a.log").start()
    b = ServerProcess(env, log_path=directory / "b.log").start()
    return a, b


@pytest.fixture(scope="module")
def servers(pair_env, tmp_path_factory):
    """Servers A and B on one database and one Redis, shared by the module's tests."""
    pair = start_pair(pair_env, tmp_path_factory.mktemp("pair"))
    yield pair
    for server in pair:
        server.stop()


@pytest.fixture
def fresh_servers(pair_env, tmp_path):
    """Servers A and B of this test's own (the module's database and Redis): it may kill one."""
    pair = start_pair(pair_env, tmp_path)
    yield pair
    for server in pair:
        server.stop()


@pytest.fixture
def clients():
    """clients(server, username, token=None) -> a connected ChatClient, closed after the test."""
    opened = []

    def open_client(server, username, token=None):
        client = ChatClient(server.url, token or login(server.url, username)).connect()
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture
def postgres():
    """A private PostgreSQL cluster on a free port, which the test may stop and start."""
    server = PostgresServer().init()
    yield server
    server.destroy()


@pytest.fixture
def sqlite_app(make_app, tmp_path):
    """An app on a SQLite file of its own, whatever database the test is parametrised with."""
    return make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'embedded.db'}")


def hold_write_lock(path) -> sqlite3.Connection:
    """Another program (the admin CLI, a backup) holding SQLite's write lock."""
    outside = sqlite3.connect(path, isolation_level=None)
    outside.execute("BEGIN IMMEDIATE")
    return outside


@pytest.fixture
def locked(serve):
    """start(busy_timeout) -> (server, alice in #general, the outside lock holder)."""
    opened = []

    def start(busy_timeout: str):
        server = serve(SQLITE_BUSY_TIMEOUT=busy_timeout)
        alice = ChatClient(server.url, login(server.url, "alice")).connect()
        opened.append(alice)
        assert alice.call("join", {"room": "general", "create": True})["ok"]
        return server, alice, hold_write_lock(server.database)

    yield start
    for alice in opened:
        alice.close()


@pytest.fixture
def gunicorn(tmp_path):
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a migrated SQLite file: (url, process, home)."""
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # a control socket would land in ~/.gunicorn
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
        "SECRET_KEY": secrets.token_urlsafe(48),  # production refuses weak keys
        **FAST_HASH,
    }
    upgrade = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(upgrade, cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    log = open(tmp_path / "gunicorn.log", "wb")
    gunicorn_bin = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [gunicorn_bin, "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    wait_for(lambda: port_open("127.0.0.1", port, 0.2), 30, 0.1, "gunicorn")
    yield f"http://127.0.0.1:{port}", process, tmp_path
    if process.poll() is None:
        process.kill()
        process.wait(10)


class Capture(logging.Handler):
    """Log records as the JSON lines chatapp writes, parsed."""

    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def captured():
    """The JSON log lines (as dicts) written while the test runs, at INFO and above."""
    handler = Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(old)


@pytest.fixture
def prefix():
    """A key prefix of this test's own on the machine's Redis; cleaned up after."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        require("Redis", False)
    name = f"test-{uuid.uuid4().hex[:10]}:"
    yield name
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=["redis", "memory"])
def presence(request, prefix):
    """Both stores must behave the same through the shared interface."""
    if request.param == "redis":
        return RedisPresence(REDIS_URL, ttl=45, prefix=prefix)
    return MemoryPresence()
