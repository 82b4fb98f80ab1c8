"""The configuration of the apps the tests build, and which databases they run on."""

from __future__ import annotations

# Hashing at the production cost (Argon2id, 19 MiB) takes ~20 ms a call; the
# suite uses the cheapest (as environment variables) and one test checks the
# production default.
FAST_HASH = {"PASSWORD_ARGON2_TIME_COST": "1", "PASSWORD_ARGON2_MEMORY_KIB": "8"}

BASE_CONFIG = {
    "TESTING": True,
    "CHATAPP_ENV": "testing",
    "SECRET_KEY": "test-" + "k" * 40,
    **{key: int(value) for key, value in FAST_HASH.items()},
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
    "RATELIMIT_MESSAGES": "1000 per 10 seconds",
    "RATELIMIT_JOINS": "1000 per minute",
    "RATELIMIT_HISTORY": "1000000 per minute",
    "SOCKETIO_ASYNC_MODE": "threading",
    "SOCKETIO_MESSAGE_QUEUE": None,
    "REDIS_URL": None,
    "NATS_URL": None,
}
