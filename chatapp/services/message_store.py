"""Storing a batch of sends in one transaction: the database half of the group commit.

One transaction per batch, whatever its size and however many rooms it spans:
the rooms' row locks (in id order, so two processes' batches never deadlock),
one membership read, one sequence UPDATE, one multi-row INSERT of messages and
one of outbox rows, one COMMIT: six round trips for two sends or for a hundred.
A lone send (an idle server's every send) takes four, as before group commit
(NEXT_SEQ, INSERT_ONE, its outbox row, COMMIT).

Sequence numbers: a room's `last_seq` is read under its row lock (PostgreSQL's
FOR NO KEY UPDATE; SQLite's write lock, taken by the first statement) and set to the
last seq handed out in the same transaction, so concurrent batches get
consecutive numbers and a rolled-back batch gives its numbers back. Per room:
1, 2, 3, ... with no gaps and no duplicates, in the order sends were queued.

The membership read comes after the locks: under READ COMMITTED each statement
sees what committed before it began, so a send queued before a kick committed
(the kick holds the room's lock, services.moderation) stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    bindparam,
    case,
    exists,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from chatapp import outbox
from chatapp.models import Message
from chatapp.models.tables import MEMBERSHIPS, MESSAGES, ROOMS
from chatapp.models.types import utcnow
from chatapp.payloads import message_payload

# The statements of every batch, built once (constructing them per call was a
# measurable share of a send's CPU: docs/benchmarks.md).
_ROOM_IDS: BindParameter[int] = bindparam("rooms", expanding=True)
LOCK_ROOMS = {
    # Locked in id order: batches of two processes wait for each other, never deadlock.
    "postgresql": select(ROOMS.c.id, ROOMS.c.last_seq, ROOMS.c.private)
    .where(ROOMS.c.id.in_(_ROOM_IDS))
    .order_by(ROOMS.c.id)
    # FOR NO KEY UPDATE, the lock a lone send's UPDATE takes: joins (inserts
    # referencing the room) need not wait for the batch.
    .with_for_update(key_share=True),
    # SQLite has one write lock for the whole file: a first statement that
    # writes takes it (a read first could not upgrade if another writer won).
    "sqlite": update(ROOMS)
    .where(ROOMS.c.id.in_(_ROOM_IDS))
    .values(last_seq=ROOMS.c.last_seq)
    .returning(ROOMS.c.id, ROOMS.c.last_seq, ROOMS.c.private),
}
MEMBERS = select(MEMBERSHIPS.c.room_id, MEMBERSHIPS.c.user_id).where(
    MEMBERSHIPS.c.room_id.in_(_ROOM_IDS),
    MEMBERSHIPS.c.user_id.in_(bindparam("users", expanding=True)),
)
REPEATS = select(*MESSAGES.c).where(
    MESSAGES.c.user_id.in_(bindparam("users", expanding=True)),
    MESSAGES.c.client_id.in_(bindparam("client_ids", expanding=True)),
)
_COLUMNS = ("room_id", "seq", "user_id", "text", "created_at", "client_id")
# ON CONFLICT DO NOTHING: a retry of a message stored by an earlier batch is
# not an error that would fail its whole batch; it comes back missing from the
# RETURNING rows, and the batch is stored again knowing it (see store()).
INSERT_MESSAGES = {
    name: dialect.insert(MESSAGES)
    .on_conflict_do_nothing(index_elements=["user_id", "client_id"])
    .returning(MESSAGES.c.id, MESSAGES.c.user_id, MESSAGES.c.client_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


# A batch of one, the idle server's case, in four round trips (as before group
# commit): the sequence UPDATE takes the room's lock only for a member, and the
# INSERT checks the membership again after it (a kick that committed while
# the send waited for the lock leaves it nothing to insert).
# The sender's membership, as both statements check it (the same bind names).
_IS_MEMBER = (
    exists()
    .where(
        MEMBERSHIPS.c.room_id == bindparam("room_id"),
        MEMBERSHIPS.c.user_id == bindparam("user_id"),
    )
    .correlate(None)
)
NEXT_SEQ = (
    update(ROOMS)
    .where(ROOMS.c.id == bindparam("room_id"), _IS_MEMBER)
    .values(last_seq=ROOMS.c.last_seq + 1)
    .returning(ROOMS.c.last_seq, ROOMS.c.private)
)
_MEMBER_VALUES = select(*(bindparam(name, type_=MESSAGES.c[name].type) for name in _COLUMNS)).where(
    _IS_MEMBER
)
INSERT_ONE = {
    name: dialect.insert(MESSAGES)
    .from_select(list(_COLUMNS), _MEMBER_VALUES)
    .on_conflict_do_nothing(index_elements=["user_id", "client_id"])
    .returning(MESSAGES.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


@dataclass(slots=True, eq=False)
class Send:
    """One send waiting to be stored; the batch sets `outcome` or `error`.

    outcome: (payload of the new message or None for a repeat, message, created).
    """

    user_id: int
    username: str
    room_id: int
    room_name: str
    text: str
    client_id: str
    trace_id: str
    outcome: tuple[dict[str, Any] | None, Message, bool] | None = field(default=None)
    error: BaseException | None = field(default=None)

    @property
    def key(self) -> tuple[int, str]:
        return self.user_id, self.client_id


class StaleRoom(Exception):
    """The remembered room id no longer names a room the sender belongs to."""


class RetryBatch(Exception):
    """A send of the batch repeated a message committed since the batch looked: store again."""


def store(conn: Connection, batch: list[Send], *, look_for_repeats: bool) -> list[Send]:
    """Store `batch` (no two sends with one key) and commit; return the sends stored.

    Sets each send's outcome (or StaleRoom error) only once the commit succeeded.
    With `look_for_repeats`, client_ids already used are found first and
    answered with their original message; without, a repeat raises RetryBatch
    after a rollback (the common batch has none, so that read is not paid).
    """
    if len(batch) == 1 and not look_for_repeats:
        return _store_alone(conn, batch[0])
    dialect = conn.dialect.name
    room_ids = sorted({send.room_id for send in batch})
    users = sorted({send.user_id for send in batch})
    rooms = {row.id: row for row in conn.execute(LOCK_ROOMS[dialect], {"rooms": room_ids})}
    members = {
        (row.room_id, row.user_id)
        for row in conn.execute(MEMBERS, {"rooms": room_ids, "users": users})
    }
    repeats = _repeats(conn, batch) if look_for_repeats else {}
    seqs = {room_id: row.last_seq for room_id, row in rooms.items()}
    outcomes: dict[Send, Any] = {}
    fresh: list[Send] = []
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for send in batch:
        if send.room_id not in rooms or (send.room_id, send.user_id) not in members:
            outcomes[send] = StaleRoom()
        elif send.key in repeats:
            outcomes[send] = (None, repeats[send.key], False)
        else:
            seqs[send.room_id] += 1
            fresh.append(send)
            rows.append(_row(send, seqs[send.room_id], now))
    if rows:
        _insert(conn, dialect, fresh, rows, seqs)
        private = {room_id: row.private for room_id, row in rooms.items()}
        outcomes.update(_stored(conn, fresh, rows, private))
    conn.commit()
    for send, outcome in outcomes.items():
        if isinstance(outcome, BaseException):
            send.error = outcome
        else:
            send.outcome = outcome
    return fresh


def _repeats(conn: Connection, batch: list[Send]) -> dict[tuple[int, str], Message]:
    # Every send, generated client_ids too: after a connection dropped during
    # COMMIT, this batch's own messages may be stored already.
    params = {
        "users": sorted({send.user_id for send in batch}),
        "client_ids": sorted({send.client_id for send in batch}),
    }
    found = {}
    for row in conn.execute(REPEATS, params).mappings():
        found[(row["user_id"], row["client_id"])] = Message(**row)
    return found


def _store_alone(conn: Connection, send: Send) -> list[Send]:
    """A batch of one: NEXT_SEQ, INSERT_ONE, the outbox row, COMMIT."""
    values = _row(send, 0, utcnow())
    locked = conn.execute(NEXT_SEQ, values).first()
    if locked is None:  # not a member (any more), or no such room
        conn.rollback()
        send.error = StaleRoom()
        return []
    values["seq"] = locked.last_seq
    inserted = conn.execute(INSERT_ONE[conn.dialect.name], values).first()
    if inserted is None:
        # A repeat of a stored client_id, or removed from the room while
        # waiting for its lock: the general path tells which.
        conn.rollback()
        raise RetryBatch
    values["id"] = inserted.id
    (outcome,) = _stored(conn, [send], [values], {send.room_id: locked.private}).values()
    conn.commit()
    send.outcome = outcome
    return [send]


def _row(send: Send, seq: int, now: datetime) -> dict[str, Any]:
    return {
        "room_id": send.room_id,
        "seq": seq,
        "user_id": send.user_id,
        "text": send.text,
        "created_at": now,
        "client_id": send.client_id,
    }


def _insert(conn, dialect, fresh, rows, seqs) -> None:
    """The sequence UPDATE and the messages' INSERT; each row gets its id."""
    changed = sorted({send.room_id for send in fresh})
    conn.execute(
        update(ROOMS)
        .where(ROOMS.c.id.in_(changed))
        .values(last_seq=case({room_id: seqs[room_id] for room_id in changed}, value=ROOMS.c.id)),
    )
    inserted = conn.execute(INSERT_MESSAGES[dialect], rows)
    ids = {(row.user_id, row.client_id): row.id for row in inserted}
    if len(ids) != len(rows):
        # A client_id used by a message committed since this batch began
        # (or before, when not looked for): its seq would leave a gap.
        conn.rollback()
        raise RetryBatch
    for send, values in zip(fresh, rows, strict=True):
        values["id"] = ids[send.key]


def _stored(conn, fresh, rows, private: dict[int, bool]) -> dict[Send, Any]:
    """The outcomes of new messages (rows with their ids); their outbox rows, inserted."""
    outcomes: dict[Send, Any] = {}
    events = []
    for send, values in zip(fresh, rows, strict=True):
        message = Message(**values)  # not in a session: the payload's source
        # Built once: the NATS event and the broadcast carry this same object.
        payload = message_payload(message, send.room_name, send.username)
        outcomes[send] = (payload, message, True)
        if outbox.enabled():
            subject = outbox.room_subject(send.room_name, "message")
            events.append(
                outbox.event_row(
                    subject, "message.created", payload, private[send.room_id], send.trace_id
                )
            )
    if events:
        # Same transaction: each event exists if and only if its message does.
        conn.execute(outbox.INSERT_EVENT, events)
    return outcomes
