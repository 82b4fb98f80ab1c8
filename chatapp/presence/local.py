"""The sessions connected to this process: what it must refresh and clean up.

Not a source of truth for who is online (that is the presence store, shared
by every process); only this process's own bookkeeping.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class LocalSession:
    user_id: int
    username: str
    auth_session_id: str
    rooms: set[str] = field(default_factory=set)


class LocalSessions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, LocalSession] = {}

    def add(self, sid: str, session: LocalSession) -> None:
        with self._lock:
            self._sessions[sid] = session

    def get(self, sid: str) -> LocalSession | None:
        return self._sessions.get(sid)

    def pop(self, sid: str) -> LocalSession | None:
        with self._lock:
            return self._sessions.pop(sid, None)

    def snapshot(self) -> dict[str, tuple[str, set[str]]]:
        """sid -> (username, rooms), for the presence refresh."""
        with self._lock:
            return {sid: (s.username, set(s.rooms)) for sid, s in self._sessions.items()}

    def distinct_users(self) -> int:
        with self._lock:
            return len({s.user_id for s in self._sessions.values()})

    def __len__(self) -> int:
        return len(self._sessions)
