"""The terminal client keeps a line the server answered `busy` and resends it after retry_after."""

import time

from chatclient.sending import Pending, Sender


class Out:
    def __init__(self):
        self.errors = []

    def error(self, text, code=None, **extra):
        self.errors.append((text, code, extra))


class Client(Sender):
    def __init__(self):
        super().__init__()
        self.out = Out()


def test_a_busy_line_is_kept_and_waits_retry_after():
    client = Client()
    line = Pending("lobby", "hello")
    began = time.monotonic()
    reply = {"ok": False, "error": {"code": "busy", "message": "busy", "retry_after": 3}}
    assert client._handled(line, reply) is False  # kept in the queue, not refused
    assert client.out.errors == [
        ("The server is busy: sending again in 3s.", "busy", {"retry_after": 3})
    ]
    assert line.not_before >= began + 3
    assert client.refused == 0
