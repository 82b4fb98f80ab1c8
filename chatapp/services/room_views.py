"""What users see of rooms: ROOM, MEMBERSHIP and the lists of them.

Counts come from grouped queries, a handful per list rather than one per room.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select

from chatapp.extensions import db
from chatapp.models import Membership, Room, User, tables
from chatapp.models.room import DIRECT
from chatapp.payloads import RoomFields, membership_payload, room_payload
from chatapp.presence import presence_store
from chatapp.services.access import access

# The statements a connect runs (its `rooms` greeting) select table columns,
# not ORM attributes, and are built once: an ORM-enabled select's compile state
# and row loading cost more than the query itself there (docs/benchmarks.md,
# capacity). The rows read like a Room where payloads need one (RoomFields).
# Core statements do not autoflush the session: callers commit or flush their
# changes first (every one does).

#: Where these statements run: a connection of database.autocommit_reads, or None for the session.
Reads = Connection | None

MEMBER_COUNTS = (
    select(tables.MEMBERSHIPS.c.room_id, func.count())
    .where(tables.MEMBERSHIPS.c.room_id.in_(bindparam("room_ids", expanding=True)))
    .group_by(tables.MEMBERSHIPS.c.room_id)
)
PARTNERS = (
    select(tables.MEMBERSHIPS.c.room_id, tables.USERS.c.username)
    .join(tables.USERS, tables.USERS.c.id == tables.MEMBERSHIPS.c.user_id)
    .where(
        tables.MEMBERSHIPS.c.room_id.in_(bindparam("room_ids", expanding=True)),
        tables.MEMBERSHIPS.c.user_id != bindparam("user_id"),
    )
)


def member_counts(room_ids: list[int], reads: Reads = None) -> dict[int, int]:
    if not room_ids:
        return {}
    rows = (reads or db.session).execute(MEMBER_COUNTS, {"room_ids": room_ids})
    return {room_id: count for room_id, count in rows}


def direct_partners(
    user_id: int | None, rooms: Sequence[RoomFields], reads: Reads = None
) -> dict[int, str]:
    """room id -> the other member's username, for the direct conversations among `rooms`."""
    ids = [room.id for room in rooms if room.kind == DIRECT]
    if not ids or user_id is None:  # no viewer (a NATS event): no "with"
        return {}
    rows = (reads or db.session).execute(PARTNERS, {"room_ids": ids, "user_id": user_id})
    return {room_id: username for room_id, username in rows}


def room_info(room: Room, members: int | None = None, viewer: int | None = None) -> dict[str, Any]:
    """ROOM for one room (as seen by user id `viewer`, for a direct conversation's `with`)."""
    if members is None:
        members = member_counts([room.id]).get(room.id, 0)
    return room_payload(room, members, direct_partners(viewer, [room]).get(room.id))


UNREAD = (
    select(tables.MEMBERSHIPS.c.room_id, func.count(tables.MESSAGES.c.id))
    .join(
        tables.MESSAGES,
        and_(
            tables.MESSAGES.c.room_id == tables.MEMBERSHIPS.c.room_id,
            tables.MESSAGES.c.seq > tables.MEMBERSHIPS.c.last_read_seq,
            or_(
                tables.MESSAGES.c.user_id.is_(None),
                tables.MESSAGES.c.user_id != bindparam("user_id"),
            ),
        ),
    )
    .where(
        tables.MEMBERSHIPS.c.user_id == bindparam("user_id"),
        tables.MEMBERSHIPS.c.room_id.in_(bindparam("room_ids", expanding=True)),
    )
    .group_by(tables.MEMBERSHIPS.c.room_id)
)


def unread_counts(user_id: int, room_ids: list[int], reads: Reads = None) -> dict[int, int]:
    """room id -> messages after the user's last_read_seq that others wrote."""
    if not room_ids:
        return {}
    rows = (reads or db.session).execute(UNREAD, {"user_id": user_id, "room_ids": room_ids})
    return {room_id: count for room_id, count in rows}


