"""Where the client connects and as whom: options > environment > config file.

The config file (~/.config/chatapp/config.json, or $XDG_CONFIG_HOME/chatapp/)
holds the defaults (`server`, `username`, `room`) and the bearer tokens, one
per server and user, so the next start needs no password until the token
expires. It is written with mode 0600 in a 0700 directory.

Options apply to one run only: a token is saved for the server and user it
belongs to, but `--server`, `--username` and `--chatroom` become the defaults
only with `--save`. (Saving them silently made a one-off `--server` the
default, and a later `cli.py logout` then targeted the wrong server.)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SERVER = "http://127.0.0.1:5000"
DEFAULT_ROOM = "general"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "chatapp"


def config_path() -> Path:
    return config_dir() / "config.json"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed; readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)  # mkdir's mode is cut by the umask, and the directory may be older
    return path


def load() -> dict:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(data: dict) -> None:
    """Write the config atomically, readable by its owner only (it holds tokens)."""
    path = config_path()
    private_dir(path.parent)
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
        value = option or os.environ.get(variable) or stored.get(key) or default
        return value if isinstance(value, str) or value is None else default

    return Settings(
        server=pick(server, "CHATAPP_SERVER", "server", DEFAULT_SERVER).rstrip("/"),
        username=pick(username, "CHATAPP_USERNAME", "username", None),
        room=pick(room, "CHATAPP_ROOM", "room", DEFAULT_ROOM),
    )


def save_defaults(settings: Settings) -> None:
    """Make these the defaults of later runs (`cli.py chat --save`)."""
    data = load()
    data.update(server=settings.server, username=settings.username, room=settings.room)
    save(data)


def _token_key(server: str, username: str) -> str:
    return f"{server}|{username.lower()}"


def stored_token(server: str, username: str) -> str | None:
    return load().get("tokens", {}).get(_token_key(server, username))


def remember_token(server: str, username: str, token: str) -> None:
    """Keep the token of `username` on `server`; the defaults are left alone."""
    data = load()
    data.setdefault("tokens", {})[_token_key(server, username)] = token
    save(data)


def forget(server: str, username: str) -> str | None:
    """Drop the stored token; return it (so it can be revoked on the server)."""
    data = load()
    token = data.get("tokens", {}).pop(_token_key(server, username), None)
    if token is not None:
        save(data)
    return token


def stored_logins() -> list[tuple[str, str]]:
    """(server, username) of every stored token, for `cli.py logout` to point at."""
    logins = []
    for key in load().get("tokens", {}):
        server, _, username = key.rpartition("|")
        logins.append((server, username))
    return sorted(logins)


def history_path(server: str, username: str) -> Path:
    """The line-editor history of `username` on `server`: a file of its own, mode 0600.

    One history per account, so what one account typed is never recalled in
    another; the directory is 0700 and the file 0600, as they hold chat text.
    """
    key = _token_key(server, username)
    # Readable, and exact: the hash keeps "a_b" and "a:b" apart.
    name = re.sub(r"[^A-Za-z0-9.-]", "_", key) + "-" + hashlib.sha256(key.encode()).hexdigest()[:8]
    private_dir(config_dir())
    path = private_dir(config_dir() / "histories") / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    # The single history file of earlier versions was shared by every account
    # and world-readable: keep it, but private.
    legacy = config_dir() / "history"
    if legacy.is_file():
        os.chmod(legacy, 0o600)
    return path
