"""The Redis message queue publishes a group commit's broadcasts in one pipeline, in order."""

import json
import uuid

import pytest
import redis

from chatapp.sockets.queue import ChatRedisManager
from tests.helpers.services import REDIS_URL, port_open, require
from tests.helpers.wait import wait_for


@pytest.fixture
def queue():
    """A ChatRedisManager on the machine's Redis, a channel of its own, and a subscriber."""
    require("Redis", port_open("127.0.0.1", 6379))
    channel = f"test-{uuid.uuid4().hex}"
    manager = ChatRedisManager(REDIS_URL, channel=channel, write_only=True)
    subscriber = redis.Redis.from_url(REDIS_URL).pubsub()
    subscriber.subscribe(channel)
    # Subscribed for sure once Redis confirms it: nothing published is missed.
    wait_for(lambda: subscriber.get_message(timeout=0.1), 5, message="the subscription")
    yield manager, subscriber
    subscriber.close()


def published(subscriber, count):
    messages = []

    def more():
        message = subscriber.get_message(timeout=0.1)
        if message is not None:
            messages.append(json.loads(message["data"]))
        return len(messages) >= count

    wait_for(more, 10, interval=0.01, message=f"{count} messages")
    return messages


def test_emits_in_the_block_are_published_together_after_it_in_order(queue):
    manager, subscriber = queue
    with manager.publishing_together():
        for n in range(3):
            manager.emit("message", {"n": n}, namespace="/", room="lobby")
        assert subscriber.get_message(timeout=0.2) is None  # held until the block ends
    got = published(subscriber, 3)
    assert [m["data"][0]["n"] for m in got] == [0, 1, 2]
    assert {m["room"] for m in got} == {"lobby"}


def test_outside_a_block_each_emit_is_published_at_once(queue):
    manager, subscriber = queue
    manager.emit("message", {"n": 7}, namespace="/", room="lobby")
    assert published(subscriber, 1)[0]["data"][0]["n"] == 7
