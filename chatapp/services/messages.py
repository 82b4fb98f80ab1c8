"""Sending messages: limit, store with the NATS event (group commit), broadcast.

Storing is services.group_commit's: sends arriving together share one
transaction, sequence numbers stay gap-free per room (services.message_store),
and the leader of each batch broadcasts its new messages in seq order.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from chatapp.errors import Conflict, RateLimited, Unauthorized
from chatapp.extensions import db
from chatapp.models import Message, Room, User
from chatapp.payloads import message_payload
from chatapp.schemas import clean_message_text
from chatapp.services import chat_commands, group_commit, limits
from chatapp.services.message_store import Send, StaleRoom
from chatapp.services.rooms import RoomKey, get_member_room
from chatapp.tracing import current_trace_id

__all__ = ["StaleRoom", "find_by_client_id", "post_text", "send_message", "store_message"]


def find_by_client_id(user: User, client_id: str) -> Message | None:
    return db.session.scalar(
        select(Message).where(Message.user_id == user.id, Message.client_id == client_id)
    )


def store_message(
    user: User,
    room: Room | RoomKey,
    text: str,
    client_id: str | None = None,
) -> tuple[Message, bool]:
    """Store `text` in `room` (and broadcast it); return (message, created).

    A `client_id` the user already used returns the original message with
    created=False and stores nothing: retries are idempotent. Raises StaleRoom
    if the user is not a member of the room (any more).
    """
    _, message, created = commit(user, room, text, client_id)
    return message, created


def commit(
    user: User, room: Room | RoomKey, text: str, client_id: str | None
) -> tuple[dict[str, Any] | None, Message, bool]:
    """(payload of the new message or None for a repeat, message, created), through the batch."""
    send = Send(
        user_id=user.id,
        username=user.username,
        room_id=room.id,
        room_name=room.name,
        text=text,
        client_id=client_id or uuid.uuid4().hex,
        trace_id=current_trace_id(),
    )
    # No database connection is held while waiting for the batch: waiters
    # holding the ones their reads took (the login re-check, a room lookup)
    # emptied the pool at 500 msg/s, and the batch's leader then waited
    # POOL_TIMEOUT for one while every sender waited for it. The reads are
    # over (callers have nothing uncommitted); objects reload if used again.
    db.session.rollback()
    group_commit.submit(send)
    if send.error is not None:
        raise send.error
    assert send.outcome is not None
    payload, message, created = send.outcome
    if created and isinstance(room, Room):
        # The Core UPDATE bypassed the ORM: keep the caller's instance true.
        set_committed_value(room, "last_seq", message.seq)
    return send.outcome


def refuse_if_account_deleted(user_id: int) -> None:
    """Unauthorized if the account is gone (deleted while a socket still held its login)."""
    if db.session.scalar(select(User.id).where(User.id == user_id)) is None:
        raise Unauthorized("Your account no longer exists.")


def send_message(
    user: User, room: Room | RoomKey, text: str, client_id: str | None
) -> tuple[dict[str, Any], bool]:
    """Limit, then store (with its NATS event) and broadcast; (payload, created).

    `text` is clean and is not a command. The rate budget is spent first, before
    any database work, so a flood is refused without touching a room's row lock.
    A retry of a stored message (same client_id, room and text) is answered with
    the original, broadcast already, even once the budget is spent: looking for
    it only on refusal keeps a query off every send.
    """
    payload: dict[str, Any] | None = None
    # Read now: commit() ends the session's reads, and an ORM Room or User
    # (the REST path's) would be reloaded by the next attribute read.
    key, user_id, username = RoomKey(room.id, room.name), user.id, user.username
    try:
        limits.spend("RATELIMIT_MESSAGES", f"user:{user.id}")
    except RateLimited:
        message = find_by_client_id(user, client_id) if client_id else None
        if message is None:
            raise
        created = False
    else:
        try:
            payload, message, created = commit(user, room, text, client_id)
        except IntegrityError:
            # A row the database refused: the author's account deleted while
            # the socket still held it (its memberships go with it), or a bug.
            db.session.rollback()
            refuse_if_account_deleted(user_id)
            raise
        except StaleRoom:
            # Not a member (any more), or the name now belongs to another room:
            # the lookup raises the answer a client should see, or finds the room.
            refuse_if_account_deleted(user_id)
            room = get_member_room(user, key.name)
            key = RoomKey(room.id, room.name)
            try:
                payload, message, created = commit(user, room, text, client_id)
            except StaleRoom:  # removed in the instant between the two
                get_member_room(user, key.name)
                raise Conflict("The room changed while sending; send again.") from None
    if not created and (message.room_id != key.id or message.text != text):
        # A retry repeats its message exactly; anything else would be dropped
        # silently while the sender believes it was sent.
        raise Conflict(
            "This client_id was already used for another message; use a new client_id for new text."
        )
    if payload is None:  # a repeat: the original, as it was first sent
        payload = message_payload(message, key.name, username)
    return payload, created


def post_text(
    user: User, room_name: str, raw_text: str, client_id: str | None
) -> tuple[dict[str, Any], bool | None]:
    """The REST send: (answer, created), created None when the text was a #command.

    Members only; the same text rules, #commands and idempotency as a socket.
    """
    text = clean_message_text(raw_text, current_app.config["MAX_MESSAGE_LENGTH"])
    room = get_member_room(user, room_name)
    answer = chat_commands.answer(user, room.name, text)
    if answer is not None:
        return answer, None
    payload, created = send_message(user, room, chat_commands.unescape(text), client_id)
    return {"message": payload}, created
