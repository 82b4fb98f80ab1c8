"""Real eventlet processes (scripts that patch first, and `serve`): what only they can show.

Production-cost hashing leaves the hub free, logging from an OS thread and
green threads at once works, and bursts of logins are all served.
"""

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.helpers.server import ROOT

pytestmark = pytest.mark.slow


def run_script(name: str) -> subprocess.CompletedProcess:
    """`python -m tests.scripts.NAME` from the project's root (where it imports from)."""
    return subprocess.run(
        [sys.executable, "-m", f"tests.scripts.{name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hashing_runs_off_the_hub():
    result = run_script("hub_during_hash")
    assert result.returncode == 0, result.stderr[-3000:]
    turns = json.loads(result.stdout.strip().splitlines()[-1])
    # Through chatapp each hash runs on an OS thread: the hub serves others meanwhile.
    assert turns["offloaded"] == [True] * 5, turns
    # Hashing inline blocks the hub: no other green thread gets a turn (the check can fail).
    assert turns["inline"] == [False] * 2, turns


def test_logging_from_a_real_thread_and_green_threads_at_once():
    """The NATS link logs from an OS thread; a green lock there breaks the hub.

    Records used to name their thread, which under eventlet takes a green lock
    (eventlet#647): CI once hung here for 120 s.
    """
    result = run_script("logging_across_threads")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_a_finished_connection_leaves_no_reference_cycle():
    """eventlet's protocol object, held by a closure in its own environ, waited for a GC pass.

    With ~40 objects each (buffers, headers), those cycles fed the collector
    passes that stall the hub (docs/benchmarks.md, capacity).
    """
    result = run_script("finished_connections")
    assert result.returncode == 0, result.stderr[-3000:]
    left = json.loads(result.stdout.strip().splitlines()[-1])
    assert left["chatapp"] == {"served": 20, "protocols_in_cycles": 0}, left
    # The control: the count does see cycles (eventlet's own protocol makes one per connection).
    assert left["eventlet"] == {"served": 20, "protocols_in_cycles": 20}, left


def test_bursts_of_registrations_and_logins_are_all_served(serve):
    """A real server on SQLite at the production hash cost: 60 sign-ups, then 60 logins at once.

    Every one is answered 201/200 (no 503, no 500 from a drained connection
    pool), and a request needing the database is served while they queue.
    """
    server = serve(
        PASSWORD_ARGON2_TIME_COST="2",
        PASSWORD_ARGON2_MEMORY_KIB="19456",
        PASSWORD_HASH_WORKERS="1",
        RATELIMIT_REGISTER="1000 per hour",
        RATELIMIT_ANONYMOUS="1000 per minute",
        RATELIMIT_USER="1000 per minute",
        # Logins in flight hold a unit of the failure budgets until answered.
        RATELIMIT_LOGIN_FAILURES="100 per 15 minutes",
        RATELIMIT_LOGIN_ADDRESS="100 per 15 minutes",
    )
    url = server.url
    body = {"username": "watcher", "password": "correct horse"}
    requests.post(f"{url}/api/auth/register", json=body, timeout=30)
    token = requests.post(f"{url}/api/auth/login", json=body, timeout=30).json()["token"]
    count = 60
    users = [{"username": f"burst{n}", "password": "correct horse"} for n in range(count)]

    def burst(path):
        barrier = threading.Barrier(count + 1)
        me: list = []

        def one(user):
            barrier.wait(10)
            return requests.post(f"{url}{path}", json=user, timeout=120).status_code

        def watch():
            barrier.wait(10)
            headers = {"Authorization": f"Bearer {token}"}
            me.append(requests.get(f"{url}/api/auth/me", headers=headers, timeout=120))

        watcher = threading.Thread(target=watch)
        watcher.start()
        with ThreadPoolExecutor(count) as pool:
            statuses = list(pool.map(one, users, timeout=180))
        watcher.join(120)
        assert me[0].status_code == 200
        return statuses

    assert burst("/api/auth/register") == [201] * count
    assert burst("/api/auth/login") == [200] * count
