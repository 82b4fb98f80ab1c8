"""The one place that shapes outgoing data.

The Socket.IO event, the REST response and the NATS event of a message are all
built here, so the three forms cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from chatapp.models import Invite, Message, Room, User
from chatapp.models.types import utcnow

#: Version of the NATS event envelope; bumped on incompatible changes.
EVENT_SCHEMA = 1


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


def member_payload(room: str, user: str, event: str, by: str) -> dict[str, Any]:
    """A membership began ("joined") or ended ("left"); `by` is who did it."""
    return {"room": room, "user": user, "event": event, "by": by}


def notice_payload(room: str, text: str) -> dict[str, Any]:
    return {"room": room, "text": text}


def room_payload(room: Room, online: int) -> dict[str, Any]:
    return {"name": room.name, "online": online, "created": isoformat(room.created_at)}


def event_envelope(event_id: str, event_type: str, trace_id: str, data: dict[str, Any]) -> dict:
    """The NATS form of an event; `data` is the same object sockets and REST carry."""
    return {
        "schema": EVENT_SCHEMA,
        "id": event_id,
        "type": event_type,
        "ts": isoformat(utcnow()),
        "trace_id": trace_id,
        "data": data,
    }


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
