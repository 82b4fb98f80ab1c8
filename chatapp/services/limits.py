"""Rate limits for socket events, checked against Flask-Limiter's own storage.

Flask-Limiter's decorators do nothing on Socket.IO handlers, so socket events
spend budgets here, in the same storage (memory, or Redis shared by every
process) and honouring RATELIMIT_ENABLED like the REST limits.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import parse

from chatapp.errors import RateLimited
from chatapp.extensions import limiter


def spend(budget: str, identity: str, cost: int = 1) -> None:
    """Spend from the budget named by config key `budget`, or raise RateLimited."""
    if not limiter.enabled:
        return
    item = parse(current_app.config[budget])
    if limiter.limiter.hit(item, budget, identity, cost=cost):
        return
    stats = limiter.limiter.get_window_stats(item, budget, identity)
    raise RateLimited(retry_after=math.ceil(max(1.0, stats.reset_time - time.time())))


def flooding(identity: str) -> bool:
    """Count one refusal for `identity`; True once it keeps going regardless."""
    if not limiter.enabled:
        return False
    item = parse(current_app.config["RATELIMIT_FLOOD"])
    return not limiter.limiter.hit(item, "RATELIMIT_FLOOD", identity)
