"""Turn environment variables into Flask configuration.

Nothing here runs at import time: `create_app` calls `from_env()` so that an
import never reads the environment and tests can build apps with any config.
Every setting is listed in the README's settings table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

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
    "PROXY_FIX_X_FOR": 0,
    "LOG_LEVEL": "INFO",
    "LOG_DIR": None,
    "LOG_MAX_BYTES": 10 * 1024 * 1024,
    "LOG_BACKUP_COUNT": 5,
    "SOCKETIO_ASYNC_MODE": None,  # None: eventlet once monkey patched, see sockets.async_mode
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
    if config.get("REDIS_URL") and config["RATELIMIT_STORAGE_URI"] == "memory://":
        # One budget for every process: the limiter's counters live in Redis.
        extra["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
    uri = config.get("SQLALCHEMY_DATABASE_URI")
    if uri:
        extra["SQLALCHEMY_DATABASE_URI"] = postgres_driver(uri)
    return extra


def postgres_driver(uri: str) -> str:
    """Pin PostgreSQL URLs without a driver to psycopg2.

    SQLAlchemy 2.1 reads a bare "postgresql://" as psycopg 3, which blocks
    eventlet's hub; psycopg2 is made cooperative by eventlet's monkey patching.
    "postgres://" (Heroku style) is accepted too.
    """
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg2://" + uri[len(prefix) :]
    return uri
