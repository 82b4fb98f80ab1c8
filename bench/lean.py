"""A lean Socket.IO client for the load generators: websocket transport, default namespace.

python-socketio's AsyncClient spent about as much CPU per received message as
the server spent sending it, so with hundreds of clients in one process the
load generator measured itself. This speaks only what the benchmarks use
(docs/protocol.md on Engine.IO 4 / Socket.IO 5 text frames):

    server  0{...}                    open
    client  40{"token": ...}          connect with auth; server 40{...} or 44{...}
    client  42<id>["event", data]     an event expecting an ack; server 43<id>[ack]
    server  42["event", data]         an event
    server  2 / client 3              ping / pong
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp


class Refused(Exception):
    """The server refused the Socket.IO connection (its 44 packet is the message)."""


class LeanClient:
    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = (
            url.replace("http", "ws", 1).rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        )
        self.handlers: dict[str, Callable[[Any], None]] = {}
        self.pending: dict[int, asyncio.Future] = {}
        self.next_id = 0
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task | None = None

    def on(self, event: str, handler: Callable[[Any], None]) -> None:
        """Call `handler(data)` (a plain function, not a coroutine) for each `event`."""
        self.handlers[event] = handler

    async def connect(self, token: str | None = None, timeout: float = 20) -> None:
        self.ws = await self.http.ws_connect(
            self.url, autoping=False, max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=5)
        )
        opened = await asyncio.wait_for(self.ws.receive_str(), timeout)
        if not opened.startswith("0"):
            raise Refused(opened)
        await self.ws.send_str("40" + (json.dumps({"token": token}) if token else ""))
        reply = await asyncio.wait_for(self.ws.receive_str(), timeout)
        if not reply.startswith("40"):
            await self.ws.close()
            raise Refused(reply)
        self.reader = asyncio.create_task(self._read())

    async def call(self, event: str, data: Any, timeout: float = 30) -> Any:
        """Send `event` and wait for its ack's first argument."""
        self.next_id += 1
        ack_id = self.next_id
        future = asyncio.get_running_loop().create_future()
        self.pending[ack_id] = future
        try:
            await self.ws.send_str(f"42{ack_id}" + json.dumps([event, data]))
            return await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(ack_id, None)

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    break
                text = frame.data
                if text == "2":
                    await self.ws.send_str("3")
                elif text.startswith("42"):
                    event, *args = json.loads(text[2:])
                    handler = self.handlers.get(event)
                    if handler is not None:
                        handler(args[0] if args else None)
                elif text.startswith("43"):
                    end = 2
                    while text[end].isdigit():
                        end += 1
                    args = json.loads(text[end:])
                    future = self.pending.get(int(text[2:end]))
                    if future is not None and not future.done():
                        future.set_result(args[0] if args else None)
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.send_str("41")
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


def session() -> aiohttp.ClientSession:
    """One HTTP session for thousands of websockets (no per-host connection cap)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
