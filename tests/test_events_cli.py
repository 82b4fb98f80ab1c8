"""`cli.py events status | tail` against a real nats-server."""

import json
import subprocess
import sys

import pytest

from tests.realtime import ChatClient, login
from tests.server import ROOT, ServerProcess, server_env
from tests.services import NatsServer, free_port


@pytest.fixture
def nats_server(tmp_path):
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.stop()


def test_status_counts_the_backlog_and_reports_nats(make_app, nats_server):
    app = make_app(NATS_URL=nats_server.url)
    runner = app.test_cli_runner()
    # Registering stages a user.created event; no relay runs here, so it waits.
    runner.invoke(args=["users", "create", "alice", "--password", "correct horse"])
    result = runner.invoke(args=["events", "status", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    assert state["backlog"] == 1 and state["oldest_age_s"] >= 0
    assert state["nats"]["connected"] is True
    text = runner.invoke(args=["events", "status"]).output
    assert "backlog: 1 pending" in text and "nats: connected" in text


def test_status_when_nats_is_down(make_app):
    app = make_app(NATS_URL=f"nats://127.0.0.1:{free_port()}")
    result = app.test_cli_runner().invoke(args=["events", "status"])
    assert result.exit_code == 0
    assert "backlog: 0 pending" in result.output and "NOT connected" in result.output


def test_commands_without_nats_configured_say_so(runner):
    result = runner.invoke(args=["events", "status"])
    assert result.exit_code == 1 and "NATS_URL is not set" in result.output


def test_tail_prints_events_live(nats_server, tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'chat.db'}", NATS_URL=nats_server.url)
    server = ServerProcess(env, log_path=tmp_path / "server.log").start()
    tail = subprocess.Popen(
        [
            sys.executable,
            "cli.py",
            "events",
            "tail",
            "--subject",
            "chat.room.*.message",
            "--count",
            "2",
        ],
        cwd=ROOT,
        env={**server.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening" in tail.stderr.readline()  # subscribed before anything is sent
        client = ChatClient(server.url, login(server.url, "alice")).connect()
        client.call("join", {"room": "tailed"})
        sent = [client.call("send", {"room": "tailed", "text": t})["message"] for t in ("a", "b")]
        client.close()
        out, _ = tail.communicate(timeout=30)
        lines = [json.loads(line) for line in out.splitlines()]
        assert [line["subject"] for line in lines] == ["chat.room.tailed.message"] * 2
        assert [line["event"]["data"] for line in lines] == sent
        assert tail.returncode == 0
    finally:
        if tail.poll() is None:
            tail.kill()
        server.stop()
