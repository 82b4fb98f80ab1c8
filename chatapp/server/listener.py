"""`serve`'s listening socket and its per-connection deadlines (imported by `serve` only)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import Any

import eventlet
import eventlet.wsgi

BACKLOG = 2048


class PortInUse(Exception):
    """Another process listens on the address; the message says what to do."""


def listen(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """A listening green socket, refusing an address already in use.

    eventlet.listen turns SO_REUSEPORT on by default: a second `serve` on the
    same port then started silently, and the kernel split the clients between
    two processes with separate presence and no shared queue. Sharing a port
    is opt-in, for processes that share Redis.
    """
    try:
        return eventlet.listen((host, port), backlog=BACKLOG, reuse_port=reuse_port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise PortInUse(
            f"{host}:{port} is already in use (is chatapp already running?). "
            "Stop the other process or choose another --port."
        ) from None


class DeadlineProtocol(eventlet.wsgi.HttpProtocol):
    """eventlet's HTTP protocol with a deadline for the request line and headers.

    `socket_timeout` bounds each read, so a client trickling one byte at a
    time (slowloris) could still hold a connection forever; this bounds the
    whole head of each request, from when the server starts waiting for it.
    """

    header_timeout: float = 10.0
    _deadline: eventlet.Timeout | None = None

    # The buffers of the connection's rfile and wfile (eventlet: 8 KiB and 16
    # KiB), allocated per connection and kept for its life. A websocket uses
    # them only for its HTTP upgrade, then reads and writes the socket itself:
    # 24 KiB of each idle connection's ~65 KiB was these two. At 4 KiB each
    # they still cost 6 KiB more per connection than at 1 KiB (the heap's
    # pages they land on are resident; docs/benchmarks.md, capacity: the write
    # buffer alone 3 KiB, though a websocket never writes through it). A
    # websocket's upgrade request takes one to a few reads of 1 KiB (more with
    # many cookies); reads and writes larger than the buffer go straight to
    # the socket. The price: an HTTP response over about 1 KiB leaves in two
    # sends (the head, then the body) where 4 KiB took one.
    rbufsize = 1 << 10
    wbufsize = 1 << 10

    @classmethod
    def bind(cls, header_timeout: float) -> Callable[[Any, eventlet.wsgi.Server], None]:
        """What eventlet's server calls for each accepted connection (its `protocol`).

        Not the class: eventlet's protocol serves the whole connection inside
        __init__, and instantiating a class from Python recurses in C
        (type.__call__). Every idle websocket's green thread keeps that C
        frame copied on the heap; __init__ called as a method stays in the
        interpreter (0.8 to 0.9 KiB per connection, docs/benchmarks.md, capacity).
        """
        bound: type[DeadlineProtocol] = type(
            "DeadlineProtocol", (cls,), {"header_timeout": header_timeout}
        )

        def serve_connection(conn_state: Any, server: eventlet.wsgi.Server) -> None:
            protocol = bound.__new__(bound)
            try:
                protocol.__init__(conn_state, server)  # type: ignore[misc]  # on purpose, see above
            finally:
                # The connection is over. Its environ holds a closure holding
                # the protocol (eventlet's set_idle): a reference cycle, about
                # 40 objects with the buffers and headers, that only the
                # garbage collector's passes would free. (A head deadline an
                # error left armed is cancelled first.)
                protocol._disarm()
                protocol.__dict__.clear()

        return serve_connection

    def _read_request_line(self):
        self._deadline = eventlet.Timeout(self.header_timeout)
        try:
            line = super()._read_request_line()
        except eventlet.Timeout as timeout:
            ours = timeout is self._deadline
            self._disarm()
            if not ours:
                raise
            self.close_connection = 1
            return ""
        if not line or len(line) >= self.server.url_length_limit:
            self._disarm()  # no parse_request follows: closing, or 414
        return line

    def parse_request(self):
        deadline = self._deadline
        try:
            return super().parse_request()
        except eventlet.Timeout as timeout:
            if timeout is not deadline:
                raise
            self.close_connection = 1
            return False
        finally:
            self._disarm()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
