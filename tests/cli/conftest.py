"""Fixtures of the admin command tests."""

import pytest
import requests

from chatapp import create_app
from chatapp.extensions import db
from tests.helpers.config import BASE_CONFIG


@pytest.fixture
def locked_out(serve):
    """locked_out(**env) -> (server, cli): a real server where alice is locked out from here.

    Her password failed twice against a budget of 2. cli(*args) runs `cli.py
    users ...` in another process's place: an app of its own on the same
    database (and storage, with REDIS_URL).
    """
    apps = []
    alice = {"username": "alice", "password": "correct horse"}

    def start(**env):
        server = serve(RATELIMIT_LOGIN_FAILURES="2 per 15 minutes", **env)
        assert requests.post(f"{server.url}/api/auth/register", json=alice, timeout=10).ok
        for _ in range(2):
            wrong = requests.post(
                f"{server.url}/api/auth/login",
                json={**alice, "password": "wrong guess"},
                timeout=10,
            )
            assert wrong.status_code == 401
        locked = requests.post(f"{server.url}/api/auth/login", json=alice, timeout=10)
        assert locked.status_code == 429
        config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": server.env["DATABASE_URL"]}
        if "REDIS_URL" in env:
            config["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
        app = create_app(config)
        apps.append(app)
        return server, lambda *args: app.test_cli_runner().invoke(args=["users", *args])

    yield start
    for app in apps:
        with app.app_context():
            db.engine.dispose()
