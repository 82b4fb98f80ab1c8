"""Budgets hold under requests that arrive together at a real `serve` process.

Each test has a server of its own: every one spends the budgets it checks.
"""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.slow


#: Hashing at the production cost (so the requests overlap in the server), and small budgets.
SETTINGS = {
    "PASSWORD_ARGON2_TIME_COST": "2",
    "PASSWORD_ARGON2_MEMORY_KIB": "19456",
    "RATELIMIT_LOGIN_FAILURES": "5 per 15 minutes",
    "RATELIMIT_REGISTER": "3 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
}


def at_once(count: int, request) -> list[int]:
    """Send `count` requests from as many threads released together; their statuses."""
    barrier = threading.Barrier(count)

    def one(_):
        barrier.wait(10)
        return request().status_code

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count), timeout=120))


def test_parallel_wrong_guesses_spend_at_most_the_budget(serve):
    server = serve(**SETTINGS)
    body = {"username": "alice", "password": "correct horse"}
    assert requests.post(f"{server.url}/api/auth/register", json=body, timeout=30).ok
    guess = {"username": "alice", "password": "wrong guess"}
    statuses = at_once(
        15, lambda: requests.post(f"{server.url}/api/auth/login", json=guess, timeout=60)
    )
    # Checked before any was counted, all 15 were tried; spent first, 5 are.
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 10, statuses
    login = requests.post(f"{server.url}/api/auth/login", json=body, timeout=30)
    assert login.status_code == 429


def test_parallel_registrations_from_one_address_create_at_most_the_budget(serve):
    server = serve(**SETTINGS)
    statuses = at_once(
        10,
        lambda: requests.post(
            f"{server.url}/api/auth/register",
            json={"username": f"user-{uuid.uuid4().hex[:8]}", "password": "correct horse"},
            timeout=60,
        ),
    )
    assert sorted(statuses) == [201] * 3 + [429] * 7, statuses
