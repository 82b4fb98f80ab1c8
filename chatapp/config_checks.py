"""Refuse settings that would be unsafe or silently wrong, at startup, with a clear error.

`create_app` runs these on the final config (chatapp.config re-exports them);
nothing here reads the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

#: Secret keys that are obviously placeholders and refused in production.
WEAK_SECRET_KEYS = {"", "dev", "changeme", "change-me", "secret", "development"}

#: Words that mark a value as a placeholder nobody replaced (.env.example's included).
PLACEHOLDER_MARKS = ("replace", "change", "example", "placeholder", "dummy", "xxxx")


class SettingsError(RuntimeError):
    """A setting that must not be used; the message says which and why."""


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
