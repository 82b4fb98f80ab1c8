"""One relay leader at a time, so entries are published once and in order.

On PostgreSQL the leader holds a session advisory lock on a connection of its
own; if its process dies, the connection closes and PostgreSQL releases the
lock, and another process's relay takes over. SQLite is one process: its
relay always leads.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Connection, text

from chatapp.extensions import db

log = logging.getLogger(__name__)

# Any constant shared by every chatapp process: "chatapp outbox relay".
LOCK_KEY = 0x63686174_72656C61 & 0x7FFF_FFFF_FFFF_FFFF
CHECK_EVERY = 2.0  # seconds between checks that the leader's connection lives


class Leadership:
    def __init__(self) -> None:
        self._connection: Connection | None = None
        self._checked = 0.0

    def acquire(self) -> bool:
        """True while this process leads; call it every loop (inside an app context)."""
        if db.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            if time.monotonic() - self._checked < CHECK_EVERY:
                return True
            try:
                self._connection.execute(text("SELECT 1"))
                self._checked = time.monotonic()
                return True
            except Exception:  # noqa: BLE001 (any failure means the lock may be gone)
                log.warning("relay leader lost its database connection")
                self.release()
                return False
        connection = db.engine.connect()
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
            if got.scalar():
                connection.commit()
                self._connection, self._checked = connection, time.monotonic()
                log.info("this process now relays the outbox to NATS")
                return True
            connection.rollback()
        except Exception:
            connection.close()
            raise
        connection.close()
        return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()  # closing the session releases the lock
            except Exception:  # noqa: BLE001 (already broken: nothing to keep)
                log.debug("closing the leader connection failed", exc_info=True)
            self._connection = None
