"""Moderating a room: invite, kick, ban, unban, roles, topic and privacy.

Who may do what is decided by `Access.require` (owner > moderator > member;
server admins act as owners). A kicked or banned user's sessions stop
receiving the room at once, on every process (chatapp.notify.removed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from chatapp import notify, outbox
from chatapp.errors import Conflict, Forbidden, NotFound
from chatapp.extensions import db
from chatapp.models import Membership, RoomBan, User
from chatapp.payloads import member_payload
from chatapp.services import limits, presence
from chatapp.services.access import MODERATOR, OWNER, RANK, Access, access
from chatapp.services.accounts import find_user
from chatapp.services.room_views import membership_info, room_info
from chatapp.services.rooms import (
    add_membership,
    announce_member,
    check_room_budget,
    end_membership,
    is_banned,
    owner_count,
)
from chatapp.services.text import clean_reason, clean_topic


def _target(username: str, *, active: bool = False) -> User:
    """The user acted on; `active`: a disabled account cannot be added anywhere
    (but can still be kicked, banned or have its role changed)."""
    user = find_user(username)
    if user is None or (active and user.is_disabled):
        raise NotFound(f"No user called {username!r}.")
    return user


def _membership(room_id: int, user_id: int) -> Membership | None:
    return db.session.get(Membership, (user_id, room_id))


def _record(found: Access, event: str, payload: dict[str, Any]) -> None:
    room = found.room
    outbox.add(
        outbox.room_subject(room.name, "member"), f"member.{event}", payload, private=room.private
    )


def _check_outranks(found: Access, target: Membership, doing: str) -> None:
    """Only an owner (or admin) acts on an owner."""
    if target.role == "owner" and found.rank < OWNER:
        raise Forbidden(f"Only an owner of #{found.room.name} can {doing} an owner.")


def invite(actor: User | None, found: Access, username: str) -> dict[str, Any]:
    """Add `username` to a room: any member of a public room, owners/moderators of a private one."""
    if found.room.private:
        found.require(MODERATOR, "invite")
    elif found.rank < RANK["member"]:
        found.require_member()
    found.require(RANK["member"], "invite")  # refuses direct conversations
    room, user = found.room, _target(username, active=True)
    if actor is not None:
        # An invite spends a join of the inviter's: adding people is not free.
        limits.spend("RATELIMIT_JOINS", f"user:{actor.id}")
    if _membership(room.id, user.id) is not None:
        raise Conflict(f"{user.username} is already in #{room.name}.")
    if is_banned(user.id, room):
        raise Forbidden(f"{user.username} is banned from #{room.name}; unban them first.")
    check_room_budget(user.id, whose=f"{user.username} is")
    by = actor.username if actor else None
    payload = add_membership(user, room, "member", "added", by)
    db.session.commit()
    announce_member(payload)
    notify.room_added(user.id, user.username, membership_info(user, room), by)
    return {"room": room.name, "user": user.username}


def kick(actor: User | None, found: Access, username: str, reason: str | None) -> None:
    """End `username`'s membership (owner/moderator; `actor` None is the admin CLI)."""
    found.require(MODERATOR, "kick")
    room, user = found.room, _target(username)
    if actor is not None and user.id == actor.id:
        # A leave checks the last-owner rule; a kick of oneself would skip it.
        raise Forbidden("You cannot kick yourself; leave the room instead.")
    reason = clean_reason(reason)
    target = _membership(room.id, user.id)
    if target is None:
        raise NotFound(f"{user.username} is not in #{room.name}.")
    _check_outranks(found, target, "kick")
    end_membership(user.id, room)
    by = actor.username if actor else None
    payload = member_payload(room.name, user.username, "removed", by)
    _record(found, "removed", payload)
    db.session.commit()
    _removed(user, found, by, reason, banned=False, payload=payload)


def ban(actor: User | None, found: Access, username: str, reason: str | None) -> None:
    """Keep `username` out of the room until unbanned; a member is removed at once."""
    found.require(MODERATOR, "ban")
    room, user = found.room, _target(username)
    reason = clean_reason(reason)
    target = _membership(room.id, user.id)
    if target is not None:
        _check_outranks(found, target, "ban")
    if actor is not None and user.id == actor.id:
        raise Forbidden("You cannot ban yourself; leave the room instead.")
    if is_banned(user.id, room):
        raise Conflict(f"{user.username} is already banned from #{room.name}.")
    db.session.add(
        RoomBan(
            room_id=room.id, user_id=user.id, banned_by=actor.id if actor else None, reason=reason
        )
    )
    was_member = end_membership(user.id, room)
    by = actor.username if actor else None
    payload = member_payload(room.name, user.username, "banned", by)
    _record(found, "banned", payload)
    db.session.commit()
    if was_member:
        _removed(user, found, by, reason, banned=True, payload=payload)
    else:
        announce_member(payload)


def unban(actor: User | None, found: Access, username: str) -> None:
    """Let `username` join (or be invited to) the room again."""
    found.require(MODERATOR, "unban")
    room, user = found.room, _target(username)
    gone = db.session.execute(
        delete(RoomBan).where(RoomBan.room_id == room.id, RoomBan.user_id == user.id)
    )
    if not getattr(gone, "rowcount", 0):
        db.session.rollback()
        raise NotFound(f"{user.username} is not banned from #{room.name}.")
    payload = member_payload(
        room.name, user.username, "unbanned", actor.username if actor else None
    )
    _record(found, "unbanned", payload)
    db.session.commit()
    announce_member(payload)


def set_role(actor: User | None, found: Access, username: str, role: str) -> None:
    """Make a member `role` (owners only). The last owner cannot step down."""
    found.require(OWNER, "change roles")
    room, user = found.room, _target(username)
    target = _membership(room.id, user.id)
    if target is None:
        raise NotFound(f"{user.username} is not in #{room.name}.")
    if target.role == role:
        return
    # An admin (or the admin CLI) may leave a room ownerless, as the CLI creates them.
    if target.role == "owner" and owner_count(room) <= 1 and not found.is_admin:
        raise Forbidden(f"#{room.name} needs an owner; make another member owner first.")
    target.role = role
    payload = member_payload(
        room.name, user.username, "role", actor.username if actor else None, role
    )
    _record(found, "role", payload)
    db.session.commit()
    announce_member(payload)


def update_room(
    actor: User | None, found: Access, topic: str | None, private: bool | None
) -> dict[str, Any]:
    """Change the topic (`""` clears it) and/or privacy (owners/moderators); the new ROOM."""
    found.require(MODERATOR, "change the room")
    room = found.room
    if topic is not None:
        room.topic = clean_topic(topic)
    if private is not None:
        room.private = private
    db.session.flush()
    info = room_info(room)
    by = actor.username if actor else None
    outbox.add(
        outbox.room_subject(room.name, "updated"),
        "room.updated",
        {"room": info, "by": by},
        private=room.private,
    )
    db.session.commit()
    outbox.wake()
    notify.room_updated(info)
    return info


def _removed(
    user: User,
    found: Access,
    by: str | None,
    reason: str | None,
    banned: bool,
    payload: dict[str, Any],
) -> None:
    """After the commit: the user's sessions are cut from the room, then the room is told."""
    outbox.wake()
    notify.removed(user.id, user.username, found.room.name, by, reason, banned)
    presence.drop_user(user.username, found.room.name)
    notify.member_changed(payload)


def acting(actor: User, name: str) -> Access:
    """The actor's standing in `name`, locked against concurrent role changes."""
    return access(actor, name, lock=True)
