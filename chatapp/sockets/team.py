"""Socket.IO handlers of team chat: rooms made on purpose, moderation, direct
conversations and read state (docs/protocol.md, "Team chat").

Thin like `handlers`: parse, call one service, ack. Permissions are the
services' business (chatapp.services.access).
"""

from __future__ import annotations

from typing import Any

from chatapp.extensions import socketio
from chatapp.models import User
from chatapp.schemas import (
    CreateRoom,
    MemberRef,
    ReadMark,
    RoomRef,
    SetRole,
    UpdateRoom,
    UserRef,
    parse,
)
from chatapp.services import direct, moderation, read_state, room_views, rooms
from chatapp.sockets.dispatch import acked
from chatapp.sockets.session import current_sid, subscribe


@socketio.on("create")
@acked
def create(user: User, data: Any) -> dict[str, Any]:
    """Sent to create a room (`conflict` if the name is taken). Acks with {"room": ROOM}."""
    request = parse(CreateRoom, data)
    room = rooms.create_room(
        user, request.room, request.private, request.topic, skip_sid=current_sid()
    )
    subscribe(current_sid(), room.name)  # the other sessions were told `room_added`
    return {"room": room_views.room_info(room, viewer=user.id)}


@socketio.on("invite")
@acked
def invite(user: User, data: Any) -> dict[str, Any]:
    """Sent to add a user to a room. Acks with {"room", "user"}."""
    request = parse(MemberRef, data)
    return moderation.invite(user, moderation.acting(user, request.room), request.user)


@socketio.on("kick")
@acked
def kick(user: User, data: Any) -> dict[str, Any]:
    """Sent by an owner or moderator to remove a member. Acks with {}."""
    request = parse(MemberRef, data)
    moderation.kick(user, moderation.acting(user, request.room), request.user, request.reason)
    return {}


@socketio.on("ban")
@acked
def ban(user: User, data: Any) -> dict[str, Any]:
    """Sent by an owner or moderator to keep a user out of a room. Acks with {}."""
    request = parse(MemberRef, data)
    moderation.ban(user, moderation.acting(user, request.room), request.user, request.reason)
    return {}


@socketio.on("unban")
@acked
def unban(user: User, data: Any) -> dict[str, Any]:
    """Sent by an owner or moderator to lift a ban. Acks with {}."""
    request = parse(MemberRef, data)
    moderation.unban(user, moderation.acting(user, request.room), request.user)
    return {}


@socketio.on("set_role")
@acked
def set_role(user: User, data: Any) -> dict[str, Any]:
    """Sent by an owner to make a member owner, moderator or member. Acks with {}."""
    request = parse(SetRole, data)
    moderation.set_role(user, moderation.acting(user, request.room), request.user, request.role)
    return {}


@socketio.on("update_room")
@acked
def update_room(user: User, data: Any) -> dict[str, Any]:
    """Sent by an owner or moderator to set the topic or privacy. Acks with {"room": ROOM}."""
    request = parse(UpdateRoom, data)
    found = moderation.acting(user, request.room)
    return {"room": moderation.update_room(user, found, request.topic, request.private)}


@socketio.on("delete_room")
@acked
def delete_room(user: User, data: Any) -> dict[str, Any]:
    """Sent by an owner to delete a room and its messages. Acks with {"room"}."""
    name = parse(RoomRef, data).room
    rooms.delete_room(user, name)
    return {"room": rooms.normalize_room_name(name)}


@socketio.on("direct")
@acked
def open_direct(user: User, data: Any) -> dict[str, Any]:
    """Sent to open the direct conversation with a user. Acks with {"room": ROOM}."""
    room, _ = direct.open_direct(user, parse(UserRef, data).user)
    return {"room": room_views.room_info(room, viewer=user.id)}


@socketio.on("read")
@acked
def read(user: User, data: Any) -> dict[str, Any]:
    """Sent as messages are shown. Acks with {"room", "last_read_seq"}."""
    request = parse(ReadMark, data)
    room, last_read = read_state.mark_read(user, request.room, request.seq, current_sid())
    return {"room": room, "last_read_seq": last_read}


@socketio.on("my_rooms")
@acked
def my_rooms(user: User, data: Any) -> dict[str, Any]:
    """Sent to list the user's rooms. Acks with {"rooms": [MEMBERSHIP, ...]}."""
    return {"rooms": room_views.memberships(user.id)}
