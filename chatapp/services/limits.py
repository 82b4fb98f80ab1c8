"""Rate limits for socket events, checked against Flask-Limiter's own storage.

Flask-Limiter's decorators do nothing on Socket.IO handlers, so socket events
spend budgets here, in the same storage (memory, or Redis shared by every
process) and honouring RATELIMIT_ENABLED like the REST limits.
"""

from __future__ import annotations

import functools
import logging
import math
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from chatapp.errors import RateLimited
from chatapp.extensions import limiter
from chatapp.log_throttle import LogThrottle

log = logging.getLogger(__name__)

# While the shared storage (Redis) is unreachable, budgets are kept per process
# here: chat goes on, still limited, instead of refusing every event.


@functools.cache
def _fallback() -> MovingWindowRateLimiter:
    # Made on first need, not at import: MemoryStorage starts a timer thread.
    return MovingWindowRateLimiter(MemoryStorage())


# Once a minute, not once per event: an outage under load would otherwise
# write hundreds of identical lines a second.
_storage_down = LogThrottle(log, every=60.0)


def _hit(item, budget: str, identity: str, cost: int = 1):
    """(allowed, strategy used) from the shared storage, or the local fallback."""
    try:
        return limiter.limiter.hit(item, budget, identity, cost=cost), limiter.limiter
    except Exception as error:  # noqa: BLE001 (storage down: degrade, do not fail)
        _storage_down.log(
            logging.WARNING,
            "rate-limit storage unavailable (%s); using per-process limits",
            error.__class__.__name__,
        )
        return _fallback().hit(item, budget, identity, cost=cost), _fallback()


def spend(budget: str, identity: str, cost: int = 1) -> None:
    """Spend from the budget named by config key `budget`, or raise RateLimited."""
    if not limiter.enabled:
        return
    item = parse(current_app.config[budget])
    allowed, strategy = _hit(item, budget, identity, cost)
    if allowed:
        return
    stats = strategy.get_window_stats(item, budget, identity)
    raise RateLimited(retry_after=math.ceil(max(1.0, stats.reset_time - time.time())))


def flooding(identity: str) -> bool:
    """Count one refusal for `identity`; True once it keeps going regardless."""
    if not limiter.enabled:
        return False
    item = parse(current_app.config["RATELIMIT_FLOOD"])
    return not _hit(item, "RATELIMIT_FLOOD", identity)[0]
