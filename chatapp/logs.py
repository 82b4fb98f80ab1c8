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

from chatapp.server import green

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


class TextFormatter(logging.Formatter):
    """Readable lines for a person at a terminal: `12:00:01 INFO  logger: msg (k=v ...)`."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = " ".join(
            f"{key}={value}"
            for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_") and key.lower() not in _SECRET_KEYS
        )
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if fields:
            line += f" ({fields})"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def terminal_format(stream) -> str:
    """text when `stream` is a terminal (a person reads it), else json (a collector does)."""
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def _trace_id() -> str | None:
    from flask import g, has_app_context

    if has_app_context():
        return g.get("trace_id")
    return None


def configure_logging(app: Flask, default_format: str = "json") -> None:
    """Lines to stdout (LOG_FORMAT, else `default_format`), JSON to LOG_DIR/chatapp.log.

    `serve` passes text when a person watches its terminal; gunicorn and
    Compose keep JSON, which log collectors parse.
    """
    text = (app.config.get("LOG_FORMAT") or default_format) == "text"
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(TextFormatter() if text else JsonFormatter())
    handlers: list[logging.Handler] = [console]
    log_dir = app.config.get("LOG_DIR")
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            os.path.join(log_dir, "chatapp.log"),
            maxBytes=app.config["LOG_MAX_BYTES"],
            backupCount=app.config["LOG_BACKUP_COUNT"],
        )
        rotating.setFormatter(JsonFormatter())  # files are for Loki & co: always JSON
        handlers.append(rotating)
    # A record names its thread by calling threading.current_thread(); in a
    # monkey-patched process (server.green), from the NATS link's OS thread,
    # that enumerates threads under threading's own lock, which patching made
    # green: contended by a green thread logging at the same moment, the hub
    # waits forever (the green library's issue 647;
    # tests/scripts/logging_across_threads hung 1 run in ~30). No format of
    # ours shows a thread, and there every green thread is "MainThread" or
    # "GreenThread-N" anyway.
    logging.logThreads = False
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.lock = green.os_lock()  # the NATS link logs from an OS thread
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    # Library chatter stays at WARNING unless asked for, and every library
    # logger goes through the root's handlers only: python-engineio and
    # python-socketio add a plain StreamHandler of their own, which wrote
    # each of their lines a second time, unformatted.
    for noisy in ("engineio", "socketio", "nats", "alembic", "werkzeug", *green.LOGGERS):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        library = logging.getLogger(name)
        if name.split(".")[0] in ("engineio", "socketio", "nats", "alembic", "werkzeug"):
            for handler in list(library.handlers):
                library.removeHandler(handler)
            library.propagate = True


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
