"""Socket.IO: binding the server to the app and registering event handlers."""

from __future__ import annotations

import logging
from typing import NoReturn

from flask import Flask
from werkzeug.exceptions import NotFound

from chatapp.extensions import socketio
from chatapp.server import green


def async_mode(app: Flask) -> str | None:
    """The Socket.IO driver: SOCKETIO_ASYNC_MODE, or the green hub's when it runs this process."""
    return green.socketio_mode(app.config["SOCKETIO_ASYNC_MODE"])


def message_queue_url(app: Flask) -> str | None:
    """Redis pub/sub lets several server processes serve one chat.

    Flask-SocketIO's test client refuses to run with a queue, so testing
    configs leave it off.
    """
    return app.config.get("SOCKETIO_MESSAGE_QUEUE") or (
        None if app.config.get("TESTING") else app.config.get("REDIS_URL")
    )


def init_app(app: Flask) -> None:
    # Import the handlers before the first socketio.init_app: @socketio.on
    # queues handlers for every later init_app only while no server exists;
    # once one does, it binds them to that server (that one app) alone.
    from chatapp.sockets import handlers  # noqa: F401

    origins = app.config["CORS_ORIGINS"] or None  # None: same origin only, never "*"
    from chatapp.sockets.queue import ChatManager, ChatRedisManager

    url = message_queue_url(app)
    manager: ChatManager | ChatRedisManager = ChatManager()
    if url:
        manager = ChatRedisManager(url, channel=app.config["REDIS_KEY_PREFIX"] + "socketio")
    # Every option is passed explicitly: init_app keeps options from an
    # earlier call, so every app names its own client manager.
    socketio.init_app(
        app,
        async_mode=async_mode(app),
        message_queue=None,
        client_manager=manager,
        cors_allowed_origins=origins,
        max_http_buffer_size=app.config["SOCKETIO_MAX_HTTP_BUFFER_SIZE"],
        ping_interval=25,
        ping_timeout=20,
        # Logger objects, not False: given a bool, both libraries add a plain
        # StreamHandler of their own, and every line of theirs came out twice.
        logger=logging.getLogger("socketio.server"),
        engineio_logger=logging.getLogger("engineio.server"),
    )
    from chatapp.sockets import gate
    from chatapp.sockets.cookie import SocketSessionInterface

    app.session_interface = SocketSessionInterface()
    gate.install(app)
    # Flask-SocketIO runs every handler in a request context built from the
    # connection's environ, whose path is Socket.IO's; Flask matches it
    # against the URL map on every push. With no rule the match raises
    # NotFound and keeps it on the request, and its traceback's frames make
    # a cycle of some 100 objects per event for the garbage collector
    # (docs/benchmarks.md, capacity). The Socket.IO middleware answers
    # everything under "/socket.io/" before Flask. Werkzeug matches a
    # websocket's environ only to a websocket rule, polling's to the other;
    # without strict slashes "/socket.io" (Flask-SocketIO's test client's
    # path) matches too instead of redirecting, and an HTTP request for it,
    # which the middleware leaves to Flask, gets the view's 404 as before.
    for websocket in (False, True):
        app.add_url_rule(
            gate.HANDSHAKE_PATH,
            "socketio",
            socketio_path,
            methods=["GET"] if websocket else ["GET", "POST"],
            websocket=websocket,
            strict_slashes=False,
        )


def socketio_path() -> NoReturn:
    """Matched by Socket.IO's request contexts; "/socket.io" without the slash gets a 404 here.

    The Socket.IO middleware answers everything under "/socket.io/" itself.
    """
    raise NotFound()
