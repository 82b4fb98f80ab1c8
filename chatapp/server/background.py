"""Long-running work a server process does beside serving requests."""

from __future__ import annotations

import gc
import logging

from flask import Flask

from chatapp import revocations
from chatapp.extensions import socketio
from chatapp.outbox import current_relay
from chatapp.presence import local_sessions, presence_store
from chatapp.services import presence
from chatapp.sockets import gate, memberships

log = logging.getLogger(__name__)

_running: dict[int, bool] = {}


def presence_upkeep(app: Flask) -> None:
    """Keep this process's sessions alive in the shared store; announce the dead.

    Sessions of a process that died stop being refreshed and expire; the sweep
    purges them and announces their users' departure, exactly once across all
    processes (the purge is one atomic script). Then the sessions' room
    subscriptions are checked against the memberships (chatapp.sockets.memberships).
    """
    interval = app.config["PRESENCE_REFRESH"]
    reconciler = memberships.Reconciler()
    while _running.get(id(app)):
        try:
            with app.app_context():
                presence_store().refresh(local_sessions().snapshot())
                for change in presence_store().sweep():
                    presence.announce_gone(change)
                end_revoked_logins()
                reconciler.sweep()
        except Exception:
            log.exception("presence upkeep failed; retrying in %ss", interval)
        socketio.sleep(interval)


def end_revoked_logins() -> int:
    """Disconnect this process's sockets whose login was revoked or expired.

    Revocations are applied at once where they are announced (chatapp.revocations);
    this sweep catches the rest: expiries, and revocations whose announcement was
    missed (no Redis, or Redis down).
    """
    return revocations.end_dead_logins(local_sessions().logins())


# Net container allocations (allocations minus deallocations) between young
# (generation 0) collections; CPython's default is 700. Every 10 young
# collections a middle one runs, every 10 of those a full one is considered,
# and it runs once the objects that survived since the last full one pass
# 25 % of those it kept. A server whose live heap grows with every
# connection meets that rule again and again while clients arrive: 22 full
# collections in one 5,000-connection capacity run, each stopping the
# process for up to 0.8 s (it scans every connection held). With 10,000: 3
# in a run of the same benchmark (chatapp alone), and the probe's worst ack
# 11 ms instead of 0.5 s (docs/benchmarks.md, capacity). Young garbage waits
# for up to 10,000 allocations instead of 700 before it is collected.
YOUNG_COLLECTION_THRESHOLD = 10_000


def freeze_startup_objects() -> int:
    """Keep everything built at startup out of the garbage collector's full passes.

    A full (generation 2) collection scans every tracked object: after startup
    about 150,000 (Flask, SQLAlchemy, the app), some 100 ms here during which
    the one eventlet hub serves nobody, a latency spike for every client.
    Frozen objects are never scanned again; the young generation is made
    larger (YOUNG_COLLECTION_THRESHOLD) so that full passes come rarely.
    Returns how many were frozen.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    return gc.get_freeze_count()


def start_background_work(app: Flask) -> None:
    """Start the per-process background tasks: presence upkeep, the NATS relay."""
    _running[id(app)] = True
    socketio.start_background_task(presence_upkeep, app)
    running = lambda: bool(_running.get(id(app)))  # noqa: E731
    socketio.start_background_task(gate.door_keeper, app, running)
    socketio.start_background_task(revocations.listen, app, running)
    relay = current_relay(app)
    if relay is not None:
        relay.start()


def stop_background_work(app: Flask) -> None:
    """Stop them; the relay first publishes what it can of its backlog."""
    _running[id(app)] = False
    relay = current_relay(app)
    if relay is not None:
        relay.stop()
