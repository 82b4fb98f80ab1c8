"""The real `gunicorn -c gunicorn.conf.py wsgi:app`, chatting through it."""

import signal

import pytest

from tests.helpers.realtime import ChatClient, login

pytestmark = pytest.mark.slow


def test_chat_through_gunicorn(gunicorn):
    url, process, home = gunicorn
    alice = ChatClient(url, login(url, "alice")).connect()
    bob = ChatClient(url, login(url, "bob")).connect()
    alice.call("join", {"room": "general", "create": True})
    bob.call("join", {"room": "general", "create": True})
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
