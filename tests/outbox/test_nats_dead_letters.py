"""A row NATS can never accept goes to the dead letters; the rest keep flowing, in order.

The relay runs in-process here (a real link thread, a real nats-server) on
SQLite and PostgreSQL. Bad rows are inserted directly: the API no longer
creates them, but databases from before the fix may hold them.
"""

import asyncio
import json
import logging

import nats
import pytest
from nats.js.api import StreamConfig

from tests.helpers.outbox_rows import (
    BAD_SUBJECT,
    GOOD,
    letters,
    metric,
    outbox_ids,
    published,
    stage,
)
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow


def start(app):
    app.extensions["chatapp.relay"].start()


def test_a_bad_subject_is_dead_lettered_and_later_rows_published_in_order(
    relay_app, nats_server, caplog
):
    app = relay_app()
    before = metric(app, "chatapp_outbox_dead_letters_total")
    stage(app, GOOD, 0)
    stage(app, GOOD, 1)
    bad = stage(app, BAD_SUBJECT, 99)
    stage(app, GOOD, 2)
    stage(app, "chat.room..presence", 98)  # nats-py answers "no responders", not "bad subject"
    stage(app, GOOD, 3)
    with caplog.at_level(logging.INFO):
        start(app)
        events = published(nats_server.url, 4)
        wait_for(lambda: outbox_ids(app) == [], 30, 0.1, "an empty outbox")
    assert [(subject, event["n"]) for subject, event in events] == [(GOOD, n) for n in range(4)]
    [first, second] = letters(app)
    assert (first.event_id, first.subject) == (bad, BAD_SUBJECT)
    assert json.loads(first.payload)["n"] == 99 and first.created_at <= first.failed_at
    assert "subject" in first.error
    assert second.subject == "chat.room..presence"
    assert metric(app, "chatapp_outbox_dead_letters_total") == before + 2
    assert metric(app, "chatapp_outbox_dead_letter_rows") == 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and bad in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is None
    # The relay goes on with what comes next.
    stage(app, GOOD, 4)
    app.extensions["chatapp.relay"].wake()
    assert published(nats_server.url, 5)[-1][1]["n"] == 4


def test_messages_over_the_server_max_payload_are_dead_lettered(relay_app, nats_server):
    """nats-py checks the payload alone, the server payload + headers, and then drops us."""
    app = relay_app()
    limit = 1024 * 1024  # nats-server's default max_payload
    headers = len(b"NATS/1.0\r\nNats-Msg-Id: ") + 36 + 4  # as nats-py writes them
    base = len(json.dumps({"n": 0, "pad": ""}))
    stage(app, GOOD, 0)
    stage(app, GOOD, 1, pad="x" * (limit - headers - base))  # fits exactly: published
    too_big = stage(app, GOOD, 2, pad="x" * (limit - headers - base + 1))  # one byte over
    stage(app, GOOD, 3)
    huge = stage(app, GOOD, 4, pad="x" * (2 * limit))  # over even without headers
    stage(app, GOOD, 5)
    start(app)
    events = published(nats_server.url, 4)
    wait_for(lambda: outbox_ids(app) == [], 30, 0.1, "an empty outbox")
    assert [event["n"] for _, event in events] == [0, 1, 3, 5]
    assert [letter.event_id for letter in letters(app)] == [too_big, huge]
    assert all("max_payload" in letter.error for letter in letters(app))
    # No disconnect: the oversized message was never sent.
    assert app.extensions["chatapp.nats"].nc.stats["reconnects"] == 0


async def _delete_stream(url):
    nc = await nats.connect(url)
    await nc.jetstream().delete_stream("CHAT")
    await nc.close()


async def _add_stream(url):
    nc = await nats.connect(url)
    await nc.jetstream().add_stream(StreamConfig(name="CHAT", subjects=["chat.>"]))
    await nc.close()


