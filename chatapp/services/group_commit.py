"""Group commit: sends that arrive while a transaction is in flight are stored together.

Each process has one queue of sends and at most one batch in flight. A send
that finds no batch in flight stores itself at once (no timer: an idle server
commits a lone send as fast as before); sends arriving meanwhile queue up, and
when the batch commits, the first of them leads the next batch, taking
everything queued (up to SEND_BATCH_LIMIT) into one transaction
(services.message_store). The leader then broadcasts each new message in seq
order and wakes the others with their outcomes. So per room the order of the
broadcasts is the order of the seqs, and under load one commit (and one
database connection per process) serves many sends.

Backpressure lives here too: at most SEND_QUEUE_LIMIT sends wait, none longer
than SEND_MAX_WAIT seconds before its batch starts. Past that the send is
refused `busy` with `retry_after` at once, and clients resend it with its
`client_id` (stored once). A send already in a batch is never refused: it waits
for its commit.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from flask import Flask, current_app
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from chatapp import metrics, notify, outbox
from chatapp.errors import Busy, Unavailable
from chatapp.extensions import db
from chatapp.services.message_store import RetryBatch, Send, store

log = logging.getLogger(__name__)

BUSY_MESSAGE = "The server is busy; this message was not stored. Send it again shortly."

# Times a batch is stored again to look for client_ids used since it began.
MAX_REPEAT_LOOKS = 3

# A send's place in the queue.
QUEUED, LEADS, TAKEN = "queued", "leads", "taken"


class Waiter:
    """A queued send and the event its thread sleeps on (green once patched)."""

    __slots__ = ("send", "state", "woken")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.state = QUEUED
        self.woken = threading.Event()


class GroupCommit:
    """This process's queue of sends and its one batch in flight."""

    def __init__(self, batch_limit: int, queue_limit: int, max_wait: float) -> None:
        self.batch_limit = max(1, batch_limit)
        self.queue_limit = queue_limit
        self.max_wait = max_wait
        self._lock = threading.Lock()
        self._queue: deque[Waiter] = deque()
        self._leading = False

    @property
    def waiting(self) -> int:
        """Sends queued behind the batch in flight."""
        return len(self._queue)

    def submit(self, send: Send) -> None:
        """Store `send` (with whatever else is queued); its outcome or error is set on return.

        Raises Busy, storing nothing, when the queue is full or the send would
        wait longer than SEND_MAX_WAIT for its batch to start.
        """
        waiter = Waiter(send)
        with self._lock:
            if not self._leading:
                self._leading = True
                waiter.state = LEADS
            elif len(self._queue) >= self.queue_limit:
                metrics.SENDS_REFUSED.labels(reason="queue_full").inc()
                raise Busy(1, BUSY_MESSAGE)
            self._queue.append(waiter)
        try:
            if waiter.state == QUEUED and not waiter.woken.wait(self.max_wait):
                with self._lock:
                    if waiter.state == QUEUED:  # no batch took it: refuse, nothing stored
                        self._queue.remove(waiter)
                        metrics.SENDS_REFUSED.labels(reason="waited_too_long").inc()
                        raise Busy(1, BUSY_MESSAGE)
                waiter.woken.wait()  # its batch is committing, or it was made the leader
        except BaseException:
            self._abandon(waiter)
            raise
        if waiter.state == LEADS:
            self._lead()

    def _abandon(self, waiter: Waiter) -> None:
        """A waiter leaves (refused, or its green thread killed): never strand the queue.

        Still queued, it just leaves; made the leader, it passes the lead on, or
        the next send would find a leader that never comes.
        """
        with self._lock:
            if waiter.state == TAKEN:
                return  # its batch is in flight and finishes without it
            if waiter in self._queue:
                self._queue.remove(waiter)
            if waiter.state == LEADS:
                self._hand_over()

    def _hand_over(self) -> None:
        """The next queued send leads the next batch, or nobody leads (call with the lock)."""
        if self._queue:
            successor = self._queue[0]
            successor.state = LEADS
            successor.woken.set()
        else:
            self._leading = False

    def _lead(self) -> None:
        """Store one batch (this thread's send among it), then hand over or stop leading."""
        with self._lock:
            batch: list[Waiter] = []
            kept: deque[Waiter] = deque()
            keys: set[tuple[int, str]] = set()
            while self._queue and len(batch) < self.batch_limit:
                waiter = self._queue.popleft()
                if waiter.send.key in keys:
                    # A retry racing its original: it waits for the next batch,
                    # which finds the original stored and answers with it.
                    kept.append(waiter)
                    continue
                keys.add(waiter.send.key)
                waiter.state = TAKEN
                batch.append(waiter)
            self._queue.extendleft(reversed(kept))
        try:
            store_and_broadcast([waiter.send for waiter in batch])
        finally:
            with self._lock:
                for waiter in batch:
                    if waiter.send.outcome is None and waiter.send.error is None:
                        # The leader was interrupted (its green thread killed):
                        # whether the batch committed is unknown; the client's
                        # retry with the same client_id finds out.
                        waiter.send.error = Unavailable()
                    waiter.woken.set()
                self._hand_over()


