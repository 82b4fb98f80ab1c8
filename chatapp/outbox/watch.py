"""Is the relay moving? Judged from the outbox itself, so any process can tell.

A backlog alone says little (a burst drains in a moment, and after an outage
old rows drain fast). The sign of a stuck relay is the oldest pending row
staying the same: each process remembers which row was oldest when it last
looked and since when, and calls the relay stuck once the same row has been
the oldest for NATS_RELAY_STUCK_AFTER seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select

from chatapp.extensions import db
from chatapp.models import OutboxEvent
from chatapp.models.types import utcnow


@dataclass
class RelayState:
    backlog: int
    oldest_age_s: float | None
    stuck: bool

    @property
    def status(self) -> str:
        if self.backlog == 0:
            return "idle"
        return "stuck" if self.stuck else "moving"


class RelayWatch:
    """One per app; `observe()` from /readyz and /metrics (inside an app context)."""

    def __init__(self, stuck_after: float) -> None:
        self.stuck_after = stuck_after
        self._oldest_id: int | None = None
        self._since = 0.0  # monotonic time `_oldest_id` was first seen as the oldest

    def observe(self) -> RelayState:
        backlog = db.session.execute(select(func.count(OutboxEvent.id))).scalar_one()
        oldest = db.session.execute(
            select(OutboxEvent.id, OutboxEvent.created_at).order_by(OutboxEvent.id).limit(1)
        ).first()
        db.session.rollback()
        now = time.monotonic()
        oldest_id = oldest.id if oldest else None
        if oldest_id != self._oldest_id:
            # Seen for the first time: not yet known to be stuck, whatever its age.
            self._oldest_id, self._since = oldest_id, now
        if oldest is None:
            return RelayState(backlog=0, oldest_age_s=None, stuck=False)
        age = max(0.0, (utcnow() - oldest.created_at).total_seconds())
        stuck = now - self._since >= self.stuck_after
        return RelayState(backlog=backlog, oldest_age_s=round(age, 3), stuck=stuck)
