"""Trace ids: one per HTTP request or socket event, carried into logs, acks and events.

Taken from the client's X-Request-ID when it is sane, else generated, so a
request can be followed from the client through the logs into NATS.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, g, has_app_context, request

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:\-]{8,128}")


def new_trace_id() -> str:
    return uuid.uuid4().hex


def accept_trace_id(candidate: str | None) -> str:
    """`candidate` if it is a sane id (no spaces, no control bytes, bounded), else a new one."""
    return candidate if candidate and _SANE.fullmatch(candidate) else new_trace_id()


def current_trace_id() -> str:
    """The trace id of the request or event being handled (or a fresh one outside)."""
    if has_app_context():
        if "trace_id" not in g:
            g.trace_id = new_trace_id()
        return g.trace_id
    return new_trace_id()


def start_trace(candidate: str | None = None) -> str:
    g.trace_id = accept_trace_id(candidate)
    return g.trace_id


def init_app(app: Flask) -> None:
    @app.before_request
    def trace_request() -> None:
        start_trace(request.headers.get(HEADER))

    @app.after_request
    def return_trace_id(response):
        response.headers[HEADER] = current_trace_id()
        return response
