"""Direct conversations: one private room of kind "direct" per pair of users.

Named by the two user ids (`~<low>-<high>`), so asking again, from either
side, finds the same room; a unique name settles two users opening it at once.
No roles, no invites, never listed to anyone else, not left.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from chatapp import notify, outbox
from chatapp.errors import BadRequest, NotFound
from chatapp.extensions import db
from chatapp.models import Membership, Room, User
from chatapp.models.room import DIRECT
from chatapp.services import limits
from chatapp.services.accounts import find_user
from chatapp.services.names import direct_name
from chatapp.services.room_views import membership_info, room_info


def open_direct(user: User, username: str) -> tuple[Room, bool]:
    """The direct conversation of `user` and `username`, created on first use; (room, created).

    A new one is announced to both users' sessions (`room_added`).
    """
    other = find_user(username)
    if other is None or other.is_disabled:
        raise NotFound(f"No user called {username!r}.")
    if other.id == user.id:
        raise BadRequest("A direct conversation needs another user.")
    name = direct_name(user.id, other.id)
    room = db.session.scalar(select(Room).where(Room.name == name))
    if room is not None:
        return room, False
    limits.spend("RATELIMIT_JOINS", f"user:{user.id}")
    room = Room(name=name, private=True, kind=DIRECT, created_by=user.id)
    try:
        db.session.add(room)
        db.session.flush()
        for member in (user, other):
            db.session.add(Membership(user_id=member.id, room_id=room.id, role="member"))
        db.session.flush()
        info = room_info(room, members=2)
        outbox.add(
            outbox.room_subject(name, "updated"),
            "room.created",
            {"room": info, "by": user.username},
            private=True,
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the other user opened it at the same moment
        found = db.session.scalar(select(Room).where(Room.name == name))
        if found is None:
            raise
        return found, False
    outbox.wake()
    for member in (other, user):
        notify.room_added(member.id, member.username, membership_info(member, room), user.username)
    return room, True
