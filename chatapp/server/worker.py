"""Starting a serving process: the same steps for `serve` and the gunicorn worker."""

from __future__ import annotations

import resource

from flask import Flask

from chatapp.server.background import freeze_startup_objects, start_background_work


def raise_open_files_limit(wanted: int) -> int:
    """Lift the soft file-descriptor limit towards `wanted` (+ headroom); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted + 256
    if hard != resource.RLIM_INFINITY:
        target = min(target, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def start_worker(app: Flask, max_connections: int) -> tuple[int, int]:
    """Open-files limit, GC freeze, background tasks; (files limit, objects frozen).

    Called once logging is configured and the database migrated, right before
    the process starts accepting connections.
    """
    limit = raise_open_files_limit(max_connections)
    frozen = freeze_startup_objects()
    start_background_work(app)
    return limit, frozen
