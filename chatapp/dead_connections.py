"""Pooled PostgreSQL connections the server closed: replaced at checkout, no round trip each.

pool_pre_ping sent `SELECT 1` at every checkout, so every socket event paid a
round trip to the database (and the database its CPU) before doing anything:
a send paid two round trips where one would do. But a pooled connection dies
only in a few ways, and each leaves a trace that costs nothing to look at:

- the server closed it (a restart, pg_terminate_backend, idle_session_timeout,
  a proxy's limit): PostgreSQL writes its FATAL notice and closes the socket,
  so an idle connection's socket has something to read. A zero-timeout poll()
  sees that: a system call, no round trip. Then we ping, to be sure;
- the path died silently (a firewall or NAT dropping an idle flow) after the
  connection sat unused for long: connections idle longer than PING_AFTER_IDLE
  are pinged, as before. A busy server reuses each within milliseconds and
  never pays for it; an idle one pays a round trip it can afford.

A dead connection raises DisconnectionError in the pool's "checkout" event:
the pool then replaces that one connection and checks again, as SQLAlchemy
documents ("Disconnect Handling - Pessimistic", custom variant). What stays
uncovered is what pre-ping did not cover either: a connection that dies while
its statement runs. SQLAlchemy then invalidates the whole pool, so only the
transactions in flight fail (`unavailable`) and the next checkouts reconnect.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

from chatapp import metrics
from chatapp.server import green

# Seconds a connection may sit in the pool before its next checkout pings it.
PING_AFTER_IDLE = 2.0
_CHECKED_IN = "chatapp.checked_in"  # in the record's info, cleared on reconnect


def watch(engine: Engine) -> None:
    """Check each checkout of `engine`'s pool for a connection the server closed."""
    event.listen(engine, "checkin", _stamp_checkin)
    event.listen(engine, "checkout", _check_on_checkout)


def _stamp_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _check_on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    checked_in = record.info.get(_CHECKED_IN)
    if checked_in is None:
        return  # just connected
    if has_unread_data(dbapi_connection) or time.monotonic() - checked_in > PING_AFTER_IDLE:
        metrics.DB_PINGS.inc()
        if not _ping(dbapi_connection):
            metrics.DB_CONNECTIONS_REPLACED.inc()
            raise DisconnectionError("the server closed this pooled connection")


def has_unread_data(dbapi_connection: Any) -> bool:
    """True if an idle connection's socket has something to read (or is closed).

    Idle between transactions, a PostgreSQL connection receives nothing unless
    the server is ending it (chatapp never LISTENs on pooled connections).
    """
    if getattr(dbapi_connection, "closed", 0):
        return True
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 (closed under us: as dead as it gets)
        return True
    select = green.real_select()
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _ping(dbapi_connection: Any) -> bool:
    """One `SELECT 1`; False if it failed (the connection is unusable either way).

    In autocommit, one round trip and no transaction left open: the connection
    is handed out as it came back to the pool, which database.autocommit_reads
    needs (psycopg2 refuses to switch inside a transaction).
    """
    try:
        dbapi_connection.autocommit = True
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        finally:
            dbapi_connection.autocommit = False
    except Exception:  # noqa: BLE001 (a dead socket fails in many ways)
        return False
    return True
