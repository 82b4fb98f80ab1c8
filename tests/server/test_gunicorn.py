"""The real `gunicorn -c gunicorn.conf.py wsgi:app`, chatting through it."""

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.config import FAST_HASH
from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ROOT
from tests.helpers.services import free_port, port_open
from tests.helpers.wait import wait_for


@pytest.fixture
def gunicorn(tmp_path):
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


def test_chat_through_gunicorn(gunicorn):
    url, process, home = gunicorn
    alice = ChatClient(url, login(url, "alice")).connect()
    bob = ChatClient(url, login(url, "bob")).connect()
    alice.call("join", {"room": "general"})
    bob.call("join", {"room": "general"})
    sent = alice.call("send", {"room": "general", "text": "via gunicorn"})
    assert sent["ok"]
    assert bob.wait_for("message", lambda m: m["id"] == sent["message"]["id"])
    alice.close()
    bob.close()
    assert not (home / ".gunicorn").exists()  # no control socket
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    log = (home / "gunicorn.log").read_text()
    assert "Traceback" not in log
    assert "Booting worker" in log and "eventlet" in log
