"""Room names: what clients may write, and the canonical form stored."""

from __future__ import annotations

from chatapp.errors import BadRequest
from chatapp.schemas import DIRECT_RE, ROOM_RE

ROOM_RULE = "Room names are 1 to 64 lowercase letters, digits, '-' or '_'."


def normalize_room_name(name: object) -> str:
    """The canonical (lowercase) name of a room or direct conversation, or BadRequest."""
    if isinstance(name, str):
        lowered = name.lower()
        if ROOM_RE.fullmatch(lowered) or DIRECT_RE.fullmatch(lowered):
            return lowered
    raise BadRequest(ROOM_RULE)


def new_room_name(name: object) -> str:
    """A name a user may give a new room (never a direct conversation's), or BadRequest."""
    if isinstance(name, str) and ROOM_RE.fullmatch(name.lower()):
        return name.lower()
    raise BadRequest(ROOM_RULE)


def direct_name(first_id: int, second_id: int) -> str:
    """The one name of the direct conversation of two users, whichever asks."""
    low, high = sorted((first_id, second_id))
    return f"~{low}-{high}"
