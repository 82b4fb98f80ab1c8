"""Rooms and memberships: create, join, leave, delete.

Memberships last until an explicit leave, a kick or a ban (chatapp.services.
moderation); a disconnect never ends one. Each change commits with its NATS
event, then the room and the user's sessions are told (chatapp.notify).
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError

from chatapp import notify, outbox
from chatapp.errors import Conflict, Forbidden, NotFound, RateLimited
from chatapp.extensions import db
from chatapp.models import Membership, Room, RoomBan, User
from chatapp.models.room import DIRECT
from chatapp.payloads import member_payload
from chatapp.services import limits, presence
from chatapp.services.access import OWNER, Access, access, member_access, room_not_found
from chatapp.services.names import new_room_name, normalize_room_name
from chatapp.services.room_views import membership_info, room_info
from chatapp.services.text import clean_topic

__all__ = ["normalize_room_name"]  # re-exported: the name rule every caller applies


class RoomKey(NamedTuple):
    """What storing a message needs of a room, as a socket remembers it.

    A Room has both attributes too and can stand in for it. The id may be
    stale (a deleted room's name reused); the send's membership check catches it.
    """

    id: int
    name: str


def find_room(name: str) -> Room | None:
    return db.session.scalar(select(Room).where(Room.name == normalize_room_name(name)))


def get_room(name: str) -> Room:
    """The room called `name`, or NotFound (for the admin CLI, which sees every room)."""
    room = find_room(name)
    if room is None:
        raise room_not_found(normalize_room_name(name))
    return room


def get_member_room(user: User, name: str) -> Room:
    """The room called `name`, of which `user` must be a member; one query.

    NotFound if there is no such room or the user may not see it, NotInRoom if
    it is public and they are not a member.
    """
    return member_access(user, name).room


def is_member(user_id: int, room_id: int) -> bool:
    """Whether the membership exists now (a fresh read: the transaction so far ends first)."""
    db.session.rollback()
    return db.session.get(Membership, (user_id, room_id), populate_existing=True) is not None


def is_banned(user_id: int, room: Room) -> bool:
    return db.session.get(RoomBan, (room.id, user_id)) is not None


def count_memberships(user_id: int) -> int:
    """Rooms the user belongs to, direct conversations left out (others open those)."""
    return db.session.execute(
        select(func.count())
        .select_from(Membership)
        .join(Room, Room.id == Membership.room_id)
        .where(Membership.user_id == user_id, Room.kind != DIRECT)
    ).scalar_one()


def check_room_budget(user_id: int, whose: str = "You are") -> None:
    if count_memberships(user_id) >= current_app.config["MAX_ROOMS_PER_USER"]:
        raise RateLimited(
            retry_after=60, message=f"{whose} in the most rooms allowed; leave one first."
        )


def add_membership(user: User, room: Room, role: str, event: str, by: str | None) -> dict[str, Any]:
    """Stage `user`'s membership and its NATS event; the caller commits. The `member` event.

    A new member has read everything before them: unread counts what comes next.
    """
    newest = select(Room.last_seq).where(Room.id == room.id).scalar_subquery()
    db.session.add(Membership(user_id=user.id, room_id=room.id, role=role, last_read_seq=newest))
    db.session.flush()
    payload = member_payload(
        room.name, user.username, event, by, role if role != "member" else None
    )
    outbox.add(
        outbox.room_subject(room.name, "member"), f"member.{event}", payload, private=room.private
    )
    return payload


def create_room(
    user: User | None,
    name: str,
    private: bool = False,
    topic: str | None = None,
    skip_sid: str | None = None,
    *,
    owner: User | None = None,
) -> Room:
    """A new room, its creator its owner; the admin CLI (`user` None) names an `owner` or none.

    `conflict` if the name is taken, by any room (even one the caller cannot see:
    names are unique, so this is the one way a private room's name shows). The
    CLI's owner is added (`member` event "added", `by` null) in the same
    transaction, so the room never exists without them.
    """
    name = new_room_name(name)
    topic = clean_topic(topic)
    if user is not None:
        owner = user
        limits.spend("RATELIMIT_JOINS", f"user:{user.id}")
        check_room_budget(user.id)
    elif owner is not None:
        check_room_budget(owner.id, whose=f"{owner.username} is")
    room = Room(name=name, private=private, topic=topic, created_by=user.id if user else None)
    db.session.add(room)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"The name #{name} is taken; choose another.") from None
    info = room_info(room, members=1 if owner else 0)
    by = user.username if user else None
    outbox.add(
        outbox.room_subject(name, "updated"),
        "room.created",
        {"room": info, "by": by},
        private=private,
    )
    member = None
    if owner is not None:
        event, by = ("joined", owner.username) if user else ("added", None)
        member = add_membership(owner, room, "owner", event, by)
    db.session.commit()
    announce_member(member)
    if user is not None:
        _tell_sessions(user, room, skip_sid)
    elif owner is not None:
        notify.room_added(owner.id, owner.username, membership_info(owner, room), None)
    return room


def join_room(
    user: User, name: str, *, create: bool = False, spend: bool = True, skip_sid: str | None = None
) -> Access:
    """`user` is a member of `name` after this (created first when `create` and missing).

    Public rooms: anyone not banned. Private rooms: members (and server admins).
    The user's sessions but `skip_sid` (the one joining, if any) are told `room_added`.
    """
    try:
        found = access(user, name)
    except NotFound:
        if not create:
            raise
        try:
            create_room(user, name, skip_sid=skip_sid)
            return access(user, name)
        except Conflict:
            # Someone made it a moment ago: join theirs if we may see it. A
            # name taken by a room we may not see stays `conflict`, as for create.
            try:
                found = access(user, name)
            except NotFound:
                raise Conflict(
                    f"The name #{normalize_room_name(name)} is taken; choose another."
                ) from None
    if found.is_member:
        return found
    if spend:
        limits.spend("RATELIMIT_JOINS", f"user:{user.id}")
    # Again under the room's lock (PostgreSQL): a ban committing between the
    # first read and the insert would otherwise let a banned user in.
    found = access(user, name, lock=True)
    if found.is_member:
        db.session.rollback()
        return found
    room = found.room
    if is_banned(user.id, room):
        db.session.rollback()
        raise Forbidden(f"You are banned from #{room.name}.")
    check_room_budget(user.id)
    try:
        payload = add_membership(user, room, "member", "joined", user.username)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another session of the same user joined first
        return access(user, name)
    announce_member(payload)
    _tell_sessions(user, room, skip_sid)
    return access(user, name)


def _tell_sessions(user: User, room: Room, skip_sid: str | None) -> None:
    """A new membership reaches every session of the user: subscribed, and told `room_added`."""
    notify.room_added(user.id, user.username, membership_info(user, room), user.username, skip_sid)


def leave_room(user: User, name: str, skip_sid: str | None = None) -> str:
    """End `user`'s membership of `name`: the room and the user's other sessions are told.

    The last owner of a room with other members must name another owner first.
    """
    found = access(user, name, lock=True)
    found.require_member()
    room = found.room
    if room.kind == DIRECT:
        raise Forbidden("A direct conversation cannot be left.")
    if found.membership is not None and found.membership.role == "owner" and _last_owner(room):
        if _member_count(room) > 1:
            raise Forbidden(
                f"You are the last owner of #{room.name}; make another member owner first."
            )
    ended = end_membership(user.id, room)
    payload = member_payload(room.name, user.username, "left", user.username)
    if ended:
        outbox.add(
            outbox.room_subject(room.name, "member"), "member.left", payload, private=room.private
        )
    db.session.commit()
    if ended:
        announce_member(payload)
        notify.removed(user.id, user.username, room.name, user.username, None, False, skip_sid)
        presence.drop_user(user.username, room.name)
    return room.name


def end_membership(user_id: int, room: Room) -> bool:
    """Delete a membership in the current transaction; True if there was one."""
    # A DELETE's result is a CursorResult (it has a rowcount); execute() is typed for any statement.
    result = cast(
        CursorResult,
        db.session.execute(
            delete(Membership).where(Membership.user_id == user_id, Membership.room_id == room.id)
        ),
    )
    return bool(result.rowcount)


def delete_room(actor: User | None, name: str) -> None:
    """Delete a room with its messages (owner or admin; `actor` None is the admin CLI).

    Every member is told `removed` (reason "deleted"), NATS gets `room.deleted`.
    """
    if actor is None:
        room = get_room(name)
    else:
        found = access(actor, name)
        found.require(OWNER, "delete it")
        room = found.room
    members = db.session.execute(
        select(User.id, User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.room_id == room.id)
    ).all()
    by = actor.username if actor else None
    outbox.add(
        outbox.room_subject(room.name, "updated"),
        "room.deleted",
        {"room": room.name, "by": by},
        private=room.private,
    )
    db.session.delete(room)
    db.session.commit()
    outbox.wake()
    for user_id, username in members:
        notify.removed(user_id, username, room.name, by, "deleted", False)
        presence.drop_user(username, room.name)
    notify.room_closed(room.name)


def owner_count(room: Room) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Membership)
        .where(Membership.room_id == room.id, Membership.role == "owner")
    ).scalar_one()


def _last_owner(room: Room) -> bool:
    return owner_count(room) <= 1


def _member_count(room: Room) -> int:
    return db.session.execute(
        select(func.count()).select_from(Membership).where(Membership.room_id == room.id)
    ).scalar_one()


def announce_member(payload: dict[str, Any] | None) -> None:
    """After the commit: the relay is woken for the NATS event, and the room told `member`."""
    if payload is not None:
        outbox.wake()
        notify.member_changed(payload)
