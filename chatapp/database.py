"""Database setup: engine options per backend, SQLite pragmas."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Connection, event

from chatapp import dead_connections, metrics
from chatapp.extensions import db


def engine_options(uri: str, busy_timeout: float = 2.0) -> dict:
    """Pool settings fit for many green threads, and recovery after a DB restart."""
    if uri.startswith("sqlite"):
        # No busy wait inside SQLite: it would block the OS thread, and with it
        # every green thread of the process. WaitingConnection waits instead.
        return {
            "connect_args": {
                "timeout": 0,
                "factory": waiting_connection(busy_timeout),
            }
        }
    return {
        "pool_size": 20,
        "max_overflow": 20,
        "pool_timeout": 10,
        # No pool_pre_ping: a round trip per checkout. chatapp.dead_connections
        # notices a connection broken by a database restart without one, and
        # replaces it instead of failing the next request.
        "pool_recycle": 1800,
    }


def init_app(app: Flask) -> None:
    options = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLITE_BUSY_TIMEOUT"]
    )
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
        else:
            dead_connections.watch(db.engine)


@contextmanager
def autocommit_reads() -> Iterator[Connection]:
    """A pooled connection outside any transaction, for a few independent reads.

    A connect reads the login and the memberships, one statement each: they
    need no transaction (under READ COMMITTED each statement has its own
    snapshot anyway), and psycopg2's implicit BEGIN and the closing ROLLBACK
    were two of the connect's five round trips. psycopg2's `autocommit` is
    client side, so switching it sends nothing; it is switched back before the
    connection returns to the pool, where SQLAlchemy's own isolation-level
    option would reset it with a SET statement, one round trip more.
    (docs/benchmarks.md, capacity.)
    """
    with db.engine.connect() as connection:
        dbapi: Any = connection.connection.driver_connection
        switch = db.engine.dialect.name == "postgresql"
        if switch:
            dbapi.autocommit = True
        try:
            yield connection
        finally:
            if switch and not dbapi.closed:
                try:
                    dbapi.autocommit = False
                except Exception:
                    connection.invalidate()  # never back in the pool in autocommit
                    raise


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on, WAL for concurrent readers, and no acknowledged write lost.

    synchronous=NORMAL in WAL mode may lose the last commits on power loss,
    and then their seqs would be handed out again: an acknowledged message
    gone. FULL syncs the WAL at every commit (cost: docs/benchmarks.md).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return "database is locked" in str(error) or "database is busy" in str(error)


def _wait_while_busy(attempt, deadline: float):
    """Run `attempt` until SQLite is not busy or `deadline` passes (then re-raise).

    time.sleep is the green hub's sleep once the process is monkey patched,
    so a writer elsewhere (the admin CLI, a backup) holding the lock delays
    this request only; the rest of the server keeps serving.
    """
    pause, waiting = 0.002, False
    try:
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() + pause > deadline:
                    raise
                if not waiting:
                    waiting = True
                    metrics.SQLITE_LOCK_WAITS.inc()
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
    finally:
        if waiting:
            metrics.SQLITE_LOCK_WAITS.dec()


def waiting_connection(busy_timeout: float) -> type[sqlite3.Connection]:
    """A sqlite3 connection class whose statements and commits wait for a busy lock."""

    class WaitingCursor(sqlite3.Cursor):
        def execute(self, sql, parameters=()):
            run = super().execute
            return _wait_while_busy(lambda: run(sql, parameters), time.monotonic() + busy_timeout)

        def executemany(self, sql, parameters):
            rows = list(parameters)  # an iterator could not be replayed
            run = super().executemany
            return _wait_while_busy(lambda: run(sql, rows), time.monotonic() + busy_timeout)

    class WaitingConnection(sqlite3.Connection):
        def cursor(self, factory=WaitingCursor):
            return super().cursor(factory)

        def execute(self, sql, parameters=()):
            return self.cursor().execute(sql, parameters)

        def commit(self):
            run = super().commit
            return _wait_while_busy(run, time.monotonic() + busy_timeout)

    return WaitingConnection


def render_item(type_: str, obj, autogen_context):
    """Let Alembic write app-defined column types as plain SQLAlchemy ones.

    Migrations then never import application code, which may change later.
    """
    from chatapp.models.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
