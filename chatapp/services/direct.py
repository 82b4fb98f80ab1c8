"""Direct conversations: one private room of kind "direct" per pair of users.

Named by the two user ids (`~<low>-<high>`), so asking again, from either
side, finds the same room; a unique name settles two users opening it at once.
No roles, no invites, never listed to anyone else, not left.
"""

from __future__ import annotations

from sqlalchemy import select, update
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


def retire_conversations(user_id: int) -> list[tuple[str, int]]:
    """Rename the direct conversations of an account being deleted, in the caller's
    transaction; [(old name, room id)] for `notify.conversation_renamed` after commit."""
    found = db.session.execute(
        select(Room.name, Room.id)
        .join(Membership, Membership.room_id == Room.id)
        .where(Membership.user_id == user_id, Room.kind == DIRECT)
    ).all()
    for old_name, room_id in found:
        db.session.execute(
            update(Room).where(Room.id == room_id).values(name=f"{old_name}-{room_id}")
        )
    return [(old_name, room_id) for old_name, room_id in found]


def announce_retired(retired: list[tuple[str, int]]) -> None:
    """After the commit: no session receives a retired name any more (a new account
    could be given it); the remaining user's sessions get the conversation renamed."""
    for old_name, room_id in retired:
        notify.room_closed(old_name)
        room = db.session.get(Room, room_id)
        if room is None:
            continue
        members = db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.room_id == room_id)
        ).all()
        for member in members:
            notify.removed(member.id, member.username, old_name, None, "renamed", False)
            notify.room_added(member.id, member.username, membership_info(member, room), None)
