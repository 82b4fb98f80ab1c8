"""Rooms and memberships."""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError

from chatapp import notify, outbox
from chatapp.errors import BadRequest, NotFound, NotInRoom, RateLimited
from chatapp.extensions import db
from chatapp.models import Membership, Room, User
from chatapp.payloads import member_payload
from chatapp.schemas import ROOM_RE
from chatapp.services import limits


class RoomKey(NamedTuple):
    """What storing a message needs of a room, as a joined socket remembers it.

    Rooms are never renamed or deleted, so the pair stays true; a Room has
    both attributes too and can stand in for it.
    """

    id: int
    name: str


def normalize_room_name(name: object) -> str:
    """The canonical (lowercase) room name, or BadRequest."""
    if not isinstance(name, str) or not ROOM_RE.fullmatch(name.lower()):
        raise BadRequest("Room names are 1 to 64 lowercase letters, digits, '-' or '_'.")
    return name.lower()


def find_room(name: str) -> Room | None:
    return db.session.scalar(select(Room).where(Room.name == normalize_room_name(name)))


def get_room(name: str) -> Room:
    """The room called `name`, or NotFound."""
    room = find_room(name)
    if room is None:
        raise NotFound(f"No room called #{normalize_room_name(name)}.")
    return room


def get_or_create_room(name: str, creator: User) -> Room:
    """The room called `name`, created (and committed) on first use."""
    name = normalize_room_name(name)
    room = find_room(name)
    if room is not None:
        return room
    db.session.add(Room(name=name, created_by=creator.id))
    try:
        db.session.commit()
    except IntegrityError:
        # Someone created it at the same moment; theirs is as good as ours.
        db.session.rollback()
    return get_room(name)


def is_member(user: User, room: Room) -> bool:
    return db.session.get(Membership, (user.id, room.id)) is not None


def get_member_room(user: User, name: str) -> Room:
    """The room called `name`, of which `user` must be a member; one query.

    NotFound if there is no such room, NotInRoom if `user` is not a member.
    """
    row = db.session.execute(
        select(Room, Membership.user_id)
        .outerjoin(Membership, (Membership.room_id == Room.id) & (Membership.user_id == user.id))
        .where(Room.name == normalize_room_name(name))
    ).first()
    if row is None:
        raise NotFound(f"No room called #{normalize_room_name(name)}.")
    room, member = row
    if member is None:
        raise NotInRoom(f"You are not in #{room.name}; join it first.")
    return room


def add_member(user: User, room: Room) -> dict[str, Any] | None:
    """Make `user` a member of `room`; the `member` event, or None if they were one.

    The NATS event commits with the membership; the caller notifies the room.
    """
    if is_member(user, room):
        return None
    db.session.add(Membership(user_id=user.id, room_id=room.id))
    payload = member_payload(room.name, user.username, "joined", user.username)
    try:
        db.session.flush()
        outbox.add(outbox.room_subject(room.name, "member"), "member.joined", payload)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # a second session of the same user joined first
        return None
    return payload


def remove_member(user: User, room: Room) -> dict[str, Any] | None:
    """End `user`'s membership of `room`; the `member` event, or None if there was none."""
    # A DELETE's result is a CursorResult (it has a rowcount); execute() is typed for any statement.
    ended = cast(
        CursorResult,
        db.session.execute(
            delete(Membership).where(Membership.user_id == user.id, Membership.room_id == room.id)
        ),
    ).rowcount
    payload = member_payload(room.name, user.username, "left", user.username)
    if ended:
        outbox.add(outbox.room_subject(room.name, "member"), "member.left", payload)
    db.session.commit()
    return payload if ended else None


def count_memberships(user: User) -> int:
    return db.session.execute(
        select(func.count()).select_from(Membership).where(Membership.user_id == user.id)
    ).scalar_one()


def become_member(user: User, name: str, *, spend_join: bool = True) -> Room:
    """The room `name` (created on first use) with `user` a member, within the budgets.

    A new membership is announced to the room (`member`, "joined"). A socket
    spends the join budget only when it enters a room it is not in yet.
    """
    if spend_join:
        limits.spend("RATELIMIT_JOINS", f"user:{user.id}")
    room = get_or_create_room(name, user)
    if not is_member(user, room):
        if count_memberships(user) >= current_app.config["MAX_ROOMS_PER_USER"]:
            raise RateLimited(
                retry_after=60, message="You are in the most rooms allowed; leave one first."
            )
        _announce(add_member(user, room))
    return room


def end_membership(user: User, name: str) -> None:
    """`user` left `name` for good: the membership ends and the room is told."""
    room = find_room(name)
    if room is not None:
        _announce(remove_member(user, room))


def _announce(payload: dict[str, Any] | None) -> None:
    if payload is not None:
        outbox.wake()
        notify.member_changed(payload)
