"""What the team-chat end-to-end tests share: names, REST calls, acks without trace ids, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import requests

from tests.helpers.server import ROOT

#: Budgets out of the way of tests that act for many users from one address.
RELAXED_LIMITS = {
    "RATELIMIT_MESSAGES": "1000 per 10 seconds",
    "RATELIMIT_JOINS": "1000 per minute",
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
    "RATELIMIT_LOGIN_ADDRESS": "1000 per 15 minutes",
}


def unique(base: str) -> str:
    """`base` plus six random hex digits: a name no other test uses (all the same length)."""
    return f"{base}{uuid.uuid4().hex[:6]}"


def api(server, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """An authenticated REST call to `server`: api(a, token, "get", "/api/me/rooms")."""
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{server.url}{path}", headers=headers, timeout=10, **kwargs)


def bare(ack: dict[str, Any]) -> dict[str, Any]:
    """An ack without its trace id, the one part that differs between two identical answers."""
    return {key: value for key, value in ack.items() if key != "trace_id"}


def admin_cli(env: dict[str, str], *args: str) -> str:
    """Run `python cli.py ARGS` with a server's settings, as an operator would; its output."""
    done = subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
