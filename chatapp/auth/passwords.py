"""Password hashing at an OWASP-grade cost without freezing the server.

scrypt at N=2^15, r=8, p=3 takes a few hundred milliseconds of CPU. Under
eventlet every green thread shares one OS thread, so hashing inline would
stall every connection of the process; `eventlet.tpool` runs it on a real OS
thread instead (hashlib releases the GIL while it works).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

T = TypeVar("T")

_dummy_hashes: dict[str, str] = {}


def _off_hub(function: Callable[..., T], *args) -> T:
    """Run CPU-heavy `function` on an OS thread when eventlet is in charge."""
    eventlet = sys.modules.get("eventlet")
    if eventlet is not None and eventlet.patcher.is_monkey_patched("thread"):
        from eventlet import tpool

        return tpool.execute(function, *args)
    return function(*args)


def hash_password(password: str) -> str:
    """Hash `password` with the configured method (PASSWORD_HASH_METHOD)."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    return _off_hub(generate_password_hash, password, method)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check `password`; with no hash, spend the same time and answer False.

    Hashing a dummy for unknown users keeps a login for a missing account as
    slow as one with a wrong password, so timing reveals no usernames.
    """
    if password_hash is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _dummy_hashes:
            _dummy_hashes[method] = generate_password_hash("not-a-password", method)
        _off_hub(check_password_hash, _dummy_hashes[method], password)
        return False
    return _off_hub(check_password_hash, password_hash, password)
