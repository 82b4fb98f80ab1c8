"""Reading back what chatapp published, straight from a NATS JetStream stream."""

from __future__ import annotations

import asyncio
import json

import nats
from nats.js.errors import NotFoundError

from tests.helpers.wait import wait_for


async def _read(url: str, stream: str, **auth) -> list[tuple[str, dict]]:
    # max_reconnect_attempts=0 would retry forever in nats-py 2.16; 1 fails fast.
    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=1, **auth)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            return []
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            msg = await js.get_msg(stream, seq)
            out.append((msg.subject, json.loads(msg.data)))
        return out
    finally:
        await nc.close()


def read_stream(url: str, stream: str = "CHAT", **auth) -> list[tuple[str, dict]]:
    """Every (subject, event) in the stream, in stream order."""
    return asyncio.run(_read(url, stream, **auth))


def message_events(events: list[tuple[str, dict]]) -> list[dict]:
    return [event for subject, event in events if event["type"] == "message.created"]


def wait_for_messages(url: str, count: int, timeout: float = 60, **auth) -> list[dict]:
    """Wait until the stream holds at least `count` message events; return them."""

    def enough():
        found = message_events(read_stream(url, **auth))
        return found if len(found) >= count else None

    return wait_for(enough, timeout, 0.25, f"{count} message events in the stream")
