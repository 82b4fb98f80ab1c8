"""The room protocol where it needs a socket: joining, leaving, sending, disconnecting.

The rules live in the services (`rooms`, `messages`, `presence`, `queries`);
this module adds what only a socket has: its session's joined rooms, its
presence entry and its subscriptions to the rooms' broadcasts.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import Connection

from chatapp import notify
from chatapp.errors import NotInRoom
from chatapp.extensions import socketio
from chatapp.models import User
from chatapp.presence import local_sessions, presence_store
from chatapp.schemas import SendMessage, clean_message_text
from chatapp.services import chat_commands, limits, messages, presence, queries, room_views, rooms
from chatapp.sockets.session import socket_session, subscribe, unsubscribe

HISTORY_ON_JOIN = 50


def welcome_text(room: str, username: str, online: int, with_user: str | None = None) -> str:
    """The welcome line; a direct conversation is named by the other user, never `~1-2`."""
    people = "1 user" if online == 1 else f"{online} users"
    if with_user is not None:
        return f"Welcome to your conversation with @{with_user}, {username}. {people} online."
    return f"Welcome to #{room}, {username}. {people} online."


def join(user: User, sid: str, room_name: str, create: bool = False) -> dict[str, Any]:
    """Open `room_name` with socket `sid` (becoming a member if need be): the `join` ack body.

    With `create`, a room nobody has made yet is created (public, the user its owner).
    """
    name = rooms.normalize_room_name(room_name)
    session = socket_session(sid)
    # Every join answers with a page of history, a repeated one included.
    limits.spend("RATELIMIT_HISTORY", f"user:{user.id}", cost=HISTORY_ON_JOIN)
    room = rooms.join_room(
        user, name, create=create, spend=name not in session.rooms, skip_sid=sid
    ).room
    change = presence_store().join(sid, user.username, name)
    session.rooms[name] = room.id
    # Announced before this socket subscribes, so it does not hear its own
    # arrival; subscribed before the history is read, so a message committed
    # before the read is in it and one committed after is delivered live
    # (clients drop repeats by seq).
    presence.announce(change, "join")
    subscribe(sid, name)
    if not rooms.is_member(user.id, room.id):
        # Removed between the membership's commit and the subscription: the
        # removal could not unsubscribe a socket that was not subscribed yet.
        unsubscribe(sid, name)
        presence.leave_session(sid, name)
        raise NotInRoom(f"You are not in #{name}.")
    history = queries.room_history(room, limit=HISTORY_ON_JOIN)
    # MEMBERSHIP (a ROOM with the joiner's role and read state): the session
    # subscribes after the room heard `member`, so this is how it learns its role.
    info = room_views.membership_info(user, room)
    notify.notice(sid, name, welcome_text(name, user.username, change.online, info.get("with")))
    return {
        "room": name,
        "online": change.online,
        "users": change.users,
        # Per-room seqs are gap-free, so the newest message's seq is the room's.
        "seq": history[-1]["seq"] if history else 0,
        "history": history,
        "room_info": info,
    }


def leave(user: User, sid: str, room_name: str) -> dict[str, Any]:
    """Leave `room_name` for good: the membership ends, on every session of the user."""
    socket_session(sid)
    name = rooms.leave_room(user, room_name, skip_sid=sid)
    return {"room": name}


def connected(user_id: int, sid: str, reads: Connection) -> None:
    """A new session receives the user's rooms, and is told which they are (`rooms`)."""
    subscribe(sid, notify.user_room(user_id))
    listed = room_views.memberships(user_id, reads=reads)
    for membership in listed:
        subscribe(sid, membership["name"])
    greeting = {"rooms": listed}
    # The session is this process's: no need for the queue (a Redis publish
    # every process would decode).
    socketio.server.manager.greet(
        sid, lambda: socketio.server.emit("rooms", greeting, to=sid, ignore_queue=True)
    )


def disconnect(sid: str) -> None:
    """A socket ended (closed, lost, or refused): its presence goes, memberships stay.

    A client that reconnects resumes with `history`.
    """
    session = local_sessions().pop(sid)
    if session is None:
        return
    for name in list(session.rooms):
        presence.announce(presence_store().leave(sid, name), "leave")
    presence_store().disconnect(sid, session.username)


def joined_room(user: User, sid: str, room_name: str) -> rooms.RoomKey:
    """The room `room_name` of which the user is a member: no query once this socket joined it.

    The id a socket remembers is only a hint: the send checks the membership.
    """
    name = rooms.normalize_room_name(room_name)
    room_id = socket_session(sid).rooms.get(name)
    if room_id is None:
        return rooms.RoomKey(rooms.get_member_room(user, name).id, name)
    return rooms.RoomKey(room_id, name)


def send(user: User, sid: str, data: SendMessage) -> dict[str, Any]:
    """A message to a room this socket joined, or a #command: the `send` ack body."""
    text = clean_message_text(data.text, current_app.config["MAX_MESSAGE_LENGTH"])
    answer = chat_commands.answer(user, data.room, text)
    if answer is not None:
        return answer
    room = joined_room(user, sid, data.room)
    payload, _ = messages.send_message(user, room, chat_commands.unescape(text), data.client_id)
    return {"message": payload}
