"""Long-running work a server process does beside serving requests."""

from __future__ import annotations

import logging

from flask import Flask

from chatapp import notify
from chatapp.extensions import socketio
from chatapp.presence import local_sessions, presence

log = logging.getLogger(__name__)

_running: dict[int, bool] = {}


def presence_upkeep(app: Flask) -> None:
    """Keep this process's sessions alive in the shared store; announce the dead.

    Sessions of a process that died stop being refreshed and expire; the sweep
    purges them and announces their users' departure, exactly once across all
    processes (the purge is one atomic script).
    """
    interval = app.config["PRESENCE_REFRESH"]
    while _running.get(id(app)):
        try:
            with app.app_context():
                presence().refresh(local_sessions().snapshot())
                for change in presence().sweep():
                    notify.users_gone(change)
        except Exception:
            log.exception("presence upkeep failed; retrying in %ss", interval)
        socketio.sleep(interval)


def start_background_work(app: Flask) -> None:
    """Start the per-process background tasks: presence upkeep, the NATS relay."""
    _running[id(app)] = True
    socketio.start_background_task(presence_upkeep, app)
    relay = app.extensions.get("chatapp.relay")
    if relay is not None:
        relay.start()


def stop_background_work(app: Flask) -> None:
    """Stop them; the relay first publishes what it can of its backlog."""
    _running[id(app)] = False
    relay = app.extensions.get("chatapp.relay")
    if relay is not None:
        relay.stop()
