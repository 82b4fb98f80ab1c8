"""Password hashing: Argon2id at OWASP's first-choice cost, through the hash gate.

Argon2id with m=19 MiB, t=2, p=1 (OWASP's first recommendation) takes about
20 ms of one core here, against 190-340 ms for the scrypt N=2^15, r=8, p=3
used before, at a comparable strength against GPUs (memory-hard, side-channel
resistant). The parameters are settings (PASSWORD_ARGON2_*).

Hashes made before (Werkzeug's "scrypt:..." strings) still verify, and are
replaced by an Argon2id hash on the next successful login; so are Argon2
hashes made with other parameters (`check_needs_rehash`), so raising the cost
later upgrades every active account without a reset.

Every hash and check runs through the gate (chatapp.auth.gate): on an OS
thread, a few at a time, refused early when the queue is too long.
"""

from __future__ import annotations

import hashlib
import os
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app
from werkzeug.security import check_password_hash

from chatapp.auth.gate import HashGate
from chatapp.server.green import off_hub

ARGON2_PREFIX = "$argon2"


def hasher_for(config) -> PasswordHasher:
    """The Argon2id hasher the PASSWORD_ARGON2_* settings describe."""
    return PasswordHasher(
        time_cost=config["PASSWORD_ARGON2_TIME_COST"],
        memory_cost=config["PASSWORD_ARGON2_MEMORY_KIB"],
        parallelism=config["PASSWORD_ARGON2_PARALLELISM"],
    )


def check_settings(app: Flask) -> None:
    """Refuse impossible Argon2 parameters at startup rather than at the first login."""
    config = app.config
    time_cost = config["PASSWORD_ARGON2_TIME_COST"]
    memory = config["PASSWORD_ARGON2_MEMORY_KIB"]
    parallelism = config["PASSWORD_ARGON2_PARALLELISM"]
    if time_cost < 1 or parallelism < 1 or memory < 8 * parallelism:
        raise RuntimeError(
            "PASSWORD_ARGON2_TIME_COST and PASSWORD_ARGON2_PARALLELISM must be at least 1, "
            "and PASSWORD_ARGON2_MEMORY_KIB at least 8 x PASSWORD_ARGON2_PARALLELISM."
        )


class _Hashing:
    """One app's hasher, gate and dummy hash, made on first use (after monkey patching)."""

    def __init__(self, config) -> None:
        self.hasher = hasher_for(config)
        # The dummy hash that unknown users are checked against doubles as the
        # gate's first measurement of what a hash costs on this machine.
        started = time.perf_counter()
        self.dummy = off_hub(self.hasher.hash, "not-a-password")
        elapsed = time.perf_counter() - started
        workers = config["PASSWORD_HASH_WORKERS"] or max(1, (os.cpu_count() or 2) - 1)
        self.gate = HashGate(
            workers, config["PASSWORD_HASH_MAX_WAIT"], config["PASSWORD_HASH_QUEUE"], elapsed
        )


def _hashing() -> _Hashing:
    hashing = current_app.extensions.get("chatapp.hashing")
    if hashing is None:
        hashing = current_app.extensions.setdefault("chatapp.hashing", _Hashing(current_app.config))
    return hashing


def hash_gate() -> HashGate:
    """This app's hash gate."""
    return _hashing().gate


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` (waits in the gate; may raise Busy)."""
    hashing = _hashing()
    return hashing.gate.run(hashing.hasher.hash, password)


def _verify(hasher: PasswordHasher, stored: str, password: str) -> tuple[bool, str | None]:
    """(matches, a fresh hash to store instead, or None); runs on a gate slot."""
    if stored.startswith(ARGON2_PREFIX):
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False, None
        return True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None
    # A Werkzeug hash from before Argon2 (scrypt): check it, then upgrade it.
    if check_password_hash(stored, password):
        return True, hasher.hash(password)
    return False, None


def check_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Check `password` against a stored hash: (matches, new hash to store or None).

    With no stored hash (unknown user) the dummy hash is checked instead and
    the answer is False: a login for a missing account costs the same time as
    one with a wrong password, so timing reveals no usernames. The rehash, when
    one is due, runs in the same gate slot as the check.
    """
    hashing = _hashing()
    if stored is None:
        hashing.gate.run(_verify, hashing.hasher, hashing.dummy, password)
        return False, None
    return hashing.gate.run(_verify, hashing.hasher, stored, password)


def fingerprint(stored: str | None) -> str:
    """A short digest of a stored hash: it changes whenever the password is reset."""
    if stored is None:
        return "-"
    return hashlib.sha256(stored.encode()).hexdigest()[:16]
