"""Logging a recurring problem without flooding the logs."""

from __future__ import annotations

import logging
import time


class LogThrottle:
    """Log at most once every `every` seconds; the next line says how many were held back.

    For problems that repeat on every retry (a relay poll, a readiness probe):
    the first occurrence is logged at once, then one line per period.
    """

    def __init__(self, logger: logging.Logger, every: float = 30.0) -> None:
        self.logger = logger
        self.every = every
        self._next = 0.0
        self._held = 0

    def log(self, level: int, msg: str, *args: object) -> bool:
        """Log unless one was logged less than `every` seconds ago; True if logged."""
        now = time.monotonic()
        if now < self._next:
            self._held += 1
            return False
        if self._held:
            msg += " (%d more like it since the last report)"
            args = (*args, self._held)
        self.logger.log(level, msg, *args)
        self._next, self._held = now + self.every, 0
        return True
