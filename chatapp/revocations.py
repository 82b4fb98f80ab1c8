"""Ended logins, applied at once by every server process.

A logout, a password change, a disable or a deletion commits in one process
(or in the admin CLI, always another process). That process ends its own
sockets on the login at once; the others hear it on a Redis channel (when
REDIS_URL is set) and do the same. Without Redis there is one server process,
and a revocation made by the admin CLI reaches it within LOGIN_RECHECK_SECONDS
for a socket that sends and PRESENCE_REFRESH for one that only listens.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import redis
from flask import Flask

from chatapp.extensions import current_app_object, socketio
from chatapp.presence import local_sessions

log = logging.getLogger(__name__)


def _channel(app: Flask) -> str:
    return app.config["REDIS_KEY_PREFIX"] + "revocations"


def _client(app: Flask) -> redis.Redis | None:
    """One Redis client per app (a connection pool), or None without Redis."""
    if not app.config.get("REDIS_URL"):
        return None
    client = app.extensions.get("chatapp.revocations")
    if client is None:
        client = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2
        )
        app.extensions["chatapp.revocations"] = client
    return client


def announce(*, auth_session_id: str | None = None, user_id: int | None = None) -> None:
    """Logins were revoked (committed): end their sockets here now, and everywhere."""
    apply(auth_session_id=auth_session_id, user_id=user_id)
    app = current_app_object()
    client = _client(app)
    if client is None:
        return
    body = json.dumps({"auth_session_id": auth_session_id, "user_id": user_id})
    try:
        client.publish(_channel(app), body)
    except redis.RedisError as error:
        # Other processes still notice at their next login re-check.
        log.warning("could not announce a revocation through Redis: %s", error)


def apply(*, auth_session_id: str | None = None, user_id: int | None = None) -> int:
    """End this process's sockets on the matching logins that are no longer live."""
    sessions = local_sessions()
    sessions.recheck_logins(auth_session_id=auth_session_id, user_id=user_id)
    return end_dead_logins(sessions.logins(auth_session_id=auth_session_id, user_id=user_id))


def end_dead_logins(logins: dict[str, str]) -> int:
    """Of `logins` (socket id -> login id), tell and cut the sockets whose login ended."""
    from chatapp.services.accounts import live_logins
    from chatapp.sockets.session import end_login

    if not logins:
        return 0
    # "Revoked" covers re-enabling an account too: only dead logins end.
    live = live_logins(set(logins.values()))
    ended = 0
    for sid, login in logins.items():
        if login not in live:
            log.info("disconnecting a socket whose login ended", extra={"sid": sid})
            end_login(sid)
            ended += 1
    return ended


def listen(app: Flask, running: Callable[[], bool]) -> None:
    """Background task: apply revocations announced by other processes."""
    client = _client(app)
    if client is None:
        return
    while running():
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(_channel(app))
            while running():
                message = pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                data = json.loads(message["data"])
                with app.app_context():
                    apply(auth_session_id=data.get("auth_session_id"), user_id=data.get("user_id"))
        except redis.RedisError as error:
            log.warning("revocation channel lost (%s); resubscribing", error.__class__.__name__)
            socketio.sleep(1)
        except Exception:
            log.exception("applying an announced revocation failed")
            socketio.sleep(1)
        finally:
            pubsub.close()
