"""The benchmark tools measure what they claim: a short real run of the load generator."""

import json
import subprocess
import sys

import pytest

from bench.common import baseline_server
from tests.helpers.server import ROOT

pytestmark = pytest.mark.slow


def test_loadgen_counts_every_delivery_against_the_baseline():
    with baseline_server(None) as (url, _pid):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.loadgen",
                "--url",
                url,
                "--clients",
                "6",
                "--rooms",
                "2",
                "--senders",
                "2",
                "--rate",
                "20",
                "--duration",
                "1",
                "--drain",
                "1",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["held"] == 6 and result["failed"] == 0
    assert result["acked"] == result["sent"] > 0 and result["send_errors"] == 0
    # Each message reaches the 3 members of its sender's room, each once.
    assert result["deliveries"] == 3 * result["acked"]
    assert result["lost"] == 0 and result["duplicates"] == 0
