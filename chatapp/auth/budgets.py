"""Failed-login and registration budgets: spent before the work, refunded after.

Spent first, atomically: 15 parallel guesses cannot all pass a check made
before any of them is counted (they did, when Flask-Limiter counted failures
after the answer). A login spends one unit from two budgets before its
password is checked:

- RATELIMIT_LOGIN_FAILURES per (username, client address): an attacker
  locks the account only at their own address; its owner logs in from
  anywhere else. The key also holds a digest of the stored password hash, so
  an admin's password reset starts a fresh budget in every process, with or
  without shared storage; and an epoch that `cli.py users unlock` moves on.
- RATELIMIT_LOGIN_ADDRESS per client address, over every username: one
  address cannot try one password against many accounts.

A successful login refunds its address unit and clears its (username,
address) failures; a refused or busy attempt refunds what it spent; a wrong
password keeps both. Successes from other addresses do not clear failures
made here: the owner is not blocked by them, and an attacker would otherwise
win a fresh budget each time the owner logs in. A registration spends from
RATELIMIT_REGISTER per address and is refunded unless it created an account.

Budgets are counters in Flask-Limiter's storage (memory, or Redis shared by
every process): `incr` is atomic and can be taken back, which the
moving-window entries of chatapp.services.limits cannot. A budget's window
therefore starts at its first spend and ends N minutes later. IPv6 clients
are counted per /64, the block one customer usually holds.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import time
from dataclasses import dataclass, field

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage, Storage

from chatapp.errors import RateLimited
from chatapp.extensions import limiter
from chatapp.log_throttle import LogThrottle

log = logging.getLogger(__name__)

# While the shared storage (Redis) is unreachable, budgets are kept per
# process here: logins go on, still limited, instead of failing.


@functools.cache
def _fallback() -> MemoryStorage:
    # Made on first need, not at import: MemoryStorage starts a timer thread.
    return MemoryStorage()


_storage_down = LogThrottle(log, every=60.0)

# An unlock epoch outlives every failure counted under the one before it.
EPOCH_SECONDS = 30 * 24 * 3600


def address_key(address: str | None) -> str:
    """The client address as budgets count it: IPv4 as is, IPv6 by its /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "?"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is an IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _storage() -> Storage:
    return limiter.storage


def _call(method: str, *args):
    """(result, storage used): the shared storage, or the local fallback when it fails."""
    try:
        storage = _storage()
        return getattr(storage, method)(*args), storage
    except Exception as error:  # noqa: BLE001 (storage down: degrade, do not fail)
        _storage_down.log(  # once a minute, not once per login
            logging.WARNING,
            "rate-limit storage unavailable (%s); using per-process login budgets",
            error.__class__.__name__,
        )
        return getattr(_fallback(), method)(*args), _fallback()


@dataclass
class Spent:
    """Units taken from budgets, which can be given back."""

    units: list[tuple[Storage, str, int]] = field(default_factory=list)

    def refund(self) -> None:
        """Give back every unit (the attempt did not count)."""
        for storage, key, expiry in self.units:
            _safely(_refund, storage, key, expiry)
        self.units.clear()


def _refund(storage: Storage, key: str, expiry: int) -> None:
    if storage.incr(key, expiry, -1) < 0:
        # The window ended meanwhile: the -1 made a new counter; drop it.
        storage.clear(key)


def _safely(function, *args) -> None:
    try:
        function(*args)
    except Exception:  # noqa: BLE001 (a refund lost to an outage costs one unit)
        log.warning("could not refund a login budget unit", exc_info=True)


def _spend(spent: Spent, budget: str, key: str) -> None:
    """Take one unit from the budget named by config key `budget`, or raise RateLimited."""
    item = parse(current_app.config[budget])
    expiry = item.get_expiry()
    count, storage = _call("incr", key, expiry)
    if count <= item.amount:
        spent.units.append((storage, key, expiry))
        return
    spent.refund()  # what earlier budgets gave for this attempt
    try:
        retry = storage.get_expiry(key) - time.time()
    except Exception:  # noqa: BLE001
        retry = expiry
    raise RateLimited(
        retry_after=math.ceil(max(1.0, retry)),
        message="Too many failed attempts; wait before trying again.",
    )


def _epoch(name_key: str) -> int:
    return _call("get", f"login-epoch:{name_key}")[0]


def spend_login(name_key: str, password_fingerprint: str, address: str | None) -> Spent:
    """Spend one login attempt for `name_key` from `address`, or raise RateLimited."""
    spent = Spent()
    if not limiter.enabled:
        return spent
    where = address_key(address)
    user_key = f"login-failures:{name_key}:{password_fingerprint}:{_epoch(name_key)}:{where}"
    _spend(spent, "RATELIMIT_LOGIN_FAILURES", user_key)
    _spend(spent, "RATELIMIT_LOGIN_ADDRESS", f"login-address:{where}")
    return spent


def login_succeeded(spent: Spent) -> None:
    """The password was right: its address unit back, its (user, address) failures gone."""
    for storage, key, expiry in spent.units:
        if key.startswith("login-failures:"):
            _safely(storage.clear, key)
        else:
            _safely(_refund, storage, key, expiry)
    spent.units.clear()


def spend_registration(address: str | None) -> Spent:
    """Spend one registration for `address`, or raise RateLimited; refund unless created."""
    spent = Spent()
    if limiter.enabled:
        _spend(spent, "RATELIMIT_REGISTER", f"register:{address_key(address)}")
    return spent


def forget_failures(name_key: str) -> None:
    """Forget `name_key`'s failed logins from every address (an admin's unlock).

    The epoch in every failure key becomes the time of this unlock: later than
    any epoch before, even after an old one expired, so no count comes back.
    """
    if not limiter.enabled:
        return
    key = f"login-epoch:{name_key}"
    _call("clear", key)
    _call("incr", key, EPOCH_SECONDS, time.time_ns() // 1_000_000)


def shared() -> bool:
    """Whether budgets live where other processes see them (Redis), not in this one."""
    return limiter.enabled and not isinstance(_storage(), MemoryStorage)
