"""`cli.py serve`: migrate, then run the real-time server on eventlet."""

from __future__ import annotations

import faulthandler
import fcntl
import gc
import logging
import os
import signal
import socket
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# eventlet.wsgi.server serves only 1,024 connections at once by default
# (DEFAULT_MAX_SIMULTANEOUS_REQUESTS); a chat server holds one per client.
DEFAULT_MAX_CONNECTIONS = 10_000


def no_delay(listener: socket.socket) -> socket.socket:
    """Turn Nagle's algorithm off for every connection `listener` accepts (Linux inherits it).

    A chat server writes many small frames (an ack right after a delivery).
    With Nagle on, a small frame waits for the peer's ACK of the previous one,
    and the peer delays that ACK by up to 40 ms: a floor of tens of ms under
    every ack and delivery. gunicorn sets this on its own listeners.
    """
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


def hold_embedded_database(app: Flask) -> None:
    """One `serve` per SQLite database without Redis: a second one would split the chat.

    Without Redis each process keeps its own presence and broadcasts, so
    clients of a second server on another port (same database) would miss the
    first one's live messages and online list. An exclusive lock on a file beside the
    database (released by the kernel when the process ends, even by SIGKILL)
    makes the second one refuse to start.
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config.get("REDIS_URL") or url.get_backend_name() != "sqlite":
        return  # with Redis, processes share presence and broadcasts
    if not url.database or url.database == ":memory:":
        return
    lock = open(f"{url.database}.serve-lock", "a")  # noqa: SIM115 (held for the process's life)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise click.ClickException(
            f"Another chatapp server already serves {url.database} without Redis: its "
            "clients and this one's would not see each other. Stop it, or set REDIS_URL "
            "(and, for several servers, use PostgreSQL)."
        ) from None
    app.extensions["chatapp.database_lock"] = lock


@click.command("serve")
@click.option("--host", default="127.0.0.1", envvar="CHATAPP_HOST", show_default=True)
@click.option("--port", default=5000, type=int, envvar="CHATAPP_PORT", show_default=True)
@click.option(
    "--max-connections",
    default=DEFAULT_MAX_CONNECTIONS,
    type=click.IntRange(1, 1_000_000),
    envvar="MAX_CONNECTIONS",
    show_default=True,
    help="Concurrent connections this process accepts.",
)
@click.option("--no-migrate", is_flag=True, help="Do not apply pending migrations first.")
@click.option(
    "--reuse-port",
    is_flag=True,
    envvar="SERVE_REUSE_PORT",
    help="Share the port with other chatapp processes (SO_REUSEPORT); needs REDIS_URL.",
)
@with_appcontext
def serve(host: str, port: int, max_connections: int, no_migrate: bool, reuse_port: bool) -> None:
    """Apply pending migrations and start the real-time server (eventlet)."""
    import eventlet
    import eventlet.wsgi

    from chatapp.server.listener import DeadlineProtocol, PortInUse, listen
    from chatapp.server.worker import start_worker

    if not eventlet.patcher.is_monkey_patched("socket"):
        raise click.ClickException(
            "serve needs eventlet's monkey patching: run it as `python cli.py serve`."
        )
    from chatapp.extensions import current_app_object, socketio
    from chatapp.logs import configure_logging, terminal_format
    from chatapp.middleware import direct

    if socketio.server.eio.async_mode != "eventlet":
        raise click.ClickException(
            f"serve needs Socket.IO's eventlet driver, not {socketio.server.eio.async_mode!r}: "
            "unset SOCKETIO_ASYNC_MODE or set it to eventlet."
        )

    if reuse_port and not (
        current_app.config.get("REDIS_URL")
        and current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    ):
        # Without a shared queue and presence, two processes on one port split
        # the chat; on SQLite every process's NATS relay would lead at once.
        raise click.ClickException(
            "--reuse-port needs REDIS_URL and a PostgreSQL DATABASE_URL: processes "
            "sharing a port must share Redis and the database."
        )
    try:
        # Bound before migrating, so a second `serve` fails at once and touches nothing.
        listener = no_delay(listen(host, port, reuse_port=reuse_port))
    except PortInUse as error:
        raise click.ClickException(str(error)) from None
    hold_embedded_database(current_app_object())
    configure_logging(current_app, default_format=terminal_format(sys.stdout))
    if not no_migrate:
        from flask_migrate import upgrade

        upgrade()
    app = current_app_object()
    limit, frozen = start_worker(app, max_connections)
    # eventlet's server waits for every open connection to end before it
    # returns, so a graceful stop must end the websockets itself. The handler
    # only sets a flag: a signal does not wake eventlet's hub (the interrupted
    # poll resumes with its old timeout), so a watcher checks it every 0.2 s.
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    def watch_for_sigterm() -> None:
        while not stopping:
            eventlet.sleep(0.2)
        graceful_exit(app)

    eventlet.spawn(watch_for_sigterm)
    # `kill -USR1 <pid>` prints every thread's stack: for a server that seems stuck.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    click.echo(f"chatapp listening on http://{host}:{listener.getsockname()[1]}", err=True)
    log.info(
        "async server: eventlet %s, maintained upstream in bugfix mode only (README: Why eventlet)",
        eventlet.__version__,
    )
    log.info(
        "serving on %s:%s (%s), max %d connections, %d open files, %d objects frozen for the GC, "
        "young collections every %d allocations",
        host,
        port,
        socketio.server.eio.async_mode,
        max_connections,
        limit,
        frozen,
        gc.get_threshold()[0],
    )
    try:
        eventlet.wsgi.server(
            listener,
            direct(app),  # Flask's bound __call__: see chatapp.middleware
            max_size=max_connections,
            log_output=False,
            protocol=DeadlineProtocol.bind(current_app.config["HEADER_TIMEOUT"]),
            # Per read or write: longer than Socket.IO's ping interval plus
            # its timeout (25 + 20 s), so a live idle websocket never trips it.
            socket_timeout=current_app.config["IDLE_TIMEOUT"],
        )
    except KeyboardInterrupt:
        graceful_exit(app)


def graceful_exit(app) -> None:
    """SIGTERM: disconnect clients (they reconnect elsewhere), drain the relay, exit 0.

    Everything acknowledged is already committed; this only shortens the time
    others see this process's users as online and flushes pending NATS events.
    """
    from chatapp.extensions import socketio
    from chatapp.presence import local_sessions
    from chatapp.server.background import stop_background_work

    log.info("shutting down: disconnecting clients, draining the outbox relay")
    try:
        with app.app_context():
            for sid in list(local_sessions().snapshot()):
                socketio.server.disconnect(sid, namespace="/")
        stop_background_work(app)
    finally:
        logging.shutdown()
        os._exit(0)
