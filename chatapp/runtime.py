"""Long-running work a server process does beside serving requests."""

from __future__ import annotations

from flask import Flask


def start_background_work(app: Flask) -> None:
    """Start the per-process background tasks (presence refresh, NATS relay)."""


def stop_background_work(app: Flask) -> None:
    """Stop them, flushing what can be flushed."""
