"""The Redis message queue between server processes, with a bounded reconnect wait.

python-socketio's RedisManager doubles its wait between reconnects up to 60 s,
so after an outage of a minute or more, live delivery could resume up to a
minute after Redis came back. Here the wait is capped (MAX_RETRY_SLEEP), so
delivery resumes within a few seconds of Redis's return. Messages sent during
the outage are stored and acknowledged all along; clients fill the gap from
`history`.
"""

from __future__ import annotations

import time

import socketio

MAX_RETRY_SLEEP = 4


class ChatRedisManager(socketio.RedisManager):
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
