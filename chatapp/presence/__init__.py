"""Who is online where: exact, shared between processes, self-healing.

`online` for a room is the number of distinct users with at least one live
session in it. Two stores serve one interface: `RedisPresence` when REDIS_URL
is set (shared by every process; entries expire unless their process keeps
refreshing them, so a killed process's sessions vanish within PRESENCE_TTL),
and `MemoryPresence` for the embedded single process.

Every call that reads a room first drops its expired sessions and reports
the users who went offline that way (`gone`), so the caller can announce them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app


@dataclass
class RoomChange:
    """The outcome of a join or leave in one room."""

    room: str
    user: str | None
    #: True when this was the user's first session in (or last out of) the room.
    changed: bool
    users: list[str]
    #: Users whose sessions expired in this room (their process died).
    gone: list[str] = field(default_factory=list)

    @property
    def online(self) -> int:
        return len(self.users)


def init_app(app: Flask) -> None:
    """Pick the store: Redis when configured, else in-process."""
    if app.config.get("REDIS_URL"):
        from chatapp.presence.redis_store import RedisPresence

        store = RedisPresence(
            app.config["REDIS_URL"],
            ttl=app.config["PRESENCE_TTL"],
            prefix=app.config.get("REDIS_KEY_PREFIX", "chat:"),
        )
    else:
        from chatapp.presence.memory_store import MemoryPresence

        store = MemoryPresence()
    from chatapp.presence.local import LocalSessions

    app.extensions["chatapp.presence"] = store
    app.extensions["chatapp.sessions"] = LocalSessions()


def presence_store():
    """The presence store of the current app."""
    return current_app.extensions["chatapp.presence"]


def local_sessions():
    """The sessions connected to this process."""
    return current_app.extensions["chatapp.sessions"]
