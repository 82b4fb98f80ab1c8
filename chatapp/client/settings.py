"""Where the client connects and as whom: options > environment > config file.

The config file (~/.config/chatapp/config.json, or $XDG_CONFIG_HOME/chatapp/)
also keeps bearer tokens per server and user, so the next start needs no
password until the token expires. It is written with mode 0600.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SERVER = "http://127.0.0.1:5000"
DEFAULT_ROOM = "general"


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "chatapp" / "config.json"


def load() -> dict:
    try:
        return json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}


def save(data: dict) -> None:
    """Write the config atomically, readable by its owner only (it holds tokens)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


@dataclass
class Settings:
    server: str
    username: str | None
    room: str


def resolve(server: str | None, username: str | None, room: str | None) -> Settings:
    """Options first, then CHATAPP_SERVER / CHATAPP_USERNAME / CHATAPP_ROOM, then the file."""
    stored = load()

    def pick(option, variable, key, default):
        return option or os.environ.get(variable) or stored.get(key) or default

    return Settings(
        server=pick(server, "CHATAPP_SERVER", "server", DEFAULT_SERVER).rstrip("/"),
        username=pick(username, "CHATAPP_USERNAME", "username", None),
        room=pick(room, "CHATAPP_ROOM", "room", DEFAULT_ROOM),
    )


def _token_key(server: str, username: str) -> str:
    return f"{server}|{username.lower()}"


def stored_token(server: str, username: str) -> str | None:
    return load().get("tokens", {}).get(_token_key(server, username))


def remember(settings: Settings, token: str) -> None:
    data = load()
    data.setdefault("tokens", {})[_token_key(settings.server, settings.username)] = token
    data.update(server=settings.server, username=settings.username, room=settings.room)
    save(data)


def forget(server: str, username: str) -> str | None:
    """Drop the stored token; return it (so it can be revoked on the server)."""
    data = load()
    token = data.get("tokens", {}).pop(_token_key(server, username), None)
    if token is not None:
        save(data)
    return token
