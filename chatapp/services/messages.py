"""Sending messages: limit, store with the NATS event, commit, then broadcast.

Sequence numbers: `rooms.last_seq` is incremented by an UPDATE ... RETURNING in
the transaction that inserts the message. PostgreSQL holds the room's row lock
until commit and SQLite holds its write lock, so concurrent senders get
consecutive numbers; a rolled-back send gives its number back. Hence per room:
1, 2, 3, ... with no gaps and no duplicates.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from flask import current_app
from sqlalchemy import Table, bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from chatapp import metrics, notify, outbox
from chatapp.errors import Conflict, RateLimited, Unauthorized
from chatapp.extensions import db
from chatapp.models import Membership, Message, Room, User
from chatapp.models.types import utcnow
from chatapp.payloads import message_payload
from chatapp.schemas import clean_message_text
from chatapp.services import chat_commands, limits
from chatapp.services.admission import send_slot
from chatapp.services.rooms import RoomKey, get_member_room


class StaleRoom(Exception):
    """The remembered room id no longer names a room the sender belongs to."""


# The models' tables, as Core sees them (mypy types __table__ as a FromClause).
ROOMS = cast(Table, Room.__table__)
MESSAGES = cast(Table, Message.__table__)

# The statements of every send, built once: constructing them per call was a
# measurable share of a send's CPU (see docs/benchmarks.md).
MEMBERSHIPS = cast(Table, Membership.__table__)
# The membership check rides on the statements of every send, with no round
# trip of its own (its cost: bench/send_check.py). The sequence UPDATE checks
# it before taking the room's row lock, so a non-member never holds it; the
# INSERT checks it again after: under READ COMMITTED each statement sees what
# committed before it began, so a send that waited for a kick's room lock
# (services.moderation) sees the kick and stores nothing.
NEXT_SEQ = (
    update(ROOMS)
    .where(
        ROOMS.c.id == bindparam("room"),
        exists()
        .where(
            MEMBERSHIPS.c.room_id == bindparam("room"), MEMBERSHIPS.c.user_id == bindparam("user")
        )
        .correlate(None),
    )
    .values(last_seq=ROOMS.c.last_seq + 1)
    .returning(ROOMS.c.last_seq, ROOMS.c.private)
)
_COLUMNS = ("room_id", "seq", "user_id", "text", "created_at", "client_id")
INSERT_MESSAGE = (
    insert(MESSAGES)
    .from_select(
        list(_COLUMNS),
        select(*(bindparam(name, type_=MESSAGES.c[name].type) for name in _COLUMNS)).where(
            exists()
            .where(
                MEMBERSHIPS.c.room_id == bindparam("room_id"),
                MEMBERSHIPS.c.user_id == bindparam("user_id"),
            )
            .correlate(None)
        ),
    )
    .returning(MESSAGES.c.id)
)


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
    """Store `text` in `room`; return (message, created).

    A `client_id` the user already used returns the original message with
    created=False and stores nothing: retries are idempotent. The unique
    (user, client_id) constraint decides, so no lookup precedes the insert.
    """
    _, message, created = insert_message(user, room, text, client_id)
    return message, created


def insert_message(
    user: User, room: Room | RoomKey, text: str, client_id: str | None
) -> tuple[dict[str, Any] | None, Message, bool]:
    """(payload of the new message or None for a repeat, message, created)."""
    client_id = client_id or uuid.uuid4().hex
    # Core statements on the tables, not the ORM's unit of work: this is the
    # hot path of every send, and the ORM's flush and bulk-update bookkeeping
    # were most of its CPU (docs/benchmarks.md).
    row = db.session.execute(NEXT_SEQ, {"room": room.id, "user": user.id}).first()
    if row is None:
        db.session.rollback()
        raise StaleRoom
    seq, private = row
    values = {
        "room_id": room.id,
        "seq": seq,
        "user_id": user.id,
        "text": text,
        "client_id": client_id,
        "created_at": utcnow(),
    }
    message = Message(**values)  # not added to the session: the payload's source
    try:
        inserted = db.session.execute(INSERT_MESSAGE, values).scalar_one_or_none()
        if inserted is None:  # removed from the room while waiting for its lock
            db.session.rollback()
            raise StaleRoom
        message.id = inserted
        # Built once: the NATS event and the broadcast carry this same object.
        payload = message_payload(message, room.name, user.username)
        # Same transaction: the event exists if and only if the message does.
        outbox.add(
            outbox.room_subject(room.name, "message"), "message.created", payload, private=private
        )
        db.session.commit()
    except IntegrityError:
        # The client_id was used before (a retry, perhaps racing its original):
        # the rollback returns our seq; answer with the stored message.
        db.session.rollback()
        existing = find_by_client_id(user, client_id)
        if existing is not None:
            return None, existing, False
        if db.session.scalar(select(User.id).where(User.id == user.id)) is None:
            # The author's account was deleted while the socket still held it.
            raise Unauthorized("Your account no longer exists.") from None
        raise
    except BaseException:
        db.session.rollback()  # give the seq (and the room's row lock) back at once
        raise
    if isinstance(room, Room):
        # The Core UPDATE bypassed the ORM: keep the caller's instance true.
        set_committed_value(room, "last_seq", seq)
    return payload, message, True


def send_message(
    user: User, room: Room | RoomKey, text: str, client_id: str | None
) -> tuple[dict[str, Any], bool]:
    """Limit, store (with its NATS event), commit, then broadcast; (payload, created).

    `text` is clean and is not a command. The rate budget is spent first, before
    any database work, so a flood is refused without touching a room's row lock.
    A retry of a stored message (same client_id, room and text) is answered with
    the original, broadcast already, even once the budget is spent: looking for
    it only on refusal keeps a query off every send.
    """
    payload: dict[str, Any] | None = None
    try:
        limits.spend("RATELIMIT_MESSAGES", f"user:{user.id}")
    except RateLimited:
        message = find_by_client_id(user, client_id) if client_id else None
        if message is None:
            raise
        created = False
    else:
        try:
            with send_slot():
                payload, message, created = insert_message(user, room, text, client_id)
        except StaleRoom:
            # Not a member (any more), or the name now belongs to another room:
            # the lookup raises the answer a client should see, or finds the room.
            if db.session.scalar(select(User.id).where(User.id == user.id)) is None:
                raise Unauthorized("Your account no longer exists.") from None
            room = get_member_room(user, room.name)
            try:
                payload, message, created = insert_message(user, room, text, client_id)
            except StaleRoom:  # removed in the instant between the two
                get_member_room(user, room.name)
                raise Conflict("The room changed while sending; send again.") from None
    if not created and (message.room_id != room.id or message.text != text):
        # A retry repeats its message exactly; anything else would be dropped
        # silently while the sender believes it was sent.
        raise Conflict(
            "This client_id was already used for another message; use a new client_id for new text."
        )
    if payload is None:  # a repeat: the original, as it was first sent
        payload = message_payload(message, room.name, user.username)
    if created:
        metrics.MESSAGES_STORED.inc()
        outbox.wake()
        notify.message_created(payload)
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