MEMBERSHIPS = (
    select(
        tables.ROOMS.c.id,
        tables.ROOMS.c.name,
        tables.ROOMS.c.private,
        tables.ROOMS.c.kind,
        tables.ROOMS.c.topic,
        tables.ROOMS.c.created_at,
        tables.ROOMS.c.last_seq,
        tables.MEMBERSHIPS.c.role,
        tables.MEMBERSHIPS.c.last_read_seq,
    )
    .join(tables.MEMBERSHIPS, tables.MEMBERSHIPS.c.room_id == tables.ROOMS.c.id)
    .where(tables.MEMBERSHIPS.c.user_id == bindparam("user_id"))
    .order_by(tables.ROOMS.c.name)
)
MEMBERSHIPS_OF = MEMBERSHIPS.where(tables.ROOMS.c.id.in_(bindparam("room_ids", expanding=True)))


def memberships(
    user_id: int, room_ids: list[int] | None = None, reads: Reads = None
) -> list[dict[str, Any]]:
    """MEMBERSHIP for each room user `user_id` belongs to (or those of `room_ids`), by name.

    On `reads` (a connect's database.autocommit_reads) if given, else the session.
    """
    execute = (reads or db.session).execute
    if room_ids is None:
        rows = execute(MEMBERSHIPS, {"user_id": user_id}).all()
    else:
        rows = execute(MEMBERSHIPS_OF, {"user_id": user_id, "room_ids": room_ids}).all()
    ids = [row.id for row in rows]
    counts = member_counts(ids, reads)
    partners = direct_partners(user_id, rows, reads)
    unread = unread_counts(user_id, ids, reads)
    return [
        membership_payload(
            room_payload(row, counts.get(row.id, 0), partners.get(row.id)),
            row.role,
            row.last_read_seq,
            row.last_seq,
            unread.get(row.id, 0),
        )
        for row in rows
    ]


def membership_info(user: User, room: Room) -> dict[str, Any]:
    """MEMBERSHIP of one room (the user must be a member)."""
    return memberships(user.id, [room.id])[0]


def room_seen_by(user: User, name: str) -> dict[str, Any]:
    """The room called `name` as `user` sees it: MEMBERSHIP for a member, else ROOM.

    NotFound, as for a missing name, if they may not see it.
    """
    found = access(user, name)
    if found.is_member:
        return membership_info(user, found.room)
    return room_info(found.room, viewer=user.id)


def visible_rooms(user: User, after_name: str | None, limit: int) -> list[dict[str, Any]]:
    """Public rooms and the user's own, by name, a page after `after_name`.

    Each is ROOM with `online`; the user's own rooms add `role` and `unread`.
    """
    mine = select(Membership.room_id).where(Membership.user_id == user.id)
    query = (
        select(Room, Membership.role)
        .outerjoin(Membership, and_(Membership.room_id == Room.id, Membership.user_id == user.id))
        .where(or_(Room.private.is_(False), Room.id.in_(mine)))
        .order_by(Room.name)
        .limit(limit)
    )
    if after_name:
        query = query.where(Room.name > after_name)
    rows = db.session.execute(query).all()
    ids = [room.id for room, _ in rows]
    counts = member_counts(ids)
    partners = direct_partners(user.id, [room for room, _ in rows])
    unread = unread_counts(user.id, [room.id for room, role in rows if role is not None])
    online = presence_store().online_counts([room.name for room, _ in rows])
    items = []
    for room, role in rows:
        item = room_payload(room, counts.get(room.id, 0), partners.get(room.id))
        item["online"] = online.get(room.name, 0)
        if role is not None:
            item["role"] = role
            item["unread"] = unread.get(room.id, 0)
        items.append(item)
    return items


def member_list(room: Room) -> list[dict[str, Any]]:
    """A room's members with their roles, owners first, then by name."""
    rows = db.session.execute(
        select(User.username, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.room_id == room.id)
    ).all()
    rank = {"owner": 0, "moderator": 1, "member": 2}
    ordered = sorted(rows, key=lambda row: (rank.get(row.role, 3), row.username.lower()))
    online = set(presence_store().online(room.name).users)
    return [
        {"user": row.username, "role": row.role, "online": row.username in online}
        for row in ordered
    ]
