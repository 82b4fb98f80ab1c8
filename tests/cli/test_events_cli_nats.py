"""`cli.py events status | tail` and a retried dead letter, against a real nats-server."""

import json
import subprocess
import sys

import pytest

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ROOT, ServerProcess, server_env

pytestmark = pytest.mark.slow


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
        client.call("join", {"room": "tailed", "create": True})
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


def test_a_retried_dead_letter_is_published_once_in_order(make_app, nats_server):
    """Retried rows keep their event id: JetStream drops one it already has."""
    from tests.helpers.outbox_rows import GOOD, bury, outbox_ids, published, stage
    from tests.helpers.wait import wait_for

    app = make_app(NATS_URL=nats_server.url, NATS_RECONNECT_WAIT=0.5)
    runner = app.test_cli_runner()
    stage(app, GOOD, 1)
    retried = bury(app, GOOD, 2)
    assert runner.invoke(args=["events", "dead-letters", "retry", "--all"]).exit_code == 0
    relay = app.extensions["chatapp.relay"]
    relay.start()
    try:
        events = published(nats_server.url, 2)
        assert [event["n"] for _, event in events] == [1, 2]
        wait_for(lambda: outbox_ids(app) == [], 30, 0.1, "an empty outbox")
        # The same event refused once more and retried again: no second copy.
        bury(app, GOOD, 2, event_id=retried)
        assert runner.invoke(args=["events", "dead-letters", "retry", "--all"]).exit_code == 0
        relay.wake()
        wait_for(lambda: outbox_ids(app) == [], 30, 0.1, "an empty outbox")
        stage(app, GOOD, 3)
        relay.wake()
        events = published(nats_server.url, 3)
        assert [event["n"] for _, event in events] == [1, 2, 3]
    finally:
        relay.stop(drain_seconds=0)
