"""A hand-driven Engine.IO 4 / Socket.IO 5 websocket: any frame, in any order."""

from __future__ import annotations

import json

import websocket


class Raw:
    """A websocket to a real server that speaks the protocol's frames by hand."""

    def __init__(self, server, token=None):
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=10)
        assert self.ws.recv().startswith("0{")  # Engine.IO open
        if token:
            self.ws.send("40" + json.dumps({"token": token}))
            assert self.ws.recv().startswith("40{")

    def call(self, ack_id, event, data):
        self.ws.send(f"42{ack_id}" + json.dumps([event, data]))
        while True:
            frame = self.ws.recv()
            if frame.startswith(f"43{ack_id}"):
                return json.loads(frame[len(f"43{ack_id}") :])[0]

    def closed(self):
        """True once the server has closed the connection (after any backlog)."""
        try:
            for _ in range(100_000):
                if self.ws.recv() == "":
                    return True
        except (websocket.WebSocketException, ConnectionError, OSError):
            # Closed, timed out, or a torn last frame (the server cut the
            # connection while writing to it): the connection is gone.
            return True
        return False

    def close(self):
        self.ws.close()
        # close() does nothing once the server has dropped the connection;
        # shutdown() always releases the OS socket.
        self.ws.shutdown()
