"""Every chat event on NATS, through a transactional outbox.

Writers add an outbox row in the same transaction as the data it describes
(`outbox.add`); after commit they `wake()` the relay. The relay (one green
thread per process, one leader at a time) publishes pending rows in order
through `NatsLink` (one OS thread running one asyncio loop, because nats-py is
asyncio only) and deletes them once NATS, or JetStream, has acknowledged them.
A row NATS can never accept moves to the dead letters (`dead_letters`) and the
rest go on; `RelayWatch` tells /readyz and /metrics whether the relay moves.
Chat never waits on NATS: a send costs one extra INSERT, no network round trip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

# What writers use: `outbox.add(...)` in their transaction, `outbox.wake()` after it.
from chatapp.outbox.rows import (
    INSERT_EVENT,
    USER_CREATED,
    add,
    backlog,
    enabled,
    event_row,
    room_subject,
)

if TYPE_CHECKING:  # imported by init_app only when NATS is configured
    from chatapp.outbox.link import NatsLink
    from chatapp.outbox.relay import Relay
    from chatapp.outbox.watch import RelayWatch

__all__ = [
    "INSERT_EVENT",
    "USER_CREATED",
    "add",
    "backlog",
    "enabled",
    "event_row",
    "room_subject",
    "init_app",
    "wake",
]


def init_app(app: Flask) -> None:
    """Prepare (not start) the NATS link and relay when NATS_URL is set."""
    if not app.config.get("NATS_URL"):
        return
    from chatapp.outbox.link import NatsLink, NatsOptions
    from chatapp.outbox.relay import Relay
    from chatapp.outbox.watch import RelayWatch

    link = NatsLink(NatsOptions.from_config(app.config))
    app.extensions["chatapp.nats"] = link
    app.extensions["chatapp.relay"] = Relay(app, link)
    app.extensions["chatapp.relay_watch"] = RelayWatch(app.config["NATS_RELAY_STUCK_AFTER"])


# Not named relay()/link(): importing the submodules of the same names would
# replace those package attributes with the modules. Each is None unless
# NATS_URL is set; `app` defaults to the current one.
def current_relay(app: Flask | None = None) -> Relay | None:
    """This process's relay, which publishes the outbox to NATS."""
    return (app or current_app).extensions.get("chatapp.relay")


def current_link(app: Flask | None = None) -> NatsLink | None:
    """This process's connection to NATS, which the relay publishes through."""
    return (app or current_app).extensions.get("chatapp.nats")


def current_watch(app: Flask | None = None) -> RelayWatch | None:
    """What tells /readyz and /metrics whether the relay moves."""
    return (app or current_app).extensions.get("chatapp.relay_watch")


def wake() -> None:
    """Tell this process's relay that new rows were committed."""
    found = current_relay()
    if found is not None:
        found.wake()
