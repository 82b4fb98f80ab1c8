"""Structured logs: one JSON object per line, one schema, with the trace id.

Configured by `serve` and the gunicorn worker (never at import): stdout always,
and a size-rotated file in LOG_DIR when it is set.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
from datetime import UTC, datetime

from flask import Flask

# Attributes every LogRecord has; anything else was passed with `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Never write these, whatever a caller passes in `extra`.
_SECRET_KEYS = {"password", "token", "secret", "authorization", "cookie"}


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "msg", "trace_id"?, ...extra fields, "exc"?}."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        trace_id = _trace_id()
        if trace_id:
            entry["trace_id"] = trace_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = "[redacted]" if key.lower() in _SECRET_KEYS else value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _trace_id() -> str | None:
    from flask import g, has_app_context

    if has_app_context():
        return g.get("trace_id")
    return None


def _os_lock():
    """A real OS lock for a log handler, even after eventlet's monkey patching.

    The NATS link (and nats-py) log from a real OS thread. A handler created
    after monkey patching gets a green lock, and contending for it across OS
    threads makes eventlet switch greenlets between threads: the hub dies with
    "greenlet.error: Cannot switch to a different thread". A real lock is safe
    here because emitting a record never yields to the hub while holding it
    (plain file writes are not green).
    """
    import threading

    eventlet = sys.modules.get("eventlet")
    if eventlet is not None and eventlet.patcher.is_monkey_patched("thread"):
        return eventlet.patcher.original("threading").RLock()
    return threading.RLock()


def configure_logging(app: Flask) -> None:
    """JSON lines to stdout, and to a rotating file in LOG_DIR when set."""
    formatter = JsonFormatter()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    log_dir = app.config.get("LOG_DIR")
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                os.path.join(log_dir, "chatapp.log"),
                maxBytes=app.config["LOG_MAX_BYTES"],
                backupCount=app.config["LOG_BACKUP_COUNT"],
            )
        )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.lock = _os_lock()
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    # Library chatter stays at WARNING unless asked for.
    for noisy in ("engineio", "socketio", "nats", "alembic", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    """One JSON line per HTTP request (health checks and scrapes at DEBUG)."""
    import time

    from flask import g, request
    from flask_login import current_user

    request_log = logging.getLogger("chatapp.requests")

    @app.after_request
    def log_request(response):
        quiet = request.path in ("/healthz", "/readyz", "/metrics")
        user = current_user.username if current_user and current_user.is_authenticated else None
        request_log.log(
            logging.DEBUG if quiet else logging.INFO,
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.get("started", 0)) * 1000, 2),
                "user": user,
            },
        )
        return response
