"""Read state: how far each member has read a room, shared by their sessions."""

from __future__ import annotations

from sqlalchemy import update

from chatapp import notify
from chatapp.extensions import db
from chatapp.models import Membership, User
from chatapp.services.access import member_access


def mark_read(user: User, name: str, seq: int, skip_sid: str | None = None) -> tuple[str, int]:
    """Move `user`'s last_read_seq in `name` up to `seq`; never backwards. (room, last_read_seq)

    A `seq` past the room's newest message counts as the newest. The user's
    other sessions are told (`read`) when it moved.
    """
    found = member_access(user, name)
    room = found.room
    seq = min(seq, room.last_seq)
    # The WHERE makes it monotonic under concurrent sessions without a lock.
    moved = db.session.execute(
        update(Membership)
        .where(
            Membership.user_id == user.id,
            Membership.room_id == room.id,
            Membership.last_read_seq < seq,
        )
        .values(last_read_seq=seq)
    )
    db.session.commit()
    current = db.session.get(Membership, (user.id, room.id), populate_existing=True)
    last_read = current.last_read_seq if current is not None else seq
    db.session.rollback()
    if getattr(moved, "rowcount", 0):
        notify.read(user.id, room.name, last_read, skip_sid)
    return room.name, last_read
