"""The room protocol: join, leave, send, history, disconnect.

Each function validates, writes and commits, and only then notifies. Answers
are the ack bodies of docs/protocol.md (without "ok", added by the handler).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from chatapp import metrics, notify
from chatapp.errors import Conflict, NotInRoom, RateLimited
from chatapp.models import Room, User
from chatapp.payloads import message_payload
from chatapp.presence import local_sessions, presence_store
from chatapp.schemas import HistoryQuery, PostMessage, SendMessage, clean_message_text
from chatapp.services import chat_commands, limits, messages, queries, rooms

HISTORY_ON_JOIN = 50


def welcome_text(room: str, username: str, online: int) -> str:
    people = "1 user" if online == 1 else f"{online} users"
    return f"Welcome to #{room}, {username}. {people} online."


def _become_member(user: User, name: str) -> Room:
    """The room `name` (created on first use), with `user` a member, within the cap."""
    room = rooms.get_or_create_room(name, user)
    if not rooms.is_member(user, room):
        if rooms.count_memberships(user) >= current_app.config["MAX_ROOMS_PER_USER"]:
            raise RateLimited(
                retry_after=60,
                message="You are in the most rooms allowed; leave one first.",
            )
        notify.member_changed(rooms.add_member(user, room))
    return room


def join_over_http(user: User, room_name: str) -> dict[str, Any]:
    """Membership without a live session, for scripts that post over REST."""
    name = rooms.normalize_room_name(room_name)
    limits.spend("RATELIMIT_JOINS", f"user:{user.id}")
    room = _become_member(user, name)
    return {"room": room.name, "seq": room.last_seq}


def join(user: User, sid: str, room_name: str) -> dict[str, Any]:
    """Join `room_name` (created on first join) with session `sid`."""
    name = rooms.normalize_room_name(room_name)
    session = local_sessions().get(sid)
    if name not in session.rooms:
        limits.spend("RATELIMIT_JOINS", f"user:{user.id}")
    # Every join answers with a page of history, a repeated one included.
    limits.spend("RATELIMIT_HISTORY", f"user:{user.id}", cost=HISTORY_ON_JOIN)
    room = _become_member(user, name)
    change = presence_store().join(sid, user.username, name)
    session.rooms[name] = room.id
    # Subscribe before reading history: a message committed before the read is
    # in it, one committed after is delivered live (clients drop repeats by seq).
    notify.enter_room(sid, name)
    history = queries.room_history(room, limit=HISTORY_ON_JOIN)
    notify.users_gone(change)
    if change.changed:
        notify.presence_changed(change, "join", skip_sid=sid)
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
    """Leave `room_name`; the user stops being a member once no session is left in it."""
    name = rooms.normalize_room_name(room_name)
    session = local_sessions().get(sid)
    if name not in session.rooms:
        raise NotInRoom(f"You are not in #{name}.")
    session.rooms.pop(name, None)
    notify.exit_room(sid, name)
    change = _leave_presence(sid, name)
    if change.changed:
        room = rooms.find_room(name)
        if room is not None:
            notify.member_changed(rooms.remove_member(user, room))
    return {"room": name}


def _leave_presence(sid: str, name: str):
    change = presence_store().leave(sid, name)
    notify.users_gone(change)
    if change.changed:
        notify.presence_changed(change, "leave")
    return change


def disconnect(sid: str) -> None:
    """A session ended (closed, lost, or refused): clean up its presence.

    Memberships stay, so a client that reconnects can resume with `history`.
    """
    session = local_sessions().pop(sid)
    if session is None:
        return
    for name in list(session.rooms):
        _leave_presence(sid, name)
    presence_store().disconnect(sid, session.username)


def joined_room(sid: str, room_name: str) -> rooms.RoomKey:
    """The room `room_name`, which session `sid` must have joined (no query)."""
    name = rooms.normalize_room_name(room_name)
    room_id = local_sessions().get(sid).rooms.get(name)
    if room_id is None:
        raise NotInRoom(f"You are not in #{name}; join it first.")
    return rooms.RoomKey(room_id, name)


def send(user: User, sid: str, data: SendMessage) -> dict[str, Any]:
    """Store a message and broadcast it, or run a #command. Idempotent per client_id."""
    text = clean_message_text(data.text, current_app.config["MAX_MESSAGE_LENGTH"])
    command = chat_commands.parse(text)
    if command is not None:
        limits.spend("RATELIMIT_MESSAGES", f"user:{user.id}")
        return chat_commands.run(user, rooms.normalize_room_name(data.room), *command)
    room = joined_room(sid, data.room)
    payload, _ = post(user, room, chat_commands.unescape(text), data.client_id)
    return {"message": payload}


def send_over_http(user: User, room_name: str, data: PostMessage) -> tuple[dict[str, Any], int]:
    """The REST send: members only, same text rules, #commands and idempotency as a socket.

    Returns (answer, HTTP status): 201 {"message"} when stored, 200 {"message"}
    for a repeated client_id, 200 {"command", "result"} for a #command.
    """
    text = clean_message_text(data.text, current_app.config["MAX_MESSAGE_LENGTH"])
    command = chat_commands.parse(text)
    room = rooms.get_member_room(user, room_name)
    if command is not None:
        limits.spend("RATELIMIT_MESSAGES", f"user:{user.id}")
        return chat_commands.run(user, room.name, *command), 200
    payload, created = post(user, room, chat_commands.unescape(text), data.client_id)
    return {"message": payload}, 201 if created else 200


def post(
    user: User, room: Room | rooms.RoomKey, text: str, client_id: str | None
) -> tuple[dict[str, Any], bool]:
    """Store (idempotently), commit, then broadcast. Returns (payload, created).

    The rate budget is spent first, before any database work, so a flood is
    refused without touching a room's row lock. A retry of a stored message
    is answered with the original (broadcast already) even once the budget is
    spent; looking for it only on refusal keeps a query off every send.
    """
    try:
        limits.spend("RATELIMIT_MESSAGES", f"user:{user.id}")
    except RateLimited:
        message = messages.find_by_client_id(user, client_id) if client_id else None
        if message is None:
            raise
        created = False
    else:
        message, created = messages.store_message(user, room, text, client_id)
    if not created and (message.room_id != room.id or message.text != text):
        # A retry repeats its message exactly; anything else would be dropped
        # silently while the sender believes it was sent.
        raise Conflict(
            "This client_id was already used for another message; use a new client_id for new text."
        )
    payload = message_payload(message, room.name, user.username)
    if created:
        metrics.MESSAGES_STORED.inc()
        notify.message_stored(payload)
    return payload, created


def history(user: User, query: HistoryQuery) -> dict[str, Any]:
    """A page of a room's messages, for members only; the budget is spent by page size."""
    limits.spend("RATELIMIT_HISTORY", f"user:{user.id}", cost=query.limit)
    room = rooms.get_member_room(user, query.room)
    items = queries.room_history(room, query.before_seq, query.after_seq, query.limit)
    return {"room": room.name, "messages": items, "seq": room.last_seq}
