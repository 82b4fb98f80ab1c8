"""The relay: publishes committed outbox rows to NATS, in order, then deletes them."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from sqlalchemy import delete, select

from chatapp import outbox
from chatapp.extensions import db, socketio
from chatapp.log_throttle import LogThrottle
from chatapp.metrics import DEAD_LETTERS_TOTAL, PUBLISH_FAILURES
from chatapp.models import OutboxEvent
from chatapp.outbox import dead_letters
from chatapp.outbox.leader import Leadership
from chatapp.outbox.link import NatsLink

log = logging.getLogger(__name__)
_stalled = LogThrottle(log, every=30.0)


class Relay:
    """One per process; only the leader publishes. Runs as a background green thread."""

    def __init__(self, app: Flask, link: NatsLink) -> None:
        self.app = app
        self.link = link
        self.leadership = Leadership()
        self.batch = app.config["NATS_BATCH"]
        self.rate = app.config["NATS_PUBLISH_RATE"]
        self.interval = app.config["NATS_RELAY_INTERVAL"]
        self.gather = app.config["NATS_RELAY_GATHER"]
        self.running = False
        self.leading = False
        # An event of the async driver (a green one under the hub), made at start().
        self._wakeup: threading.Event | None = None
        self._tokens = float(self.rate)
        self._refilled = time.monotonic()

    def start(self) -> None:
        self.running = True
        self._wakeup = socketio.server.eio.create_event()
        self.link.start()
        socketio.start_background_task(self.run)

    def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop, first publishing what is pending for up to `drain_seconds`."""
        deadline = time.monotonic() + drain_seconds
        while self.running and time.monotonic() < deadline and self.link.connected:
            with self.app.app_context():
                if not self.leading or outbox.backlog()[0] == 0:
                    break
            socketio.sleep(0.05)
        self.running = False
        if self._wakeup is not None:
            self._wakeup.set()  # out of its nap at once
        self.leadership.release()
        self.link.stop()

    def wake(self) -> None:
        """New rows were committed here: publish them now, not at the next poll."""
        if self._wakeup is not None:
            self._wakeup.set()

    def run(self) -> None:
        while self.running:
            try:
                with self.app.app_context():
                    worked = self.step()
            except TimeoutError:
                # The NATS link did not answer a batch in time: a transient
                # failure like the others, counted and throttled, no traceback.
                PUBLISH_FAILURES.inc()
                _stalled.log(logging.WARNING, "the NATS link did not answer a batch; retrying")
                worked = False
            except Exception:
                log.exception("outbox relay step failed; retrying")
                worked = False
                socketio.sleep(1.0)
            if not worked:
                self._nap(self.interval)

    def step(self) -> bool:
        """Publish one batch; True if it did anything (so run again at once)."""
        if not self.link.connected:
            self._nap(0.25)
            return False
        self.leading = self.leadership.acquire()
        if not self.leading:
            return False
        allowed = self._take_tokens()
        if allowed == 0:
            socketio.sleep(1.0 / self.rate)
            return False
        rows = db.session.execute(
            select(OutboxEvent.id, OutboxEvent.subject, OutboxEvent.event_id, OutboxEvent.payload)
            .order_by(OutboxEvent.id)
            .limit(allowed)
        ).all()
        db.session.rollback()  # end the read transaction before the network wait
        if not rows:
            self._tokens += allowed
            return False
        entries = [(row.subject, row.event_id, row.payload.encode()) for row in rows]
        handoff = self.link.submit(self.link.publish_batch, entries)
        done, refused = handoff.wait(socketio.sleep, 60)
        self._tokens += allowed - done - (1 if refused else 0)
        if done:
            ids = [row.id for row in rows[:done]]
            db.session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids)))
        if refused:
            # In the same transaction: the row leaves the outbox only if it is kept.
            bad = rows[done]
            dead_letters.bury(bad.id, refused)
        db.session.commit()
        if refused:
            DEAD_LETTERS_TOTAL.inc()
            log.error(
                "outbox event %s (id %d, subject %r) can never be published, moved to the "
                "dead letters: %s; see `cli.py events dead-letters list`",
                bad.event_id,
                bad.id,
                bad.subject,
                refused,
            )
            return True  # the rest, at once and in order
        if done < len(rows):
            PUBLISH_FAILURES.inc()
        # Progress, even partial, goes on at once: a batch can stop short for a
        # reason that is already gone (a row JetStream had from an earlier try
        # breaks the chain of the next; see chatapp.outbox.publish). So does a
        # full batch (more may wait). A batch that emptied the outbox, or moved
        # nothing, naps until the next commit's wake or NATS_RELAY_INTERVAL.
        return done > 0 and (done < len(rows) or len(rows) == allowed)

    def _take_tokens(self) -> int:
        """How many events the publish-rate cap allows now (a one-second bucket)."""
        now = time.monotonic()
        self._tokens = min(float(self.rate), self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now
        allowed = min(self.batch, int(self._tokens))
        self._tokens -= allowed
        return allowed

    def _nap(self, seconds: float) -> None:
        """Wait up to `seconds`, or until `wake()` (a commit here) or `stop()`."""
        if self._wakeup is None:  # stepped by hand, without start()
            self._wakeup = socketio.server.eio.create_event()
        if self._wakeup.wait(seconds) and self.running and self.gather:
            socketio.sleep(self.gather)  # the next moments' commits join this batch
        self._wakeup.clear()
