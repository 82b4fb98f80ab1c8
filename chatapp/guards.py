"""Guards in front of every request: the Host it names, the Origin it comes from.

- Host: a page on an attacker's domain can re-point that name at 127.0.0.1
  (DNS rebinding) and then talk to a local server as "same origin". Requests
  must name this server: an IP literal (rebinding needs a name), localhost,
  PUBLIC_URL's host or one of SERVER_NAMES. Checked in WSGI middleware, so it
  covers Socket.IO (which never reaches Flask's hooks) too.
- Origin: a state-changing request (POST, PUT, PATCH, DELETE) sent by a
  browser from a foreign page is refused, body or not; SameSite=Lax alone
  leaves older browsers and sibling subdomains exposed. Requests without an
  Origin (scripts, the terminal client) are not browsers' and pass.
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

from flask import Flask, current_app, request

from chatapp.errors import ChatError, Forbidden, wsgi_error
from chatapp.middleware import direct

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class UnknownHost(ChatError):
    status = 421
    code = "unknown_host"
    message = "This server does not answer to that host name."


def _hostname(host_header: str) -> str:
    """The name in a Host header, without port or IPv6 brackets, lowercased."""
    return (urlsplit("//" + host_header).hostname or "").lower()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_hosts(config) -> set[str]:
    names = {"localhost", *(name.lower() for name in config["SERVER_NAMES"])}
    if config.get("PUBLIC_URL"):
        names.add(_hostname(urlsplit(config["PUBLIC_URL"]).netloc))
    return names


def host_allowed(host_header: str, names: set[str]) -> bool:
    name = _hostname(host_header)
    return bool(name) and (_is_ip(name) or name in names or name.endswith(".localhost"))


def host_check(wsgi_app, names: set[str]):
    """WSGI middleware answering 421 `unknown_host` for a Host this server is not.

    A function rather than an object with __call__, as sockets.gate's.
    """
    wsgi_app = direct(wsgi_app)

    # Every request and websocket names one of a few hosts; parsing the name
    # (urlsplit, then ipaddress) was 2 % of a connect's CPU. Bounded (256
    # headers of at most 8 KiB): invented names can push the real ones out,
    # which costs them a parse again, nothing more.
    @functools.lru_cache(maxsize=256)
    def allowed(host: str) -> bool:
        return host_allowed(host, names)

    def checked(environ, start_response):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if allowed(host):
            return wsgi_app(environ, start_response)
        error = UnknownHost(
            "This server does not answer to that host name; add it to SERVER_NAMES."
        )
        return wsgi_error(error, start_response)

    return checked


def origin_allowed(origin: str) -> bool:
    """Same origin as the request, PUBLIC_URL's, or one of CORS_ORIGINS."""
    own = f"{request.scheme}://{request.host}"
    public = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return origin in (own, public) or origin in current_app.config["CORS_ORIGINS"]


def check_origin() -> None:
    """Refuse a browser's state-changing request from a foreign page (403 `forbidden`)."""
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is not None and not origin_allowed(origin):
        raise Forbidden("Requests from other sites are not accepted (Origin check).")


def init_app(app: Flask) -> None:
    """Call after the Socket.IO middleware is installed, so the Host check wraps it."""
    app.before_request(check_origin)
    # Flask's documented way to add WSGI middleware; mypy sees a method.
    app.wsgi_app = host_check(app.wsgi_app, allowed_hosts(app.config))  # type: ignore[method-assign]
