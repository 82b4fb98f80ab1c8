"""Liveness (/healthz) and readiness (/readyz) of this process and its dependencies.

/readyz is public: it answers with a status per dependency and a generic
reason ("unavailable", "timeout"), never a backend's own error text, which
can name hosts, users or versions. The details go to the log, at most once
per half minute per check, so a probe every second cannot flood it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Blueprint, current_app, jsonify, request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import text

from chatapp.auth.budgets import address_key
from chatapp.errors import RateLimited
from chatapp.extensions import current_app_object, db, limiter, socketio
from chatapp.log_throttle import LogThrottle
from chatapp.outbox import current_link, current_watch

if TYPE_CHECKING:  # for the annotation; _redis_client imports it on first use
    import redis

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

#: Seconds a readiness check may take before it counts as down.
CHECK_TIMEOUT = 2.0


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Answers 200 while the process can serve requests; touches no dependency."""
    return jsonify({"status": "ok"})


def _check_database() -> None:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def _redis_client() -> redis.Redis:
    """One client (and connection pool) per app, made on first use.

    A connection per probe would cost a TCP handshake (and an AUTH) every
    time, and leave TIME_WAIT sockets behind on a busy load balancer.
    """
    client = current_app.extensions.get("chatapp.readyz_redis")
    if client is None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_timeout=CHECK_TIMEOUT,
            socket_connect_timeout=1,
            # One quick retry: a pooled connection that a Redis restart broke
            # is replaced instead of reported as down.
            retry=Retry(NoBackoff(), 1),
        )
        client = current_app.extensions.setdefault("chatapp.readyz_redis", client)
    return client


def _check_redis() -> None:
    _redis_client().ping()


def _check_nats() -> None:
    link = current_link()
    if link is None or not link.connected:
        raise ConnectionError(link.last_error if link and link.last_error else "not connected")


def _check_relay() -> dict:
    watch = current_watch()
    if watch is None:  # not reached: the check runs only when NATS_URL is set
        raise ConnectionError("NATS is not configured")
    state = watch.observe()
    return {
        "status": state.status,
        "backlog": state.backlog,
        "oldest_age_s": state.oldest_age_s,
        "stuck_after_s": current_app.config["NATS_RELAY_STUCK_AFTER"],
    }


def _warn(name: str, msg: str, *args: object) -> None:
    """Log a check's failure, at most twice a minute per check and app.

    One throttle per check: a failing Redis must not hide a failing database.
    """
    throttles = current_app.extensions.setdefault("chatapp.readyz_warnings", {})
    throttle = throttles.setdefault(name, LogThrottle(log, every=30.0))
    throttle.log(logging.WARNING, msg, *args)


def _timed(name: str, check: Callable[[], dict | None]) -> dict:
    """Run `check` in its own task with a deadline: a hung dependency cannot hang us."""
    app = current_app_object()
    result: dict = {}
    done = socketio.server.eio.create_event()
    started = time.monotonic()

    def run():
        with app.app_context():
            try:
                result.update({"status": "up", **(check() or {})})
            except Exception as error:  # noqa: BLE001 (reported as the dependency's state)
                _warn(name, "readiness check %s failed: %s: %s", name, type(error).__name__, error)
                result.update(status="down", error="unavailable")
            finally:
                done.set()

    socketio.start_background_task(run)
    done.wait(CHECK_TIMEOUT)
    if "status" not in result:
        _warn(name, "readiness check %s gave no answer within %.0fs", name, CHECK_TIMEOUT)
        result.update(status="down", error="timeout")
    result["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _spend_readyz_budget() -> None:
    """RATELIMIT_READYZ per client address, in this process's memory; 429 past it.

    Readiness must answer when Redis hangs, so its budget is never kept in the
    limiter's shared storage (Redis when configured): each process counts its own.
    """
    if not limiter.enabled:
        return
    budget = current_app.extensions.get("chatapp.readyz_budget")
    if budget is None:  # made once: MemoryStorage starts a timer thread
        budget = MovingWindowRateLimiter(MemoryStorage())
        current_app.extensions["chatapp.readyz_budget"] = budget
    item = parse(current_app.config["RATELIMIT_READYZ"])
    address = address_key(request.remote_addr)
    if not budget.hit(item, "readyz", address):
        reset = budget.get_window_stats(item, "readyz", address).reset_time
        raise RateLimited(retry_after=math.ceil(max(1.0, reset - time.time())))


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Each dependency's status and latency; 503 when a required one is down.

    The database and (when configured) Redis are required. NATS and the relay
    are reported but not required: chat goes on without them and the outbox
    catches up, so a stuck relay is an alert, not a reason to take this
    process out of the load balancer.
    """
    _spend_readyz_budget()
    # name -> (check, required); a check may add details to its entry.
    checks: dict[str, tuple[Callable[[], dict | None], bool]] = {
        "database": (_check_database, True)
    }
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = (_check_redis, True)
    if current_app.config.get("NATS_URL"):
        checks["nats"] = (_check_nats, False)
        checks["relay"] = (_check_relay, False)
    results = {}
    ready = True
    for name, (check, required) in checks.items():
        results[name] = {**_timed(name, check), "required": required}
        ready = ready and (results[name]["status"] == "up" or not required)
    body = {"status": "ready" if ready else "unavailable", "checks": results}
    return jsonify(body), 200 if ready else 503
