"""The one place that shapes outgoing data.

The Socket.IO event, the REST response and the NATS event of a message are all
built here, so the three forms cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Row

from chatapp.models import Invite, Message, Room, User
from chatapp.models.types import utcnow

#: Version of the NATS event envelope; bumped on incompatible changes.
EVENT_SCHEMA = 1


class RoomFields(Protocol):
    """What ROOM is made of: a Room, or a row of its columns (chatapp.services.room_views)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def private(self) -> bool: ...
    @property
    def kind(self) -> str: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, e.g. 2026-11-21T13:41:21.123Z."""
    # isoformat is C code, strftime was a visible share of a history page.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def user_payload(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "is_admin": user.is_admin,
        "is_disabled": user.is_disabled,
        "created": isoformat(user.created_at),
    }


def message_payload(message: Message | Row, room: str, author: str | None) -> dict[str, Any]:
    """A stored message (a Message, or a row of its columns); `author` is None once deleted."""
    return {
        "id": message.id,
        "room": room,
        "seq": message.seq,
        "user": author,
        "text": message.text,
        "ts": isoformat(message.created_at),
        "client_id": message.client_id,
    }


def presence_payload(room: str, users: list[str], event: str, user: str) -> dict[str, Any]:
    """`event` is "join" (the user's first session entered) or "leave" (its last left)."""
    return {"room": room, "online": len(users), "users": users, "event": event, "user": user}


def member_payload(
    room: str, user: str, event: str, by: str | None, role: str | None = None
) -> dict[str, Any]:
    """A membership changed: "joined", "left", "added" (invited), "removed" (kicked),
    "banned", "unbanned" or "role" (with the new `role`). `by` is who did it
    (null for the admin CLI)."""
    payload = {"room": room, "user": user, "event": event, "by": by}
    if role is not None:
        payload["role"] = role
    return payload


def removed_payload(room: str, by: str | None, reason: str | None, banned: bool) -> dict[str, Any]:
    """To a user whose membership ended: a kick, a ban, a leave on another session, a deletion."""
    return {"room": room, "by": by, "reason": reason, "banned": banned}


def room_added_payload(membership: dict[str, Any], by: str | None) -> dict[str, Any]:
    """To a user's sessions that now receive a room: its MEMBERSHIP, and who added them."""
    return {"room": membership, "by": by}


def read_payload(room: str, last_read_seq: int) -> dict[str, Any]:
    return {"room": room, "last_read_seq": last_read_seq}


def notice_payload(room: str, text: str) -> dict[str, Any]:
    return {"room": room, "text": text}


def room_payload(room: RoomFields, members: int, with_user: str | None = None) -> dict[str, Any]:
    """ROOM: what anyone who may see a room learns of it; `with` for a direct conversation."""
    payload = {
        "name": room.name,
        "private": room.private,
        "kind": room.kind,
        "topic": room.topic,
        "created": isoformat(room.created_at),
        "members": members,
    }
    if room.kind == "direct":
        payload["with"] = with_user
    return payload


def admin_room_payload(room: Room, members: int, users: list[str]) -> dict[str, Any]:
    """ROOM as the admin CLI lists it: with `seq` (its message count), a direct one's `users`."""
    payload = {**room_payload(room, members), "seq": room.last_seq}
    if room.kind == "direct":
        del payload["with"]  # no viewer: the admin sees both members
        payload["users"] = users
    return payload


def membership_payload(
    room: dict[str, Any], role: str, last_read_seq: int, seq: int, unread: int
) -> dict[str, Any]:
    """MEMBERSHIP: a ROOM seen by one of its members."""
    return {**room, "role": role, "last_read_seq": last_read_seq, "seq": seq, "unread": unread}


def event_envelope(
    event_id: str,
    event_type: str,
    trace_id: str,
    data: dict[str, Any],
    private: bool | None = None,
) -> dict:
    """The NATS form of an event; `data` is the same object sockets and REST carry.

    Events of a room say whether it is private (`private`), so a consumer can
    leave private rooms and direct conversations out.
    """
    envelope = {
        "schema": EVENT_SCHEMA,
        "id": event_id,
        "type": event_type,
        "ts": isoformat(utcnow()),
        "trace_id": trace_id,
        "data": data,
    }
    if private is not None:
        envelope["private"] = private
    return envelope


def invite_payload(invite: Invite, by: str | None, state: str) -> dict[str, Any]:
    """An invite as `cli.py invites list --json` shows it: never the code, which is not kept."""
    return {
        "id": invite.id,
        "created": isoformat(invite.created_at),
        "by": by,
        "uses": invite.uses,
        "max_uses": invite.max_uses,
        "expires": isoformat(invite.expires_at) if invite.expires_at else None,
        "revoked": isoformat(invite.revoked_at) if invite.revoked_at else None,
        "state": state,
        "note": invite.note,
    }
