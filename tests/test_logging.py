"""Logs: safe across the eventlet hub and the NATS thread; JSON; no secrets."""

import os
import subprocess
import sys

from tests.server import ROOT


def test_logging_from_a_real_thread_and_green_threads_at_once():
    """The NATS link logs from an OS thread; a green lock there breaks the hub."""
    result = subprocess.run(
        [sys.executable, "tests/scripts/logging_across_threads.py"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