def store_and_broadcast(batch: list[Send]) -> None:
    """Store the batch (setting each send's outcome or error), then broadcast what is new."""
    try:
        fresh = _store(batch)
    except Exception as error:  # noqa: BLE001 (each sender's ack reports it)
        for send in batch:
            send.error = error
        return
    if not fresh:
        return
    # In seq order per room: the order they were queued.
    payloads = [send.outcome[0] for send in fresh if send.outcome and send.outcome[0]]
    try:
        metrics.MESSAGES_STORED.inc(len(fresh))
        outbox.wake()
        notify.messages_created(payloads)
    except Exception:  # the messages are stored: their senders are answered ok
        log.exception("broadcasting stored messages failed")


def _store(batch: list[Send]) -> list[Send]:
    """One transaction for the batch, with the retries that keep a batch from failing.

    A connection the database dropped (a restart, an idle timeout) fails the
    first statement: the batch is stored again once, on a fresh connection.
    A client_id repeated from a committed message: again once, looking for
    repeats. A send the database refuses (a constraint) would fail its whole
    batch: then each send is stored on its own, so it fails only itself. Any
    other error (the database is down) fails the batch as a whole: nothing
    of it is stored, and every sender is told.
    """
    repeats_looked_for, reconnected = 0, False
    while True:
        try:
            with db.engine.connect() as conn:
                fresh = store(conn, batch, look_for_repeats=repeats_looked_for > 0)
            metrics.SEND_BATCH_SIZE.observe(len(batch))
            return fresh
        except RetryBatch:
            # Looked for, a repeat can still appear: its original committed by
            # another process between the look and the INSERT. Rare twice.
            if repeats_looked_for == MAX_REPEAT_LOOKS:
                raise Unavailable() from None  # the clients' retries find the originals
            repeats_looked_for += 1
            metrics.SEND_BATCH_RETRIES.labels(reason="repeat").inc()
        except (IntegrityError, DataError):
            if len(batch) == 1:
                raise
            metrics.SEND_BATCH_RETRIES.labels(reason="one_by_one").inc()
            return _store_one_by_one(batch)
        except DBAPIError as error:
            if not error.connection_invalidated or reconnected:
                raise
            reconnected = True
            # The connection may have dropped during COMMIT after the server
            # committed: the next attempt looks for every send's message first
            # (those found are answered as stored; not broadcast live again).
            repeats_looked_for = max(repeats_looked_for, 1)
            metrics.SEND_BATCH_RETRIES.labels(reason="reconnect").inc()


def _store_one_by_one(batch: list[Send]) -> list[Send]:
    fresh: list[Send] = []
    for send in batch:
        try:
            fresh += _store([send])
        except Exception as error:  # noqa: BLE001 (this sender's ack reports it)
            send.error = error
    return fresh


def init_app(app: Flask) -> None:
    app.extensions["chatapp.group_commit"] = GroupCommit(
        app.config["SEND_BATCH_LIMIT"], app.config["SEND_QUEUE_LIMIT"], app.config["SEND_MAX_WAIT"]
    )


def submit(send: Send) -> None:
    """Store `send` through the current app's group commit (see GroupCommit.submit)."""
    committer: GroupCommit = current_app.extensions["chatapp.group_commit"]
    committer.submit(send)
