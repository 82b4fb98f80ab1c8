"""Pipelined publishes keep the outbox's order, even when a row fails in the middle.

The relay runs in-process (a real link thread, a real nats-server) on SQLite
and PostgreSQL. A whole batch is in flight at once; each row after the first
carries Nats-Expected-Last-Msg-Id, so JetStream stores a row only right after
the one before it (chatapp.outbox.publish).
"""

import asyncio
import json
import uuid
from collections import defaultdict

import nats
import pytest
from nats.js.api import DiscardPolicy, StreamConfig

from tests.helpers.outbox_rows import (
    letters,
    metric,
    outbox_ids,
    published,
    stage,
    stage_many,
)
from tests.helpers.stream import read_stream
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

SUBJECTS = [f"chat.room.r{k}.message" for k in range(10)]


def start(app):
    app.extensions["chatapp.relay"].start()


def test_many_rows_across_subjects_land_in_outbox_order(relay_app, nats_server):
    """2,000 rows over 10 subjects in batches of 300: each once, the stream in outbox order."""
    app = relay_app(NATS_BATCH=300, NATS_PUBLISH_RATE=100_000)
    rows = [(SUBJECTS[n % 7 * n % 10], n) for n in range(2000)]  # uneven interleaving
    staged = stage_many(app, rows)
    start(app)
    wait_for(lambda: outbox_ids(app) == [], 60, 0.1, "an empty outbox")
    events = read_stream(nats_server.url)
    assert [(subject, event["n"]) for subject, event in events] == rows
    per_subject = defaultdict(list)
    for subject, event in events:
        per_subject[subject].append(event["n"])
    assert all(ns == sorted(ns) for ns in per_subject.values())
    assert len(per_subject) > 1
    assert letters(app) == [] and len(staged) == len(set(staged))


async def _limit_bytes(url, room):
    """Let the stream take `room` more bytes, then refuse (discard new): a full stream."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    used = (await js.stream_info("CHAT")).state.bytes
    limit = used + room if room is not None else -1
    config = StreamConfig(
        name="CHAT", subjects=["chat.>"], max_bytes=limit, discard=DiscardPolicy.NEW
    )
    await js.update_stream(config)
    await nc.close()


def test_a_row_refused_in_the_middle_holds_back_every_row_after_it(relay_app, nats_server):
    """A full stream refuses a large row but would take the small ones after it.

    Pipelined without the chain, the small rows would be stored before the
    large one, which would land after them once there is room: out of order.
    """
    app = relay_app(NATS_PUBLISH_RATE=100_000)
    stage(app, SUBJECTS[0], 0)
    start(app)
    published(nats_server.url, 1)
    asyncio.run(_limit_bytes(nats_server.url, 2000))  # a few small rows, not the large one
    failures = metric(app, "chatapp_relay_publish_failures_total")
    large = stage(app, SUBJECTS[0], 1, pad="x" * 4000)
    small = [stage(app, SUBJECTS[0], 2), stage(app, SUBJECTS[1], 3)]
    app.extensions["chatapp.relay"].wake()
    wait_for(
        lambda: metric(app, "chatapp_relay_publish_failures_total") >= failures + 3,
        30,
        0.1,
        "three failed attempts",
    )
    assert [event["n"] for _, event in read_stream(nats_server.url)] == [0]
    assert outbox_ids(app) == [large, *small] and letters(app) == []  # transient: kept
    asyncio.run(_limit_bytes(nats_server.url, None))  # the operator makes room
    wait_for(lambda: outbox_ids(app) == [], 30, 0.1, "an empty outbox")
    events = read_stream(nats_server.url)
    assert [(subject, event["n"]) for subject, event in events] == [
        (SUBJECTS[0], 0),
        (SUBJECTS[0], 1),
        (SUBJECTS[0], 2),
        (SUBJECTS[1], 3),
    ]


async def _publish_directly(url, rows):
    """Publish (subject, event id or None, n) as another publisher (or an earlier relay) would."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    for subject, event_id, n in rows:
        headers = {"Nats-Msg-Id": event_id} if event_id else None
        await js.publish(subject, json.dumps({"n": n, "pad": ""}).encode(), headers=headers)
    await nc.close()


def test_rows_the_stream_already_holds_are_duplicates_and_the_rest_follow(relay_app, nats_server):
    """An earlier leader published rows 0 and 1 and died before deleting them.

    Someone else then published to the stream, so the chain of row 2 (it
    expects row 1 last) breaks once; the relay sends it again without the
    chain, at once, and every row lands once, in order.
    """
    app = relay_app(NATS_PUBLISH_RATE=100_000)
    start(app)  # it creates the stream
    wait_for(lambda: app.extensions["chatapp.nats"].connected, 30, 0.1, "the relay connected")
    ids = [str(uuid.uuid4()) for _ in range(6)]
    earlier = [(SUBJECTS[0], ids[0], 0), (SUBJECTS[0], ids[1], 1), ("chat.other", None, 99)]
    asyncio.run(_publish_directly(nats_server.url, earlier))
    stage_many(app, [(SUBJECTS[0], n) for n in range(6)], ids)
    app.extensions["chatapp.relay"].wake()
    wait_for(lambda: outbox_ids(app) == [], 30, 0.1, "an empty outbox")
    events = read_stream(nats_server.url)
    assert [event["n"] for _, event in events] == [0, 1, 99, 2, 3, 4, 5]
    assert letters(app) == []
