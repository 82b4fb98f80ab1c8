"""`python cli.py serve` migrates an empty database and serves the API for real."""

import sqlite3

import pytest
import requests

from tests.conftest import FAST_HASH
from tests.server import ServerProcess


@pytest.fixture
def server(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SECRET_KEY": "e2e-" + "s" * 40,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "CHATAPP_ENV": "development",
    }
    proc = ServerProcess(env, log_path=tmp_path / "server.log").start()
    yield proc
    proc.stop()


def test_serve_migrates_and_answers(server, tmp_path):
    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "serve.db").execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert {"users", "rooms", "messages", "memberships", "alembic_version"} <= tables
    http = requests.Session()
    body = {"username": "alice", "password": "correct horse"}
    assert http.post(server.url + "/api/auth/register", json=body, timeout=5).status_code == 201
    token = http.post(server.url + "/api/auth/login", json=body, timeout=5).json()["token"]
    me = requests.get(
        server.url + "/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert me.json()["user"]["username"] == "alice"


def test_serve_exits_cleanly_on_sigterm(server):
    server.stop()
    assert server.process.returncode == 0


def test_production_mode_refuses_a_missing_secret_key(tmp_path):
    proc = ServerProcess(
        {
            "CHATAPP_ENV": "production",
            "SECRET_KEY": "",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
        log_path=tmp_path / "server.log",
    )
    with pytest.raises(AssertionError, match="exited"):
        proc.start(timeout=20)
    assert "SECRET_KEY" in (tmp_path / "server.log").read_text()
