"""Socket.IO client managers: the greeting after connect, and the Redis message queue.

`ChatManager` and `ChatRedisManager` run a session's greeting (the server
event `rooms`) right after python-socketio has sent the namespace's CONNECT
packet: an event emitted from the connect handler itself would reach the
client before the CONNECT, which clients have to buffer.

The Redis message queue between server processes has a bounded reconnect wait:

python-socketio's RedisManager doubles its wait between reconnects up to 60 s,
so after an outage of a minute or more, live delivery could resume up to a
minute after Redis came back. Here the wait is capped (MAX_RETRY_SLEEP), so
delivery resumes within a few seconds of Redis's return. Messages sent during
the outage are stored and acknowledged all along; clients fill the gap from
`history`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import socketio

MAX_RETRY_SLEEP = 4


class Greetings:
    """Calls queued for a session until it is connected (after its CONNECT packet went out)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.greetings: dict[str, Callable[[], None]] = {}

    def greet(self, sid: str, call: Callable[[], None]) -> None:
        """Run `call` once `sid` is connected; at once if it already is."""
        if self.is_connected(sid, "/"):  # type: ignore[attr-defined]
            call()
        else:
            self.greetings[sid] = call

    def connect(self, sid, namespace):
        sid = super().connect(sid, namespace)  # type: ignore[misc]
        call = self.greetings.pop(sid, None)
        if call is not None:
            call()
        return sid

    def disconnect(self, sid, namespace, **kwargs):
        self.greetings.pop(sid, None)  # refused after all: no greeting
        return super().disconnect(sid, namespace, **kwargs)  # type: ignore[misc]


class ChatManager(Greetings, socketio.Manager):
    """One process, no queue (the embedded default, and tests)."""

    @contextmanager
    def publishing_together(self) -> Iterator[None]:
        yield  # no queue: nothing to publish


class ChatRedisManager(Greetings, socketio.RedisManager):
    """The Redis message queue, publishing a batch's broadcasts in one round trip."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held = threading.local()  # green-thread local once patched

    @contextmanager
    def publishing_together(self) -> Iterator[None]:
        """Publish what this thread emits in the block in one Redis pipeline, in order.

        The group commit broadcasts a batch's messages together: one PUBLISH
        round trip each was a quarter of the send path's CPU. This process's
        own sessions still get each message at once (python-socketio delivers
        locally before publishing).
        """
        held: list[dict] = []
        self._held.messages = held
        try:
            yield
        finally:
            self._held.messages = None
            if held:
                self._publish_many(held)

    def _publish(self, data):
        held = getattr(self._held, "messages", None)
        if held is not None:
            held.append(data)
            return None
        return super()._publish(data)

    def _publish_many(self, messages: list[dict]) -> None:
        """The upstream _publish's two attempts, for a pipeline of messages."""
        for retries_left in (1, 0):
            try:
                if not self.connected:  # type: ignore[has-type]  # set by the upstream class
                    self._redis_connect()
                pipeline = self.redis.pipeline(transaction=False)
                for message in messages:
                    pipeline.publish(self.channel, self.json.dumps(message))
                pipeline.execute()
                return
            except Exception as exc:  # noqa: BLE001 (as upstream: log, retry once, give up)
                self._get_logger().error(
                    "Cannot publish to redis... %s",
                    "retrying" if retries_left else "giving up",
                    extra={"redis_exception": str(exc)},
                )
                self.connected = False

    def _redis_listen_with_retries(self):  # the upstream loop, with a bounded wait
        retry_sleep = 1
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    retry_sleep = 1
                yield from self.pubsub.listen()
            except Exception as exc:  # noqa: BLE001 (any Redis failure: reconnect)
                self._get_logger().error(
                    "Cannot receive from redis... retrying in %s secs",
                    retry_sleep,
                    extra={"redis_exception": str(exc)},
                )
                subscribed = False
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, MAX_RETRY_SLEEP)
