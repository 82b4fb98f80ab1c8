"""One small exception hierarchy, mapped once to HTTP JSON and once to socket acks.

Every error a client sees has the shape {"code": ..., "message": ...}; over
HTTP it is wrapped as {"error": {...}}, in a socket ack as {"ok": false, "error": {...}}.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, g, jsonify
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ChatError(Exception):
    """Base of every error meant for a client."""

    status = 400
    code = "bad_request"
    message = "The request is not valid."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


class BadRequest(ChatError):
    """The input cannot be read at all: not JSON, not an object, bad encoding."""


class ValidationFailed(ChatError):
    """The input was read but a field is missing, of the wrong type or out of range."""

    status = 422


class TooLong(ValidationFailed):
    code = "too_long"
    message = "The text is too long."


class UnknownCommand(ChatError):
    code = "unknown_command"
    message = "Unknown command."


class Unauthorized(ChatError):
    status = 401
    code = "unauthorized"
    message = "Authentication required."


class InvalidCredentials(Unauthorized):
    # One answer whether the user exists or not, so logins reveal no usernames.
    message = "Invalid username or password."


class Forbidden(ChatError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do that."


class NotInRoom(Forbidden):
    code = "not_in_room"
    message = "Join the room first."


class NotFound(ChatError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(ChatError):
    status = 409
    code = "conflict"
    message = "That conflicts with existing data."


class RateLimited(ChatError):
    status = 429
    code = "rate_limited"
    message = "Too many requests; slow down."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, retry_after=max(1, int(retry_after)))
        self.retry_after = max(1, int(retry_after))


class InternalError(ChatError):
    """A bug on our side: logged with its traceback, never described to the client."""

    status = 500
    code = "internal_error"
    message = "Something went wrong on our side."


class Unavailable(ChatError):
    status = 503
    code = "unavailable"
    message = "The service is temporarily unavailable; try again."


class Busy(Unavailable):
    """Too much CPU-heavy work queued (password hashing); nothing was done."""

    code = "busy"
    message = "The server is busy; try again shortly."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, retry_after=max(1, int(retry_after)))
        self.retry_after = max(1, int(retry_after))


def pool_busy() -> Busy:
    """Every database connection stayed taken for the pool's timeout: load, not a bug.

    Answered `busy` (and counted), never `internal_error` with a traceback.
    """
    from chatapp import metrics

    metrics.SENDS_REFUSED.labels(reason="pool_timeout").inc()
    log.warning("database pool exhausted; answered busy")
    return Busy(1)


#: Codes for the HTTP errors that Werkzeug, Flask-Limiter and Flask-Login raise.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def wsgi_error(error: ChatError, start_response) -> list[bytes]:
    """The JSON error answer from WSGI middleware, before Flask is involved."""
    from http import HTTPStatus

    body = json.dumps({"error": error.to_dict()}).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    start_response(f"{error.status} {HTTPStatus(error.status).phrase}", headers)
    return [body]


def error_response(status: int, body: dict[str, Any]):
    response = jsonify({"error": body})
    response.status_code = status
    return response


def keep_retry_after(app: Flask) -> None:
    """Retry-After says what the error said, and only on refusals.

    Flask-Limiter stamps every response of a limited route with a Retry-After
    of its window (60 on a successful page, 60 on a `busy` that said 1).
    Registered before the limiter, this hook runs after its own.
    """

    @app.after_request
    def retry_after(response):
        said = g.pop("retry_after", None)
        if said is not None:
            response.headers["Retry-After"] = str(said)
        elif response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response


def register_error_handlers(app: Flask) -> None:
    """Make every error response JSON of one shape; never HTML, never a traceback."""

    @app.errorhandler(ChatError)
    def chat_error(error: ChatError):
        response = error_response(error.status, error.to_dict())
        if isinstance(error, RateLimited | Busy):
            response.headers["Retry-After"] = g.retry_after = str(error.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        code = HTTP_CODES.get(status, f"http_{status}")
        message = error.description or error.name
        if status == 429:
            message = "Too many requests; slow down."
        response = error_response(status, {"code": code, "message": message})
        # Keep headers such as Allow (405) and Retry-After (429).
        original = error.get_response()
        for header in ("Allow", "Retry-After"):
            if header in original.headers:
                response.headers[header] = original.headers[header]
        return response

    @app.errorhandler(PoolTimeout)
    def pool_timeout(error: PoolTimeout):
        from chatapp.extensions import db

        db.session.rollback()
        busy = pool_busy()
        response = error_response(busy.status, busy.to_dict())
        response.headers["Retry-After"] = g.retry_after = str(busy.retry_after)
        return response

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        from chatapp.extensions import db

        db.session.rollback()
        log.error("database error: %s", error.__class__.__name__, exc_info=error)
        return error_response(503, Unavailable().to_dict())

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unhandled error")
        body = InternalError().to_dict()
        return error_response(500, body)
