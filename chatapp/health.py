"""Liveness (/healthz) and readiness (/readyz) of this process and its dependencies."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from chatapp.extensions import db, limiter, socketio

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


def _check_redis() -> None:
    import redis

    client = redis.Redis.from_url(
        current_app.config["REDIS_URL"], socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=1
    )
    try:
        client.ping()
    finally:
        client.close()


def _check_nats() -> None:
    link = current_app.extensions.get("chatapp.nats")
    if link is None or not link.connected:
        raise ConnectionError(link.last_error if link and link.last_error else "not connected")


def _check_relay() -> dict:
    state = current_app.extensions["chatapp.relay_watch"].observe()
    return {
        "status": state.status,
        "backlog": state.backlog,
        "oldest_age_s": state.oldest_age_s,
        "stuck_after_s": current_app.config["NATS_RELAY_STUCK_AFTER"],
    }


def _timed(check: Callable[[], dict | None]) -> dict:
    """Run `check` in its own task with a deadline: a hung dependency cannot hang us."""
    app = current_app._get_current_object()
    result: dict = {}
    started = time.monotonic()

    def run():
        with app.app_context():
            try:
                result.update({"status": "up", **(check() or {})})
            except Exception as error:  # noqa: BLE001 (reported as the dependency's state)
                result["status"] = "down"
                result["error"] = f"{error.__class__.__name__}: {error}"[:200]

    socketio.start_background_task(run)
    while "status" not in result and time.monotonic() - started < CHECK_TIMEOUT:
        socketio.sleep(0.005)
    if "status" not in result:
        result.update(status="down", error=f"no answer within {CHECK_TIMEOUT:.0f}s")
    result["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Each dependency's status and latency; 503 when a required one is down.

    The database and (when configured) Redis are required. NATS and the
    relay are reported but not required: chat goes on without them and
    the outbox catches up, so a stuck relay is an alert, not a reason to take
    this process out of the load balancer.
    """
    checks = {"database": (_check_database, True)}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = (_check_redis, True)
    if current_app.config.get("NATS_URL"):
        checks["nats"] = (_check_nats, False)
        checks["relay"] = (_check_relay, False)
    results = {}
    ready = True
    for name, (check, required) in checks.items():
        results[name] = {**_timed(check), "required": required}
        ready = ready and (results[name]["status"] == "up" or not required)
    body = {"status": "ready" if ready else "unavailable", "checks": results}
    return jsonify(body), 200 if ready else 503
