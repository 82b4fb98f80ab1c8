"""The sessions connected to this process: what it must refresh and clean up.

Not a source of truth for who is online (that is the presence store, shared
by every process); only this process's own bookkeeping.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


# Slots: one of these per connection, and a __dict__ each was ~100 bytes more.
@dataclass(slots=True)
class LocalSession:
    user_id: int
    username: str
    auth_session_id: str
    # Rooms this session joined (its presence), name -> id: a send needs the
    # id, so the socket keeps it instead of a query per send. Only a hint: a
    # room deleted or renamed since is caught by the send's membership check.
    rooms: dict[str, int] = field(default_factory=dict)
    # The user as last loaded, and when its login was confirmed live
    # (time.monotonic()); see chatapp.sockets.acks.session_user.
    user: Any = None
    checked_at: float = 0.0


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

    def recheck_logins(self, *, auth_session_id: str | None = None, user_id: int | None = None):
        """Make matching sessions re-check their login on their next event."""
        with self._lock:
            for session in self._sessions.values():
                if session.auth_session_id == auth_session_id or session.user_id == user_id:
                    session.checked_at = 0.0

    def snapshot(self) -> dict[str, tuple[str, set[str]]]:
        """sid -> (username, rooms), for the presence refresh."""
        with self._lock:
            return {sid: (s.username, set(s.rooms)) for sid, s in self._sessions.items()}

    def logins(
        self, *, auth_session_id: str | None = None, user_id: int | None = None
    ) -> dict[str, str]:
        """sid -> auth session id (all, or those matching either filter given)."""
        everyone = auth_session_id is None and user_id is None
        with self._lock:
            return {
                sid: s.auth_session_id
                for sid, s in self._sessions.items()
                if everyone or s.auth_session_id == auth_session_id or s.user_id == user_id
            }

    def users(self) -> dict[str, int]:
        """sid -> user id, for every session of this process."""
        with self._lock:
            return {sid: s.user_id for sid, s in self._sessions.items()}

    def distinct_users(self) -> int:
        with self._lock:
            return len({s.user_id for s in self._sessions.values()})

    def __len__(self) -> int:
        return len(self._sessions)
