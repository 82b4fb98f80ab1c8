"""Fixtures every folder uses, flaskr style: app, client, runner, auth, connect; real servers.

Every test that uses `app` runs twice: on SQLite and on PostgreSQL (a
throwaway database created for this run on the machine's server and dropped
afterwards), unless CHATAPP_TEST_DATABASES names fewer (`make test-fast`).
Each folder's conftest.py holds the fixtures of that folder's tests alone.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from chatapp import create_app
from chatapp.extensions import db
from tests.helpers.config import BASE_CONFIG
from tests.helpers.server import ServerProcess, server_env
from tests.helpers.services import NatsServer, create_postgres_database, database_backends

# requests briefly sets and then deletes no_proxy in os.environ while it picks
# proxies; another client thread iterating the environment at that moment
# fails with KeyError. With it already set, requests restores it instead.
# (All test traffic is loopback anyway.)
for _name in ("NO_PROXY", "no_proxy"):
    os.environ.setdefault(_name, "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def postgres_url():
    """A database of our own on the machine's PostgreSQL, for this test run."""
    url, drop = create_postgres_database("chatapp_test")
    yield url
    drop()


@pytest.fixture(params=database_backends())
def database_url(request, tmp_path):
    """Each database test runs on SQLite and PostgreSQL, or those CHATAPP_TEST_DATABASES names."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'chatapp.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build apps on this test's database; the schema is fresh for each test."""
    apps = []

    def factory(**overrides):
        config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url}
        config.update(overrides)
        app = create_app(config)
        app.instance_path = str(tmp_path / "instance")
        if not apps:
            with app.app_context():
                db.drop_all()
                db.create_all()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Register and log in through the real API, as a user would."""

    def __init__(self, client):
        self._client = client

    def register(self, username="alice", password="correct horse"):
        return self._client.post(
            "/api/auth/register", json={"username": username, "password": password}
        )

    def login(self, username="alice", password="correct horse"):
        return self._client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )

    def signup(self, username="alice", password="correct horse") -> str:
        """Register and log in; return the bearer token."""
        assert self.register(username, password).status_code == 201
        response = self.login(username, password)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["token"]

    def logout(self):
        return self._client.post("/api/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def connect(app):
    """Open a logged-in Socket.IO test client: connect("alice") -> client.

    Registers the user on first use and logs in over the real API, so the
    socket is authenticated by the session cookie (or by `token=True`).
    """
    from chatapp.extensions import socketio

    opened = []

    def factory(username="alice", password="correct horse", token=False):
        http = app.test_client()
        http.post("/api/auth/register", json={"username": username, "password": password})
        login = http.post("/api/auth/login", json={"username": username, "password": password})
        assert login.status_code == 200, login.get_json()
        if token:
            sock = socketio.test_client(app, auth={"token": login.get_json()["token"]})
        else:
            sock = socketio.test_client(app, flask_test_client=http)
        sock.http = http
        opened.append(sock)
        if sock.is_connected():
            # Every session is told its rooms first (`rooms`); tests look past it.
            told = sock.get_received()
            assert [event["name"] for event in told] == ["rooms"], told
            sock.rooms_told = told[0]["args"][0]["rooms"]
        return sock

    yield factory
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


@pytest.fixture
def nats_server(tmp_path):
    """A private nats-server (JetStream on) for this test; tests may stop and start it."""
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """One `cli.py serve` process on a SQLite file of its own, shared by a module's tests.

    Only for tests that neither stop it nor change its settings, each with
    users and rooms of its own. The module's SERVER_SETTINGS (a dict of
    environment variables) configure it.
    """
    directory = tmp_path_factory.mktemp("server")
    settings = getattr(request.module, "SERVER_SETTINGS", {})
    env = server_env(f"sqlite:///{directory / 'chat.db'}", **settings)
    process = ServerProcess(env, log_path=directory / "server.log").start()
    yield process
    process.stop()


@pytest.fixture
def serve(tmp_path):
    """serve(**settings) -> a `cli.py serve` process of this test's own, stopped after it.

    Each runs on tmp_path/chat.db unless DATABASE_URL says otherwise, so two
    started by one test share a database; `port` restarts one where it was.
    """
    started = []

    def start(port=None, **settings):
        env = server_env(f"sqlite:///{tmp_path / 'chat.db'}", **settings)
        log_path = tmp_path / f"server{len(started)}.log"
        process = ServerProcess(env, port=port, log_path=log_path)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


# Every module that starts a process (a server, nats-server, a CLI run) is
# marked slow, so `make test-fast` can leave it out. This makes that a rule:
# a test not marked slow that starts a process fails and says why.
_running: list[pytest.Item] = []
_popen_init = subprocess.Popen.__init__


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _running[:] = [item]  # before its fixtures (module-scoped ones too) are set up


def _guarded_popen_init(self, *args, **kwargs):
    if _running and _running[0].get_closest_marker("slow") is None:
        pytest.fail(
            f"{_running[0].nodeid} starts a process: mark its module "
            "`pytestmark = pytest.mark.slow` (see README, 'Running the tests')",
            pytrace=False,
        )
    _popen_init(self, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    subprocess.Popen.__init__ = _guarded_popen_init


def pytest_unconfigure(config: pytest.Config) -> None:
    subprocess.Popen.__init__ = _popen_init
