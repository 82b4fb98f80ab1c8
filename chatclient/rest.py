"""HTTP to the server: one request helper that turns "no answer" into a readable reason."""

from __future__ import annotations

import socket
import ssl

import requests


class Unreachable(Exception):
    """No answer from the server at all; the message says why, for the user."""


def why_unreachable(failure: BaseException) -> str:
    """A few words for a failed request, instead of urllib3's repr of its pool."""
    seen = set()
    error: BaseException | None = failure
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, socket.gaierror):
            return "unknown host"
        if isinstance(error, (ssl.SSLError, requests.exceptions.SSLError)):
            return "TLS handshake failed"
        if isinstance(error, (TimeoutError, socket.timeout, requests.Timeout)):
            return "no answer in time"
        if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            return "not a valid URL"
        # requests and urllib3 wrap the OS error: in args, as cause or context.
        inner = [a for a in getattr(error, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(error, "reason", None)
        if isinstance(reason, BaseException):
            inner.append(reason)
        error = next(iter(inner), None) or (error.__cause__ or error.__context__)
    return "connection failed"


def request(method: str, url: str, server: str, **options) -> requests.Response:
    """An HTTP request to `server`; Unreachable with a readable reason if there is no answer."""
    try:
        return requests.request(method, url, timeout=15, **options)
    except requests.RequestException as error:
        raise Unreachable(
            f"Cannot reach the server at {server}: {why_unreachable(error)}"
        ) from None


def public_rooms(server: str, token: str, limit: int) -> list[dict] | None:
    """The first `limit` rooms of GET /api/rooms (public ones and the user's); None if refused."""
    headers = {"Authorization": f"Bearer {token}"}
    response = request(
        "GET", f"{server}/api/rooms", server, headers=headers, params={"limit": limit}
    )
    if response.status_code != 200:
        return None
    return response.json().get("rooms", [])
