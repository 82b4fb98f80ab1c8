"""Reading messages and rooms: the read side shared by socket, commands and REST."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from chatapp.extensions import db
from chatapp.models import Membership, Message, Room, User
from chatapp.payloads import message_payload
from chatapp.schemas import HistoryQuery
from chatapp.services import limits, rooms


def _messages(query) -> list[dict[str, Any]]:
    return [message_payload(row, row.room, row.username) for row in db.session.execute(query)]


def _base():
    # Columns, not Message entities: a page of 50 spent more time building and
    # tracking ORM instances than the database spent finding the rows.
    return (
        select(
            Message.id,
            Message.seq,
            Message.text,
            Message.created_at,
            Message.client_id,
            User.username,
            Room.name.label("room"),
        )
        .join(Room, Room.id == Message.room_id)
        .outerjoin(User, User.id == Message.user_id)
    )


def room_history(
    room: Room, before_seq: int | None = None, after_seq: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Up to `limit` messages of `room`, oldest first.

    With `after_seq`: the first ones after it (resuming). Otherwise the newest
    ones, before `before_seq` if given (paging back).
    """
    query = _base().where(Message.room_id == room.id)
    if after_seq is not None:
        query = query.where(Message.seq > after_seq)
    if before_seq is not None:
        query = query.where(Message.seq < before_seq)
    if after_seq is not None:
        return _messages(query.order_by(Message.seq).limit(limit))
    newest = _messages(query.order_by(Message.seq.desc()).limit(limit))
    return newest[::-1]


def user_messages(user: User, before_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Messages `user` sent in any room, a page going back in time, oldest first."""
    query = _base().where(Message.user_id == user.id)
    if before_id is not None:
        query = query.where(Message.id < before_id)
    return _messages(query.order_by(Message.id.desc()).limit(limit))[::-1]


def member_rooms_messages(user: User, before_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Messages from every room `user` is a member of, a page back in time, oldest first."""
    rooms = select(Membership.room_id).where(Membership.user_id == user.id)
    query = _base().where(Message.room_id.in_(rooms))
    if before_id is not None:
        query = query.where(Message.id < before_id)
    return _messages(query.order_by(Message.id.desc()).limit(limit))[::-1]


def next_cursor(items: list[dict[str, Any]], limit: int, key: str) -> Any:
    """The cursor for the page after a full one (None once a page comes back short).

    Pages are oldest first, so the cursor going back in time is the first item's.
    """
    return items[0][key] if items and len(items) == limit else None


def history_page(user: User, query: HistoryQuery) -> dict[str, Any]:
    """A page of a room's messages, for members only; the budget is spent by page size."""
    limits.spend("RATELIMIT_HISTORY", f"user:{user.id}", cost=query.limit)
    room = rooms.get_member_room(user, query.room)
    items = room_history(room, query.before_seq, query.after_seq, query.limit)
    return {"room": room.name, "messages": items, "seq": room.last_seq}
