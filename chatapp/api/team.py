"""Team chat over REST: the socket events of chatapp.sockets.team, one route each.

Thin like the socket handlers: read the URL and the body, call one service,
answer JSON. Who may do what, and the `not_found` answer for a room the caller
may not see (the same bytes as for a name nobody has), are the services'
business (chatapp.services.access).
"""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required

from chatapp.api import bp
from chatapp.api.body import body_as, optional_body_as
from chatapp.schemas import CreateRoom, ReadUpTo, Reason, RoleChange, RoomChanges, UserRef, parse
from chatapp.services import direct, moderation, read_state, room_views, rooms
from chatapp.services.access import Access
from chatapp.services.accounts import name_key


def _username(user: str) -> str:
    """A username from the URL, by the whole-string rule of every username (else 422)."""
    return parse(UserRef, {"user": user}).user


def _acting(room: str) -> Access:
    """The caller's standing in `room`, locked as for the socket events."""
    return moderation.acting(current_user, room)


@bp.post("/rooms")
@login_required
def create_room():
    """Create a room, the caller its owner: 201 {"room": ROOM}; 409 if the name is taken."""
    data = body_as(CreateRoom)
    room = rooms.create_room(current_user, data.room, data.private, data.topic)
    return jsonify({"room": room_views.room_info(room, viewer=current_user.id)}), 201


@bp.get("/rooms/<room>")
@login_required
def show_room(room: str):
    """{"room": ROOM}, with the MEMBERSHIP fields when the caller is a member."""
    return jsonify({"room": room_views.room_seen_by(current_user, room)})


@bp.patch("/rooms/<room>")
@login_required
def update_room(room: str):
    """Set the topic ("" clears it) and/or privacy (owners, moderators): {"room": ROOM}."""
    data = body_as(RoomChanges)
    info = moderation.update_room(current_user, _acting(room), data.topic, data.private)
    return jsonify({"room": info})


@bp.delete("/rooms/<room>")
@login_required
def delete_room(room: str):
    """Delete a room and its messages (owners, admins); its members are told `removed`."""
    rooms.delete_room(current_user, room)
    return jsonify({"ok": True})


@bp.post("/rooms/<room>/leave")
@login_required
def leave_room(room: str):
    """End the caller's membership for good, on every session: {"room"}."""
    return jsonify({"room": rooms.leave_room(current_user, room)})


@bp.get("/rooms/<room>/members")
@login_required
def list_members(room: str):
    """A room's members, owners first (members only, like #members)."""
    found = rooms.get_member_room(current_user, room)
    return jsonify({"room": found.name, "members": room_views.member_list(found)})


@bp.post("/rooms/<room>/members/<user>")
@login_required
def invite(room: str, user: str):
    """Add a user to a room (any member of a public room; moderators+ of a private one)."""
    rooms.normalize_room_name(room)  # a bad room name is named before a bad username
    username = _username(user)
    return jsonify(moderation.invite(current_user, _acting(room), username)), 201


@bp.delete("/rooms/<room>/members/<user>")
@login_required
def kick(room: str, user: str):
    """Remove a member (moderators+), optional body {"reason"}; the caller's own name leaves.

    Deleting one's own membership is `leave` (POST .../leave): the last-owner
    rule applies and the reason is not used.
    """
    rooms.normalize_room_name(room)
    username = _username(user)
    data = optional_body_as(Reason)
    if name_key(username) == current_user.name_key:
        rooms.leave_room(current_user, room)
    else:
        moderation.kick(current_user, _acting(room), username, data.reason)
    return jsonify({"ok": True})


@bp.post("/rooms/<room>/bans/<user>")
@login_required
def ban(room: str, user: str):
    """Keep a user out until unbanned (moderators+), optional body {"reason"}: 201."""
    rooms.normalize_room_name(room)
    username = _username(user)
    data = optional_body_as(Reason)
    moderation.ban(current_user, _acting(room), username, data.reason)
    return jsonify({"ok": True}), 201


@bp.delete("/rooms/<room>/bans/<user>")
@login_required
def unban(room: str, user: str):
    """Lift a ban (moderators+)."""
    rooms.normalize_room_name(room)
    username = _username(user)
    moderation.unban(current_user, _acting(room), username)
    return jsonify({"ok": True})


@bp.put("/rooms/<room>/members/<user>/role")
@login_required
def set_role(room: str, user: str):
    """Make a member owner, moderator or member (owners): body {"role"}."""
    rooms.normalize_room_name(room)
    username = _username(user)
    data = body_as(RoleChange)
    moderation.set_role(current_user, _acting(room), username, data.role)
    return jsonify({"ok": True})


@bp.post("/direct/<user>")
@login_required
def open_direct(user: str):
    """The direct conversation with a user: 201 {"room": ROOM} when new, 200 when it existed."""
    room, created = direct.open_direct(current_user, _username(user))
    status = 201 if created else 200
    return jsonify({"room": room_views.room_info(room, viewer=current_user.id)}), status


@bp.post("/rooms/<room>/read")
@login_required
def mark_read(room: str):
    """Mark a room read up to {"seq"} (never backwards): {"room", "last_read_seq"}.

    Every live session of the caller is told (`read`): none of them sent this.
    """
    data = body_as(ReadUpTo)
    name, last_read = read_state.mark_read(current_user, room, data.seq, skip_sid=None)
    return jsonify({"room": name, "last_read_seq": last_read})
