"""The room protocol where it needs a socket: joining, leaving, sending, disconnecting.

The rules live in the services (`rooms`, `messages`, `presence`, `queries`);
this module adds what only a socket has: its session's joined rooms, its
presence entry and its subscriptions to the rooms' broadcasts.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from chatapp import notify
from chatapp.errors import NotInRoom
from chatapp.models import User
from chatapp.presence import local_sessions, presence_store
from chatapp.schemas import SendMessage, clean_message_text
from chatapp.services import chat_commands, limits, messages, presence, queries, rooms
from chatapp.sockets.session import socket_session, subscribe, unsubscribe

HISTORY_ON_JOIN = 50


def welcome_text(room: str, username: str, online: int) -> str:
    people = "1 user" if online == 1 else f"{online} users"
    return f"Welcome to #{room}, {username}. {people} online."


def join(user: User, sid: str, room_name: str) -> dict[str, Any]:
    """Join `room_name` (created on first join) with socket `sid`: the `join` ack body."""
    name = rooms.normalize_room_name(room_name)
    session = socket_session(sid)
    # Every join answers with a page of history, a repeated one included.
    limits.spend("RATELIMIT_HISTORY", f"user:{user.id}", cost=HISTORY_ON_JOIN)
    room = rooms.become_member(user, name, spend_join=name not in session.rooms)
    change = presence_store().join(sid, user.username, name)
    session.rooms[name] = room.id
    # Announced before this socket subscribes, so it does not hear its own
    # arrival; subscribed before the history is read, so a message committed
    # before the read is in it and one committed after is delivered live
    # (clients drop repeats by seq).
    presence.announce(change, "join")
    subscribe(sid, name)
    history = queries.room_history(room, limit=HISTORY_ON_JOIN)
    notify.notice(sid, name, welcome_text(name, user.username, change.online))
    return {
        "room": name,
        "online": change.online,
        "users": change.users,
        # Per-room seqs are gap-free, so the newest message's seq is the room's.
        "seq": history[-1]["seq"] if history else 0,
        "history": history,
    }


def leave(user: User, sid: str, room_name: str) -> dict[str, Any]:
    """Leave `room_name`; the membership ends once the user has no session left in it."""
    name = rooms.normalize_room_name(room_name)
    session = socket_session(sid)
    if name not in session.rooms:
        raise NotInRoom(f"You are not in #{name}.")
    session.rooms.pop(name, None)
    unsubscribe(sid, name)
    change = presence_store().leave(sid, name)
    presence.announce(change, "leave")
    if change.changed:
        rooms.end_membership(user, name)
    return {"room": name}


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


def joined_room(sid: str, room_name: str) -> rooms.RoomKey:
    """The room `room_name`, which socket `sid` must have joined (no query)."""
    name = rooms.normalize_room_name(room_name)
    room_id = socket_session(sid).rooms.get(name)
    if room_id is None:
        raise NotInRoom(f"You are not in #{name}; join it first.")
    return rooms.RoomKey(room_id, name)


def send(user: User, sid: str, data: SendMessage) -> dict[str, Any]:
    """A message to a room this socket joined, or a #command: the `send` ack body."""
    text = clean_message_text(data.text, current_app.config["MAX_MESSAGE_LENGTH"])
    answer = chat_commands.answer(user, data.room, text)
    if answer is not None:
        return answer
    room = joined_room(sid, data.room)
    payload, _ = messages.send_message(user, room, chat_commands.unescape(text), data.client_id)
    return {"message": payload}
