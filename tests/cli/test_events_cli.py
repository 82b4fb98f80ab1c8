"""`cli.py events status | tail` against a real nats-server."""

import json
import subprocess
import sys

import pytest

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ROOT, ServerProcess, server_env
from tests.helpers.services import NatsServer, free_port


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


def test_dead_letters_list_shows_what_was_refused_and_why(app):
    from tests.helpers.outbox_rows import BAD_SUBJECT, GOOD, bury

    runner = app.test_cli_runner()
    assert runner.invoke(args=["events", "dead-letters", "list"]).output == "0 dead letter(s)\n"
    bad = bury(app, BAD_SUBJECT, 1)
    good = bury(app, GOOD, 2)
    result = runner.invoke(args=["events", "dead-letters", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # The newline in the subject is shown escaped, on the row's one line.
    assert lines[0].startswith("1  ") and '"chat.room.x\\n.presence"  "test: refused"' in lines[0]
    assert lines[1].startswith("2  ") and f'"{GOOD}"' in lines[1]
    assert lines[2] == "2 dead letter(s)"
    listed = runner.invoke(args=["events", "dead-letters", "list", "--json"]).output
    rows = [json.loads(line) for line in listed.splitlines()]
    assert [(r["id"], r["event_id"], r["subject"]) for r in rows] == [
        (1, bad, BAD_SUBJECT),
        (2, good, GOOD),
    ]
    assert json.loads(rows[0]["payload"]) == {"n": 1, "pad": ""}
    assert {"outbox_id", "created_at", "failed_at", "error"} <= set(rows[0])


def test_dead_letters_retry_puts_them_after_what_is_pending(app):
    from tests.helpers.outbox_rows import BAD_SUBJECT, GOOD, bury, letters, outbox_ids, stage

    runner = app.test_cli_runner()
    first = bury(app, GOOD, 1)
    bad = bury(app, BAD_SUBJECT, 2)
    second = bury(app, GOOD, 3)
    pending = stage(app, GOOD, 4)
    result = runner.invoke(args=["events", "dead-letters", "retry", "3", "1"])
    assert result.exit_code == 0, result.output
    assert "2 moved back to the outbox" in result.output
    assert outbox_ids(app) == [pending, first, second]  # same event ids, after the pending one
    assert [letter.event_id for letter in letters(app)] == [bad]
    # A subject NATS can never take is not put back to fail again.
    result = runner.invoke(args=["events", "dead-letters", "retry", "--all"])
    assert result.exit_code == 1 and "drop them): 2" in result.output
    assert [letter.event_id for letter in letters(app)] == [bad]
    assert runner.invoke(args=["events", "dead-letters", "retry", "7"]).exit_code == 1
    usage = runner.invoke(args=["events", "dead-letters", "retry"])
    assert usage.exit_code == 2 and "--all" in usage.output


def test_dead_letters_drop_asks_first(app):
    from tests.helpers.outbox_rows import BAD_SUBJECT, GOOD, bury, letters

    runner = app.test_cli_runner()
    bury(app, BAD_SUBJECT, 1)
    kept = bury(app, GOOD, 2)
    bury(app, GOOD, 3)
    refused = runner.invoke(args=["events", "dead-letters", "drop", "1"], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert len(letters(app)) == 3
    agreed = runner.invoke(args=["events", "dead-letters", "drop", "1", "3"], input="y\n")
    assert agreed.exit_code == 0 and "2 dropped" in agreed.output
    assert [letter.event_id for letter in letters(app)] == [kept]
    missing = runner.invoke(args=["events", "dead-letters", "drop", "1", "--yes"])
    assert missing.exit_code == 1 and "No dead letter with id 1" in missing.output
    assert runner.invoke(args=["events", "dead-letters", "drop", "--all", "--yes"]).exit_code == 0
    assert letters(app) == []


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
