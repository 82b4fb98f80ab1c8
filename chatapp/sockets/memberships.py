"""Keeping each session's subscriptions equal to its user's memberships.

Membership changes reach live sessions at once through `notify` (over the
Redis message queue when there is one). What can miss them: an admin CLI
change on a server without Redis (the CLI process has no sessions to reach),
and a change racing a connect. This sweep, run with the presence upkeep,
compares the rooms each session of this process receives with the database
and corrects the difference, telling the session (`removed`, `room_added`).

A difference is acted on only when two sweeps in a row saw it: a sweep that
read the memberships just before a kick committed would otherwise subscribe
the kicked user again behind the kick's back.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import select

from chatapp.extensions import db, socketio
from chatapp.models import Membership, Room, User
from chatapp.payloads import removed_payload, room_added_payload
from chatapp.presence import local_sessions
from chatapp.schemas import DIRECT_RE, ROOM_RE
from chatapp.services import presence, room_views

log = logging.getLogger(__name__)

CHUNK = 500  # user ids per query: bounded statement size


def subscriptions() -> dict[str, set[str]]:
    """sid -> the chat rooms it receives, from the Socket.IO manager (this process)."""
    found: dict[str, set[str]] = defaultdict(set)
    for room, participants in list(socketio.server.manager.rooms.get("/", {}).items()):
        if room is None or not (ROOM_RE.fullmatch(room) or DIRECT_RE.fullmatch(room)):
            continue  # the sid rooms, the per-user rooms
        for sid in list(participants):
            found[sid].add(room)
    return found


def memberships_of(user_ids: set[int]) -> dict[int, set[str]]:
    wanted: dict[int, set[str]] = defaultdict(set)
    ids = sorted(user_ids)
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(Membership.user_id, Room.name)
            .join(Room, Room.id == Membership.room_id)
            .where(Membership.user_id.in_(ids[start : start + CHUNK]))
        )
        for user_id, name in rows:
            wanted[user_id].add(name)
    db.session.rollback()
    return wanted


class Reconciler:
    """The sweep, with the differences it saw last time."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()

    def sweep(self) -> int:
        """Correct the differences seen twice in a row; how many were corrected."""
        sessions = local_sessions().users()
        if not sessions:
            self.seen = set()
            return 0
        have = subscriptions()
        wanted = memberships_of(set(sessions.values()))
        differences = set()
        for sid, user_id in sessions.items():
            mine, due = have.get(sid, set()), wanted.get(user_id, set())
            differences |= {("drop", sid, room) for room in mine - due}
            differences |= {("add", sid, room) for room in due - mine}
            # Presence rooms a removal on another process could not clear here:
            # a presence refresh after a Redis restart would bring them back.
            session = local_sessions().get(sid)
            present = set(session.rooms) if session is not None else set()
            differences |= {("forget", sid, room) for room in present - due - mine}
        confirmed, self.seen = differences & self.seen, differences
        for action, sid, room in sorted(confirmed):
            self._correct(action, sid, room, sessions[sid])
        if confirmed:
            log.warning("corrected %d room subscriptions missed by live events", len(confirmed))
        return len(confirmed)

    def _correct(self, action: str, sid: str, room: str, user_id: int) -> None:
        if action in ("drop", "forget"):
            if action == "drop":
                socketio.server.leave_room(sid, room, namespace="/")
                socketio.emit("removed", removed_payload(room, None, None, False), to=sid)
            session = local_sessions().get(sid)
            if session is not None and room in session.rooms:
                presence.leave_session(sid, room)
            return
        user = db.session.get(User, user_id)
        found = db.session.scalar(select(Room).where(Room.name == room))
        if user is None or found is None:
            return
        socketio.server.enter_room(sid, room, namespace="/")
        membership = room_views.membership_info(user, found)
        db.session.rollback()
        socketio.emit("room_added", room_added_payload(membership, None), to=sid)
