"""`cli.py events status | dead-letters` through Flask's CLI runner, with no NATS running."""

import json

from tests.helpers.services import free_port


def test_status_when_nats_is_down(make_app):
    app = make_app(NATS_URL=f"nats://127.0.0.1:{free_port()}")
    result = app.test_cli_runner().invoke(args=["events", "status"])
    assert result.exit_code == 0
    assert "backlog: 0 pending" in result.output and "NOT connected" in result.output


def test_commands_without_nats_configured_say_so(runner):
    result = runner.invoke(args=["events", "status"])
    assert result.exit_code == 1 and "NATS_URL is not set" in result.output


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
