"""Errors as protocol acks: the one mapping of exceptions to `{"ok": false, "error"}`."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from chatapp.errors import ChatError, InternalError, Unavailable, pool_busy
from chatapp.extensions import db

log = logging.getLogger(__name__)

INTERNAL = InternalError().to_dict()


def error_ack(error: Exception, event: str) -> dict[str, Any]:
    """The ack for an event that failed with `error`; bugs are logged, never sent."""
    if isinstance(error, ChatError):
        return {"ok": False, "error": error.to_dict()}
    if isinstance(error, PoolTimeout):
        db.session.rollback()
        return {"ok": False, "error": pool_busy().to_dict()}
    if isinstance(error, DBAPIError):
        db.session.rollback()
        log.exception("database error in socket event %s", event)
        return {"ok": False, "error": Unavailable().to_dict()}
    log.exception("unhandled error in socket event %s", event)
    return {"ok": False, "error": INTERNAL}
