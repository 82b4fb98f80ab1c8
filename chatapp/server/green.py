"""Whether eventlet's green hub is in charge of this process, and what lives beside it.

`serve` and the gunicorn worker monkey patch the standard library before
anything else runs; the test suite, the admin CLI and scripts do not. Code
elsewhere asks here instead of looking for eventlet itself, so this is the one
place to change if the async server ever changes.
"""

from __future__ import annotations

import select
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: Loggers of the async server, kept at WARNING like other libraries'.
LOGGERS = ("eventlet",)


def _eventlet() -> Any:
    # Never imported here: importing eventlet prints its deprecation notice,
    # and only the entry points that patch should import it.
    return sys.modules.get("eventlet")


def patched(module: str = "thread") -> bool:
    """True once eventlet has monkey patched `module` ("thread", "socket", ...)."""
    eventlet = _eventlet()
    return eventlet is not None and eventlet.patcher.is_monkey_patched(module)


def real_threading() -> Any:
    """The threading module of real OS threads, even in a patched process."""
    if patched("thread"):
        return _eventlet().patcher.original("threading")
    return threading


def real_select() -> Any:
    """The select module of the OS, with poll(), even in a patched process.

    eventlet's green select removes poll() and makes a zero-timeout select()
    switch to the hub; a non-blocking readiness check wants neither.
    """
    if patched("select"):
        return _eventlet().patcher.original("select")
    return select


def os_lock() -> Any:
    """An RLock of the OS, safe to share between green threads and real threads.

    A green lock contended across OS threads makes the hub switch greenlets
    between threads, and it dies ("Cannot switch to a different thread").
    """
    return real_threading().RLock()


def off_hub(function: Callable[..., T], *args: Any) -> T:
    """Run CPU-heavy `function` on an OS thread when the green hub is in charge.

    Every green thread shares one OS thread: run inline, a 20 ms hash would
    stall every connection of the process for 20 ms.
    """
    if patched("thread"):
        from eventlet import tpool

        return tpool.execute(function, *args)
    return function(*args)


def socketio_mode(configured: str | None) -> str | None:
    """SOCKETIO_ASYNC_MODE, or "eventlet" in a process eventlet has patched.

    Left to itself, Flask-SocketIO picks "threading" whenever FLASK_RUN_FROM_CLI
    is set, and Click's FlaskGroup sets it for every `cli.py` command, `serve`
    included. `serve` then ran on eventlet's hub with the threading driver: a
    green thread per websocket reader and simple-websocket's wsproto framing
    instead of eventlet's own websocket, and half the fan-out ceiling
    (docs/benchmarks.md).
    """
    if configured is None and patched("socket"):
        return "eventlet"
    return configured
