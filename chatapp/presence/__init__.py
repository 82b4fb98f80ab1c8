"""Who is online where: exact, shared between processes, self-healing.

`online` for a room is the number of distinct users with at least one live
session in it. Two stores serve one interface, `PresenceStore`: `RedisPresence`
when REDIS_URL is set (shared by every process; entries expire unless their
process keeps refreshing them, so a killed process's sessions vanish within
PRESENCE_TTL), and `MemoryPresence` for the embedded single process.

Every call that reads a room first drops its expired sessions and reports
the users who went offline that way (`gone`), so the caller can announce them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from flask import Flask, current_app

if TYPE_CHECKING:
    from chatapp.presence.local import LocalSessions


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


class PresenceStore(Protocol):
    """What the server asks of a presence store; `sid` is a Socket.IO session id.

    mypy checks that both stores match it (see `init_app`).
    """

    def connect(self, sid: str, user: str) -> int:
        """Register a session of `user`; return how many live sessions it has."""
        ...

    def disconnect(self, sid: str, user: str) -> None:
        """Forget a session of `user` (its rooms are left one by one, with `leave`)."""
        ...

    def sessions(self, user: str) -> list[str]:
        """The live sessions of `user` on every process: who to tell of a new or lost room."""
        ...

    def join(self, sid: str, user: str, room: str) -> RoomChange:
        """Put the session in `room`; `changed` when it is the user's first there."""
        ...

    def leave(self, sid: str, room: str) -> RoomChange:
        """Take the session out of `room`; `changed` when it was the user's last there."""
        ...

    def online(self, room: str) -> RoomChange:
        """Who is in `room` now (nothing changes but expired sessions)."""
        ...

    def online_counts(self, rooms: list[str]) -> dict[str, int]:
        """room -> number of users online, for many rooms at once."""
        ...

    def refresh(self, sessions: dict[str, tuple[str, set[str]]]) -> None:
        """Keep this process's sessions alive: sid -> (user, rooms)."""
        ...

    def sweep(self) -> list[RoomChange]:
        """Drop expired sessions everywhere; the rooms where users went offline."""
        ...


def init_app(app: Flask) -> None:
    """Pick the store: Redis when configured, else in-process."""
    store: PresenceStore
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


def presence_store() -> PresenceStore:
    """The presence store of the current app."""
    return current_app.extensions["chatapp.presence"]


def local_sessions() -> LocalSessions:
    """The sessions connected to this process."""
    return current_app.extensions["chatapp.sessions"]
