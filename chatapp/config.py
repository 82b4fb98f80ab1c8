"""Turn environment variables into Flask configuration.

Nothing here runs at import time: `create_app` calls `from_env()` so that an
import never reads the environment and tests can build apps with any config.

Every key of DEFAULTS is read from the environment variable of the same name
(DATABASE_URL, in RENAMED, is the one exception), parsed by the type of its
default: a mistyped number or boolean refuses to start, naming the variable.
Every setting is listed in the README's settings table (a test checks both ways).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any

# The checks live in their own module; create_app finds them here.
from chatapp.config_checks import SettingsError, check, check_secret_key

__all__ = [
    "DEFAULTS",
    "FIXED",
    "RENAMED",
    "SettingsError",
    "check",
    "check_secret_key",
    "derived",
    "from_env",
    "postgres_driver",
    "variables",
]

#: What an operator may set, with its default. None means unset (see UNSET_TYPES).
DEFAULTS: dict[str, Any] = {
    "CHATAPP_ENV": "development",
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,  # None: SQLite file under the instance folder
    "REDIS_URL": None,
    "NATS_URL": None,
    "TOKEN_MAX_AGE": 7 * 24 * 3600,
    "SESSION_COOKIE_SECURE": False,
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
    # "open": anyone may register over the API; "invite": only with a code
    # from `cli.py invites create`; "closed": admins create accounts with
    # `cli.py users create`.
    "REGISTRATION": "open",
    # 64 KiB is far above the largest legal request (a 4,000-character message
    # is at most 16 KB of UTF-8 JSON) and small enough to refuse junk early.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_MESSAGE_LENGTH": 4000,
    "RATELIMIT_ENABLED": True,
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
    # Sends (chatapp.services.group_commit): at most SEND_BATCH_LIMIT stored per
    # transaction; at most SEND_QUEUE_LIMIT wait for their batch, none longer
    # than SEND_MAX_WAIT seconds; past that, `busy` (backpressure).
    "SEND_BATCH_LIMIT": 100,
    # 100, not more: at twice the fan-out ceiling a queue of 500 (each waiting
    # up to SEND_MAX_WAIT) kept the hub so busy that goodput fell to 724 acks/s
    # and p99 rose to 1.1 s; with 100, 962 acks/s and p99 0.33 s (docs/benchmarks.md).
    "SEND_QUEUE_LIMIT": 100,
    "SEND_MAX_WAIT": 0.5,
    "LOG_FORMAT": None,  # json | text; None: text on a terminal under `serve`, else json
    "LOG_LEVEL": "INFO",
    "LOG_DIR": None,
    "LOG_MAX_BYTES": 10 * 1024 * 1024,
    "LOG_BACKUP_COUNT": 5,
    "SOCKETIO_ASYNC_MODE": None,  # None: the green hub's once patched, see server.green
    "SOCKETIO_MESSAGE_QUEUE": None,  # None: follows REDIS_URL
    "SOCKETIO_MAX_HTTP_BUFFER_SIZE": 64 * 1024,
    "NATS_USER": None,
    "NATS_PASSWORD": None,
    "NATS_TOKEN": None,
    "NATS_CREDS": None,
    "NATS_TLS_CA": None,
    "NATS_TLS_CERT": None,
    "NATS_TLS_KEY": None,
    "NATS_JETSTREAM": True,
    "NATS_STREAM": "CHAT",
    "NATS_STREAM_MAX_AGE": 7 * 24 * 3600.0,
    "NATS_STREAM_MAX_BYTES": -1,
    # JetStream drops a repeated Nats-Msg-Id seen within this window; it must
    # outlast any retry of one entry (a relay failover takes seconds).
    "NATS_DUPLICATE_WINDOW": 600.0,
    # The relay's ceiling on the loaded 2-core development machine is ~9,000
    # events/s (docs/benchmarks.md, Relay): the cap keeps a backlog from flooding NATS
    # while staying far ahead of the send path's few hundred messages/s.
    "NATS_PUBLISH_RATE": 5000,
    # Rows in flight at once (under nats-py's buffer of 2 MiB at ~450 bytes
    # each); 100 reached ~5,000 events/s, 1,000 ~9,000 (docs/benchmarks.md).
    "NATS_BATCH": 1000,
    "NATS_RELAY_INTERVAL": 0.2,
    # Seconds the relay waits after a commit woke it, so the rows of the commits
    # of the next moments go out in the same batch: under load a wake per
    # commit cost a sixth of the server's CPU (docs/benchmarks.md).
    "NATS_RELAY_GATHER": 0.02,
    "NATS_RECONNECT_WAIT": 2.0,
    # The relay counts as stuck once the same oldest outbox row has waited
    # this long (seconds); /readyz and /metrics report it.
    "NATS_RELAY_STUCK_AFTER": 60.0,
    # /readyz is public and runs real checks: a budget per client address.
    "RATELIMIT_READYZ": "60 per minute",
}

#: Choices chatapp makes for its libraries: code and tests may override them,
#: the environment does not (the README promises an HttpOnly, SameSite=Lax cookie).
FIXED: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 0,
    # Follows REDIS_URL (see `derived`): one budget for every process.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STRATEGY": "moving-window",
    # REST limits keep working (per process) while Redis is down.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
}

#: Environment variables whose config key has another name: variable -> key.
RENAMED = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}

#: The type of each setting that defaults to None: there is no default to read it from.
UNSET_TYPES: dict[str, type] = {
    **dict.fromkeys(
        (
            "SECRET_KEY",
            "SQLALCHEMY_DATABASE_URI",
            "REDIS_URL",
            "NATS_URL",
            "PUBLIC_URL",
            "LOG_FORMAT",
            "LOG_DIR",
            "SOCKETIO_ASYNC_MODE",
            "SOCKETIO_MESSAGE_QUEUE",
            "NATS_USER",
            "NATS_PASSWORD",
            "NATS_TOKEN",
            "NATS_CREDS",
            "NATS_TLS_CA",
            "NATS_TLS_CERT",
            "NATS_TLS_KEY",
        ),
        str,
    ),
    "PASSWORD_HASH_WORKERS": int,
}

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _bool(variable: str, value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise SettingsError(
        f"{variable}={value!r} is not a boolean: use true or false (or 1/0, yes/no, on/off)."
    )


def _int(variable: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise SettingsError(f"{variable}={value!r} is not a whole number.") from None


def _float(variable: str, value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # "nan" and "inf" parse, and would mean nothing
        raise SettingsError(f"{variable}={value!r} is not a number.")
    return number


def _str(variable: str, value: str) -> str:
    return value


def _list(variable: str, value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


#: The parser for each type of default, looked up by exact type (True is a bool here, not an int).
PARSERS: dict[type, Callable[[str, str], Any]] = {
    bool: _bool,
    int: _int,
    float: _float,
    str: _str,
    list: _list,
}


def variables() -> dict[str, str]:
    """Every environment variable read: variable -> config key."""
    renamed = set(RENAMED.values())
    return {**{key: key for key in DEFAULTS if key not in renamed}, **RENAMED}


def parser(key: str) -> Callable[[str, str], Any]:
    """How the value of setting `key` is read: by the type of its default."""
    default = DEFAULTS[key]
    return PARSERS[UNSET_TYPES[key] if default is None else type(default)]


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings found in `environ` (default: `os.environ`).

    Raises SettingsError, naming the variable and its value, for a value its
    setting cannot take (a boolean other than true/false..., a number that is not).
    """
    environ = os.environ if environ is None else environ
    return {
        key: parser(key)(variable, environ[variable])
        for variable, key in variables().items()
        if variable in environ
    }


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
