"""Waiting on a condition with a deadline, never on a bare sleep."""

from __future__ import annotations

import time


def wait_for(condition, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Poll `condition` until it returns a truthy value or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
