"""One wrapper turning socket handlers' results and errors into protocol acks."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import request, session
from sqlalchemy.exc import DBAPIError

from chatapp.errors import ChatError, RateLimited, Unauthorized, Unavailable
from chatapp.extensions import db, socketio
from chatapp.models import User
from chatapp.services import limits
from chatapp.services.accounts import load_session_user
from chatapp.tracing import start_trace

log = logging.getLogger(__name__)

INTERNAL = {"code": "internal_error", "message": "Something went wrong on our side."}


def session_user() -> User:
    """The user of this socket, re-checked per event so logout and disable bite."""
    auth_session_id = session.get("auth_session_id")
    user = load_session_user(auth_session_id) if auth_session_id else None
    if user is None:
        raise Unauthorized("Your login session has ended; log in again.")
    return user


def acked(handler: Callable[[User, Any], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Call `handler(user, payload)`; ack {"ok": true, ...} or {"ok": false, "error"}."""

    @functools.wraps(handler)
    def wrapper(*args: Any) -> dict[str, Any]:
        sid = request.sid
        start_trace()
        try:
            if len(args) > 1:
                raise ChatError("Send one payload object.")
            user = session_user()
            return {"ok": True, **handler(user, args[0] if args else None)}
        except Unauthorized as error:
            socketio.server.disconnect(sid, namespace="/")
            return {"ok": False, "error": error.to_dict()}
        except RateLimited as error:
            if limits.flooding(f"sid:{sid}"):
                log.warning("disconnecting a flooding socket", extra={"sid": sid})
                socketio.server.disconnect(sid, namespace="/")
            return {"ok": False, "error": error.to_dict()}
        except ChatError as error:
            return {"ok": False, "error": error.to_dict()}
        except DBAPIError:
            db.session.rollback()
            log.exception("database error in socket event %s", handler.__name__)
            return {"ok": False, "error": Unavailable().to_dict()}
        except Exception:
            log.exception("unhandled error in socket event %s", handler.__name__)
            return {"ok": False, "error": INTERNAL}

    return wrapper
