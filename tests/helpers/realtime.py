"""A real Socket.IO client (python-socketio, websocket transport) for end-to-end tests."""

from __future__ import annotations

import threading
from collections import defaultdict

import requests
import socketio

from tests.helpers.wait import wait_for


def login(url: str, username: str, password: str = "correct horse") -> str:
    """Register (if new) and log in over HTTP; return the bearer token."""
    body = {"username": username, "password": password}
    requests.post(f"{url}/api/auth/register", json=body, timeout=10)
    response = requests.post(f"{url}/api/auth/login", json=body, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


#: The server events a ChatClient records; `rooms` arrives on every connect.
EVENTS = (
    "message",
    "presence",
    "notice",
    "unauthorized",
    "member",
    "removed",
    "room_added",
    "room_updated",
    "rooms",
    "read",
)


class ChatClient:
    """A logged-in socket that records every server event it receives."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.events: dict[str, list] = defaultdict(list)
        self._lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        for name in EVENTS:
            self.sio.on(name, self._recorder(name))

    def _recorder(self, name):
        def record(data):
            with self._lock:
                self.events[name].append(data)

        return record

    def connect(self) -> ChatClient:
        self.sio.connect(
            self.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
        )
        return self

    def call(self, event: str, data: dict, timeout: float = 10) -> dict:
        return self.sio.call(event, data, timeout=timeout)

    def received(self, name: str) -> list:
        with self._lock:
            return list(self.events[name])

    def wait_for(self, name: str, predicate, timeout: float = 10):
        """The first `name` event matching `predicate`, waiting up to `timeout`."""

        def find():
            return next((e for e in self.received(name) if predicate(e)), None)

        return wait_for(find, timeout, 0.02, f"a matching {name!r} event")

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()
        http = getattr(self.sio.eio, "http", None)
        if http is not None:
            http.close()  # engineio's own requests session keeps pooled sockets