def readiness(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200  # NATS and the relay are never required
    return response.get_json()["checks"]


def test_a_relay_that_cannot_move_is_reported_stuck_and_warns_once(relay_app, nats_server, caplog):
    """The stream is deleted under a connected relay: every publish fails, the link looks up."""
    app = relay_app()
    stage(app, GOOD, 0)
    start(app)
    published(nats_server.url, 1)
    assert readiness(app)["relay"]["status"] == "idle"
    asyncio.run(_delete_stream(nats_server.url))
    failures = metric(app, "chatapp_relay_publish_failures_total")
    with caplog.at_level(logging.INFO, logger="chatapp"):
        first, second = stage(app, GOOD, 1), stage(app, GOOD, 2)
        app.extensions["chatapp.relay"].wake()
        checks = wait_for(
            lambda: (c := readiness(app))["relay"]["status"] == "stuck" and c, 30, 0.2, "stuck"
        )
        # Many failed attempts (one every NATS_RELAY_INTERVAL), one warning.
        wait_for(
            lambda: metric(app, "chatapp_relay_publish_failures_total") >= failures + 5,
            30,
            0.1,
            "five failed publishes",
        )
    assert checks["nats"]["status"] == "up"  # connected: only the relay check tells
    assert checks["relay"]["backlog"] == 2 and checks["relay"]["oldest_age_s"] >= 1.0
    assert checks["relay"]["required"] is False
    assert metric(app, "chatapp_relay_stuck") == 1
    assert metric(app, "chatapp_relay_lag_seconds") >= 1.0
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "publishing to NATS failed" in r.getMessage()
    ]
    assert len(warnings) == 1
    assert outbox_ids(app) == [first, second] and letters(app) == []  # transient: kept, in order
    asyncio.run(_add_stream(nats_server.url))  # the operator puts the stream back
    events = published(nats_server.url, 2)
    assert [event["n"] for _, event in events] == [1, 2]
    wait_for(lambda: readiness(app)["relay"]["status"] == "idle", 30, 0.2, "idle again")
    assert metric(app, "chatapp_relay_stuck") == 0


async def _limit_message_size(url, size):
    nc = await nats.connect(url)
    config = StreamConfig(name="CHAT", subjects=["chat.>"], max_msg_size=size)
    await nc.jetstream().update_stream(config)
    await nc.close()


def test_a_message_the_stream_refuses_for_its_size_is_dead_lettered(relay_app, nats_server):
    """JetStream's own limit (err_code 10054), below the server's max_payload."""
    app = relay_app()
    stage(app, GOOD, 0)
    start(app)
    published(nats_server.url, 1)
    asyncio.run(_limit_message_size(nats_server.url, 1000))
    stage(app, GOOD, 1)
    too_big = stage(app, GOOD, 2, pad="x" * 2000)
    stage(app, GOOD, 3)
    app.extensions["chatapp.relay"].wake()
    events = published(nats_server.url, 3)
    wait_for(lambda: outbox_ids(app) == [], 30, 0.1, "an empty outbox")
    assert [event["n"] for _, event in events] == [0, 1, 3]
    [letter] = letters(app)
    assert letter.event_id == too_big and "10054" in letter.error


def test_plain_nats_dead_letters_too_and_delivers_the_rest_in_order(relay_app, nats_server):
    """Without JetStream the good rows before a bad one are flushed, then the bad one set aside."""
    received = []

    async def listen():
        nc = await nats.connect(nats_server.url)

        async def on_message(msg):
            received.append((msg.subject, json.loads(msg.data)))

        await nc.subscribe("chat.>", cb=on_message)
        await nc.flush()
        app = relay_app(NATS_JETSTREAM=False)
        for n, subject in enumerate([GOOD, GOOD, BAD_SUBJECT, GOOD]):
            stage(app, subject, n)
        start(app)
        for _ in range(600):  # bounded: 30 s
            if len(received) >= 3 and not outbox_ids(app):
                break
            await asyncio.sleep(0.05)
        await nc.close()
        return app

    app = asyncio.run(listen())
    assert [(subject, body["n"]) for subject, body in received] == [(GOOD, 0), (GOOD, 1), (GOOD, 3)]
    assert [letter.subject for letter in letters(app)] == [BAD_SUBJECT]
