"""Who may see a room and what their role lets them do: checked here, once.

A private room (and every direct conversation) is invisible to non-members:
every operation on it answers exactly as for a name that does not exist
(`room_not_found`), so its name does not leak. Server admins act as owners of
every room except direct conversations, which only their two members see.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from chatapp.errors import Forbidden, NotFound, NotInRoom
from chatapp.extensions import db
from chatapp.models import Membership, Room, User
from chatapp.models.room import DIRECT, ROLES
from chatapp.services.names import normalize_room_name

RANK = {role: rank for rank, role in enumerate(ROLES)}
OWNER = RANK["owner"]
MODERATOR = RANK["moderator"]


def room_not_found(name: str) -> NotFound:
    """The one answer for a room that does not exist or may not be seen."""
    return NotFound(f"No room called #{name}.")


@dataclass
class Access:
    """A user's standing in a room: the room, their membership (or None), admin or not."""

    room: Room
    membership: Membership | None
    is_admin: bool

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def rank(self) -> int:
        """The role's rank; admins rank as owners outside direct conversations."""
        if self.is_admin and self.room.kind != DIRECT:
            return OWNER
        return RANK[self.membership.role] if self.membership is not None else -1

    def require(self, rank: int, doing: str) -> None:
        """Forbidden unless the role reaches `rank`."""
        if self.room.kind == DIRECT:
            raise Forbidden(f"Nobody can {doing} in a direct conversation.")
        if self.rank < rank:
            needed = "an owner" if rank >= OWNER else "a moderator or owner"
            raise Forbidden(f"Only {needed} of #{self.room.name} can {doing}.")

    def require_member(self) -> None:
        """NotInRoom unless a member (only ever raised for rooms the user may see)."""
        if self.membership is None:
            raise NotInRoom(f"You are not in #{self.room.name}; join it first.")


def can_see(room: Room, membership: Membership | None, user: User) -> bool:
    if not room.private or membership is not None:
        return True
    return user.is_admin and room.kind != DIRECT


def access(user: User, name: object, *, lock: bool = False) -> Access:
    """`user`'s standing in the room called `name`, one query; NotFound if they may not see it.

    `lock` takes the room's row lock (PostgreSQL) for changes that must not race,
    such as removing the last owner.
    """
    name = normalize_room_name(name)
    query = (
        select(Room, Membership)
        .outerjoin(Membership, (Membership.room_id == Room.id) & (Membership.user_id == user.id))
        .where(Room.name == name)
    )
    if lock:
        query = query.with_for_update(of=Room)
    row = db.session.execute(query).first()
    if row is None or not can_see(row[0], row[1], user):
        raise room_not_found(name)
    return Access(row[0], row[1], bool(user.is_admin))


def member_access(user: User, name: object) -> Access:
    """Like `access`, and the user must be a member (NotInRoom for a visible room)."""
    found = access(user, name)
    found.require_member()
    return found
