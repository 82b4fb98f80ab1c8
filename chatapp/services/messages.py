"""Storing and reading messages.

Sequence numbers: `rooms.last_seq` is incremented by an UPDATE ... RETURNING in
the transaction that inserts the message. PostgreSQL holds the room's row lock
until commit and SQLite holds its write lock, so concurrent senders get
consecutive numbers; a rolled-back send gives its number back. Hence per room:
1, 2, 3, ... with no gaps and no duplicates.
"""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from chatapp import outbox
from chatapp.errors import Unauthorized
from chatapp.extensions import db
from chatapp.models import Message, Room, User
from chatapp.models.types import utcnow
from chatapp.payloads import message_payload
from chatapp.services.rooms import RoomKey

ROOMS = Room.__table__
MESSAGES = Message.__table__

# The statements of every send, built once: constructing them per call was a
# measurable share of a send's CPU (see docs/benchmarks.md).
NEXT_SEQ = (
    update(ROOMS)
    .where(ROOMS.c.id == bindparam("room"))
    .values(last_seq=ROOMS.c.last_seq + 1)
    .returning(ROOMS.c.last_seq)
)
INSERT_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)


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
    client_id = client_id or uuid.uuid4().hex
    # Core statements on the tables, not the ORM's unit of work: this is the
    # hot path of every send, and the ORM's flush and bulk-update bookkeeping
    # were most of its CPU (docs/benchmarks.md).
    seq = db.session.execute(NEXT_SEQ, {"room": room.id}).scalar_one()
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
        message.id = db.session.execute(INSERT_MESSAGE, values).scalar_one()
        # Same transaction: the event exists if and only if the message does.
        outbox.add(
            outbox.room_subject(room.name, "message"),
            "message.created",
            message_payload(message, room.name, user.username),
        )
        db.session.commit()
    except IntegrityError:
        # The client_id was used before (a retry, perhaps racing its original):
        # the rollback returns our seq; answer with the stored message.
        db.session.rollback()
        existing = find_by_client_id(user, client_id)
        if existing is not None:
            return existing, False
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
    return message, True
