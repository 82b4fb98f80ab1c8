"""Turn environment variables into Flask configuration.

Nothing here runs at import time: `create_app` calls `from_env()` so that an
import never reads the environment and tests can build apps with any config.
Every setting is listed in the README's settings table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

#: Secret keys that are obviously placeholders and refused in production.
WEAK_SECRET_KEYS = {"", "dev", "changeme", "change-me", "secret", "development"}

DEFAULTS: dict[str, Any] = {
    "CHATAPP_ENV": "development",
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,  # None: SQLite file under the instance folder
    "REDIS_URL": None,
    "NATS_URL": None,
    "TOKEN_MAX_AGE": 7 * 24 * 3600,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 0,
    # Argon2id at OWASP's first choice (m=19 MiB, t=2, p=1); see chatapp.auth.passwords.
    "PASSWORD_ARGON2_TIME_COST": 2,
    "PASSWORD_ARGON2_MEMORY_KIB": 19456,
    "PASSWORD_ARGON2_PARALLELISM": 1,
    # Hashes at once per process (None: one fewer than the CPUs, at least 1);
    # a login is refused (503 busy) only when its expected wait for a slot
    # passes PASSWORD_HASH_MAX_WAIT seconds, or PASSWORD_HASH_QUEUE already
    # wait (a backstop); see chatapp.auth.gate.
    "PASSWORD_HASH_WORKERS": None,
    "PASSWORD_HASH_MAX_WAIT": 10.0,
    "PASSWORD_HASH_QUEUE": 1000,
    # "open": anyone may register over the API; "closed": admins create
    # accounts with `cli.py users create`.
    "REGISTRATION": "open",
    # 64 KiB is far above the largest legal request (a 4,000-character message
    # is at most 16 KB of UTF-8 JSON) and small enough to refuse junk early.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_MESSAGE_LENGTH": 4000,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STRATEGY": "moving-window",
    # REST limits keep working (per process) while Redis is down.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    # Failed logins per (username, client address), and per client address
    # over every username; see chatapp.auth.budgets.
    "RATELIMIT_LOGIN_FAILURES": "5 per 15 minutes",
    "RATELIMIT_LOGIN_ADDRESS": "50 per 15 minutes",
    # Successful registrations per client address.
    "RATELIMIT_REGISTER": "10 per hour",
    "RATELIMIT_ANONYMOUS": "60 per minute",
    "RATELIMIT_USER": "600 per minute",
    "RATELIMIT_MESSAGES": "10 per 10 seconds",
    "RATELIMIT_JOINS": "30 per minute",
    # Refused events a socket may pile up before it is disconnected.
    "RATELIMIT_FLOOD": "30 per 10 seconds",
    "MAX_SESSIONS_PER_USER": 20,
    # Sockets re-read their login session from the database at most this often
    # (seconds); a logout or disable on the same process bites at once.
    "LOGIN_RECHECK_SECONDS": 2.0,
    "MAX_ROOMS_PER_USER": 100,
    "REDIS_KEY_PREFIX": "chat:",
    "PRESENCE_TTL": 45,
    "PRESENCE_REFRESH": 15,
    "CORS_ORIGINS": [],
    # Host names this server answers to (the Host header); empty: the bind
    # address, localhost and PUBLIC_URL's host. A DNS-rebinding page reaches
    # a local server under its own name, which this refuses.
    "SERVER_NAMES": [],
    # The URL users reach the server at (behind TLS: https://...); https
    # makes the session cookie Secure.
    "PUBLIC_URL": None,
    "PROXY_FIX_X_FOR": 0,
    # Before logging in: seconds an Engine.IO session may take to
    # authenticate, such sessions one address may hold, and its handshakes.
    "CONNECT_TIMEOUT": 10.0,
    "MAX_PENDING_PER_ADDRESS": 20,
    "RATELIMIT_HANDSHAKES": "120 per minute",
    # Socket reads that are not messages: history pages cost their size
    # (a page of 100 costs 100), joins of an already joined room cost 1.
    "RATELIMIT_HISTORY": "6000 per minute",
    # `serve`: seconds for a request's line and headers, and for any one
    # read or write on a connection (above Socket.IO's 25 s ping + 20 s).
    "HEADER_TIMEOUT": 10.0,
    "IDLE_TIMEOUT": 60.0,
    # SQLite: seconds a statement waits for another writer before the
    # request is answered `unavailable` (never a frozen server).
    "SQLITE_BUSY_TIMEOUT": 2.0,
    "LOG_FORMAT": None,  # json | text; None: text on a terminal under `serve`, else json
    "LOG_LEVEL": "INFO",
    "LOG_DIR": None,
    "LOG_MAX_BYTES": 10 * 1024 * 1024,
    "LOG_BACKUP_COUNT": 5,
    "SOCKETIO_ASYNC_MODE": None,  # None: the green hub's once patched, see server.green
    "SOCKETIO_MESSAGE_QUEUE": None,  # None: follows REDIS_URL
    "SOCKETIO_MAX_HTTP_BUFFER_SIZE": 64 * 1024,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "NATS_USER": None,
    "NATS_PASSWORD": None,
    "NATS_TOKEN": None,
    "NATS_CREDS": None,
    "NATS_TLS_CA": None,
    "NATS_TLS_CERT": None,
    "NATS_TLS_KEY": None,
    "NATS_JETSTREAM": True,
    "NATS_STREAM": "CHAT",
    "NATS_STREAM_MAX_AGE": 7 * 24 * 3600,
    "NATS_STREAM_MAX_BYTES": -1,
    # JetStream drops a repeated Nats-Msg-Id seen within this window; it must
    # outlast any retry of one entry (a relay failover takes seconds).
    "NATS_DUPLICATE_WINDOW": 600,
    "NATS_PUBLISH_RATE": 1000,
    "NATS_BATCH": 100,
    "NATS_RELAY_INTERVAL": 0.2,
    "NATS_RECONNECT_WAIT": 2.0,
    # The relay counts as stuck once the same oldest outbox row has waited
    # this long (seconds); /readyz and /metrics report it.
    "NATS_RELAY_STUCK_AFTER": 60.0,
    # /readyz is public and runs real checks: a budget per client address.
    "RATELIMIT_READYZ": "60 per minute",
}

_INT = int
_STR = str


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


#: environment variable -> (config key, parser)
ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "CHATAPP_ENV": ("CHATAPP_ENV", _STR),
    "SECRET_KEY": ("SECRET_KEY", _STR),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", _STR),
    "REDIS_URL": ("REDIS_URL", _STR),
    "NATS_URL": ("NATS_URL", _STR),
    "NATS_USER": ("NATS_USER", _STR),
    "NATS_PASSWORD": ("NATS_PASSWORD", _STR),
    "NATS_TOKEN": ("NATS_TOKEN", _STR),
    "NATS_CREDS": ("NATS_CREDS", _STR),
    "NATS_TLS_CA": ("NATS_TLS_CA", _STR),
    "NATS_TLS_CERT": ("NATS_TLS_CERT", _STR),
    "NATS_TLS_KEY": ("NATS_TLS_KEY", _STR),
    "NATS_JETSTREAM": ("NATS_JETSTREAM", _bool),
    "NATS_STREAM": ("NATS_STREAM", _STR),
    "NATS_STREAM_MAX_AGE": ("NATS_STREAM_MAX_AGE", float),
    "NATS_STREAM_MAX_BYTES": ("NATS_STREAM_MAX_BYTES", _INT),
    "NATS_DUPLICATE_WINDOW": ("NATS_DUPLICATE_WINDOW", float),
    "NATS_PUBLISH_RATE": ("NATS_PUBLISH_RATE", _INT),
    "NATS_BATCH": ("NATS_BATCH", _INT),
    "NATS_RELAY_INTERVAL": ("NATS_RELAY_INTERVAL", float),
    "NATS_RECONNECT_WAIT": ("NATS_RECONNECT_WAIT", float),
    "NATS_RELAY_STUCK_AFTER": ("NATS_RELAY_STUCK_AFTER", float),
    "RATELIMIT_READYZ": ("RATELIMIT_READYZ", _STR),
    "TOKEN_MAX_AGE": ("TOKEN_MAX_AGE", _INT),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _bool),
    "PASSWORD_ARGON2_TIME_COST": ("PASSWORD_ARGON2_TIME_COST", _INT),
    "PASSWORD_ARGON2_MEMORY_KIB": ("PASSWORD_ARGON2_MEMORY_KIB", _INT),
    "PASSWORD_ARGON2_PARALLELISM": ("PASSWORD_ARGON2_PARALLELISM", _INT),
    "PASSWORD_HASH_WORKERS": ("PASSWORD_HASH_WORKERS", _INT),
    "PASSWORD_HASH_MAX_WAIT": ("PASSWORD_HASH_MAX_WAIT", float),
    "PASSWORD_HASH_QUEUE": ("PASSWORD_HASH_QUEUE", _INT),
    "REGISTRATION": ("REGISTRATION", _STR),
    "MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", _INT),
    "MAX_MESSAGE_LENGTH": ("MAX_MESSAGE_LENGTH", _INT),
    "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _bool),
    "RATELIMIT_LOGIN_FAILURES": ("RATELIMIT_LOGIN_FAILURES", _STR),
    "RATELIMIT_LOGIN_ADDRESS": ("RATELIMIT_LOGIN_ADDRESS", _STR),
    "RATELIMIT_REGISTER": ("RATELIMIT_REGISTER", _STR),
    "RATELIMIT_ANONYMOUS": ("RATELIMIT_ANONYMOUS", _STR),
    "RATELIMIT_USER": ("RATELIMIT_USER", _STR),
    "RATELIMIT_MESSAGES": ("RATELIMIT_MESSAGES", _STR),
    "RATELIMIT_JOINS": ("RATELIMIT_JOINS", _STR),
    "RATELIMIT_FLOOD": ("RATELIMIT_FLOOD", _STR),
    "REDIS_KEY_PREFIX": ("REDIS_KEY_PREFIX", _STR),
    "MAX_SESSIONS_PER_USER": ("MAX_SESSIONS_PER_USER", _INT),
    "LOGIN_RECHECK_SECONDS": ("LOGIN_RECHECK_SECONDS", float),
    "MAX_ROOMS_PER_USER": ("MAX_ROOMS_PER_USER", _INT),
    "PRESENCE_TTL": ("PRESENCE_TTL", _INT),
    "PRESENCE_REFRESH": ("PRESENCE_REFRESH", _INT),
    "CORS_ORIGINS": ("CORS_ORIGINS", _list),
    "PROXY_FIX_X_FOR": ("PROXY_FIX_X_FOR", _INT),
    "SERVER_NAMES": ("SERVER_NAMES", _list),
    "PUBLIC_URL": ("PUBLIC_URL", _STR),
    "CONNECT_TIMEOUT": ("CONNECT_TIMEOUT", float),
    "MAX_PENDING_PER_ADDRESS": ("MAX_PENDING_PER_ADDRESS", _INT),
    "RATELIMIT_HANDSHAKES": ("RATELIMIT_HANDSHAKES", _STR),
    "RATELIMIT_HISTORY": ("RATELIMIT_HISTORY", _STR),
    "HEADER_TIMEOUT": ("HEADER_TIMEOUT", float),
    "IDLE_TIMEOUT": ("IDLE_TIMEOUT", float),
    "SQLITE_BUSY_TIMEOUT": ("SQLITE_BUSY_TIMEOUT", float),
    "LOG_FORMAT": ("LOG_FORMAT", _STR),
    "LOG_LEVEL": ("LOG_LEVEL", _STR),
    "LOG_DIR": ("LOG_DIR", _STR),
    "LOG_MAX_BYTES": ("LOG_MAX_BYTES", _INT),
    "LOG_BACKUP_COUNT": ("LOG_BACKUP_COUNT", _INT),
}


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings found in `environ` (default: `os.environ`)."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for variable, (key, parse) in ENVIRONMENT.items():
        if variable in environ:
            found[key] = parse(environ[variable])
    return found


def derived(config: Mapping[str, Any]) -> dict[str, Any]:
    """Settings computed from others once the final config is known."""
    extra: dict[str, Any] = {
        "PERMANENT_SESSION_LIFETIME": config["TOKEN_MAX_AGE"],
    }
    if (config.get("PUBLIC_URL") or "").startswith("https://"):
        # Served over TLS: the cookie must never travel over plain HTTP.
        extra["SESSION_COOKIE_SECURE"] = True
        extra["REMEMBER_COOKIE_SECURE"] = True
    if config.get("REDIS_URL") and config["RATELIMIT_STORAGE_URI"] == "memory://":
        # One budget for every process: the limiter's counters live in Redis.
        extra["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
    uri = config.get("SQLALCHEMY_DATABASE_URI")
    if uri:
        extra["SQLALCHEMY_DATABASE_URI"] = postgres_driver(uri)
    return extra


class SettingsError(RuntimeError):
    """A setting that must not be used; the message says which and why."""


#: Words that mark a value as a placeholder nobody replaced (.env.example's included).
PLACEHOLDER_MARKS = ("replace", "change", "example", "placeholder", "dummy", "xxxx")


def looks_like_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(mark in lowered for mark in PLACEHOLDER_MARKS)


def exact_origin(value: str) -> bool:
    """True for `scheme://host[:port]` and nothing more: no `*`, `null`, path or userinfo."""
    parsed = urlsplit(value)
    try:
        port = parsed.port
    except ValueError:
        return False
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return False
    if parsed.username or parsed.password or "*" in value:
        return False
    rebuilt = f"{parsed.scheme}://{parsed.netloc}"
    return value == rebuilt and (port is None or 0 < port < 65536)


def check_secret_key(key: str | None) -> None:
    """A production SECRET_KEY: long, varied, and not a placeholder."""
    if (
        not key
        or len(key) < 32
        or key.lower() in WEAK_SECRET_KEYS
        or len(set(key)) < 12  # "a" * 32, "abab...": not random
        or looks_like_placeholder(key)
    ):
        raise SettingsError(
            "SECRET_KEY must be set to a random string of at least 32 characters "
            "in production (CHATAPP_ENV=production), for example the output of "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )


def check(config: Mapping[str, Any]) -> None:
    """Refuse settings that would be unsafe or silently wrong, with a clear error."""
    for origin in config["CORS_ORIGINS"]:
        if not exact_origin(origin):
            raise SettingsError(
                f"CORS_ORIGINS: {origin!r} is not an exact origin such as "
                "https://chat.example.com ('*', 'null', paths and wildcards are refused)."
            )
    if config.get("LOG_FORMAT") not in (None, "json", "text"):
        raise SettingsError("LOG_FORMAT must be json or text.")
    public = config.get("PUBLIC_URL")
    if public and not exact_origin(public.rstrip("/")):
        raise SettingsError(
            f"PUBLIC_URL: {public!r} is not a URL such as https://chat.example.com."
        )
    if config["CHATAPP_ENV"] == "production":
        for name in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "NATS_URL"):
            password = urlsplit(config.get(name) or "").password
            if password and looks_like_placeholder(password):
                raise SettingsError(f"The password in {name} is a placeholder: set a real one.")
        for name in ("NATS_PASSWORD", "NATS_TOKEN"):
            if config.get(name) and looks_like_placeholder(config[name]):
                raise SettingsError(f"{name} is a placeholder: set a real one.")


def postgres_driver(uri: str) -> str:
    """Pin PostgreSQL URLs without a driver to psycopg2.

    SQLAlchemy 2.1 reads a bare "postgresql://" as psycopg 3, which blocks
    the green hub; psycopg2 is made cooperative by the monkey patching.
    "postgres://" (Heroku style) is accepted too.
    """
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg2://" + uri[len(prefix) :]
    return uri
