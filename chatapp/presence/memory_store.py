"""Presence for one process, in memory (the embedded default, and tests)."""

from __future__ import annotations

import threading
from collections import defaultdict

from chatapp.presence import RoomChange


class MemoryPresence:
    """A PresenceStore in this process; nothing expires because nothing is shared."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rooms: dict[str, dict[str, str]] = defaultdict(dict)  # room -> sid -> user
        self._sessions: dict[str, dict[str, str]] = defaultdict(dict)  # user -> sid -> ""

    def connect(self, sid: str, user: str) -> int:
        """Register a session of `user`; return how many live sessions it has."""
        with self._lock:
            self._sessions[user.lower()][sid] = ""
            return len(self._sessions[user.lower()])

    def disconnect(self, sid: str, user: str) -> None:
        with self._lock:
            sessions = self._sessions.get(user.lower(), {})
            sessions.pop(sid, None)
            if not sessions:
                self._sessions.pop(user.lower(), None)

    def sessions(self, user: str) -> list[str]:
        with self._lock:
            return list(self._sessions.get(user.lower(), {}))

    def join(self, sid: str, user: str, room: str) -> RoomChange:
        with self._lock:
            members = self._rooms[room]
            first = sid not in members and user not in members.values()
            members[sid] = user
            return RoomChange(room, user, first, self._users(room))

    def leave(self, sid: str, room: str) -> RoomChange:
        with self._lock:
            members = self._rooms.get(room, {})
            user = members.pop(sid, None)
            last = user is not None and user not in members.values()
            users = self._users(room)
            if not members:
                self._rooms.pop(room, None)
            return RoomChange(room, user, last, users)

    def online(self, room: str) -> RoomChange:
        with self._lock:
            return RoomChange(room, None, False, self._users(room))

    def online_counts(self, rooms: list[str]) -> dict[str, int]:
        with self._lock:
            return {room: len(set(self._rooms.get(room, {}).values())) for room in rooms}

    def refresh(self, sessions: dict[str, tuple[str, set[str]]]) -> None:
        """Nothing to refresh: entries live as long as this process."""

    def sweep(self) -> list[RoomChange]:
        """Nothing expires in memory."""
        return []

    def _users(self, room: str) -> list[str]:
        return sorted(set(self._rooms.get(room, {}).values()), key=str.lower)
