"""Production-cost hashing must not freeze the eventlet hub (every other connection)."""

import json
import os
import subprocess
import sys

from tests.server import ROOT


def test_hashing_runs_off_the_hub():
    result = subprocess.run(
        [sys.executable, "tests/scripts/hub_during_hash.py"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ticks = json.loads(result.stdout.strip().splitlines()[-1])
    # Hashing inline blocks the hub: the other green thread gets (almost) no turn.
    assert ticks["inline"] <= 2, ticks
    # Through chatapp the hash runs on an OS thread: the hub keeps serving.
    assert ticks["offloaded"] >= 20, ticks
