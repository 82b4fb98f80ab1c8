"""Fault run: NATS down for a real 3 minutes under chat load, then the stream audited.

    .venv/bin/python -m bench.nats_outage [--outage 180] [--rate 10]

Longer than nats-py's default reconnect budget (60 attempts, 2 s apart,
about 2 minutes): chatapp must keep chatting (the outbox holds the events),
reconnect when NATS returns, drain the backlog, and leave the stream with
every acknowledged message exactly once. One `serve` process with
PostgreSQL, a private Redis and a private NATS (JetStream, file store, so the
stream survives the stop). Chat load: 100 clients in one room, 5 senders.
The outbox backlog is read from /metrics every 5 s.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections import Counter

import requests

from bench.common import chatapp_server, loadgen, make_tokens, private_services, save
from tests.helpers.stream import message_events, read_stream
from tests.helpers.wait import wait_for

LEAD, TAIL = 30, 60  # seconds of chat before the outage and after NATS returns


def backlog(url: str) -> int:
    text = requests.get(f"{url}/metrics", timeout=5).text
    match = re.search(r"^chatapp_outbox_backlog (\S+)$", text, re.M)
    return int(float(match.group(1))) if match else -1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outage", type=float, default=180)
    parser.add_argument("--rate", type=float, default=10)
    args = parser.parse_args()
    duration = LEAD + args.outage + TAIL
    samples: list[tuple[int, int]] = []
    result: dict = {}
    with private_services("chatapp_natsout", nats=True) as env:
        work, database_url = env.work, env.database_url
        redis_server, nats_server = env.redis, env.nats
        extra = {"REDIS_URL": redis_server.url, "NATS_URL": nats_server.url}
        with chatapp_server(work, database_url, **extra) as chat:
            tokens = make_tokens(chat.url, 100, work / "tokens.json")
            acked = work / "acked.json"
            load: dict = {}

            def run_load() -> None:
                load.update(
                    loadgen(
                        chat.url,
                        tokens,
                        clients=100,
                        senders=5,
                        rate=args.rate,
                        duration=duration,
                        room="outage",
                        acked_out=acked,
                    )
                )

            thread = threading.Thread(target=run_load)
            thread.start()
            began = time.monotonic()

            def sample_until(until: float) -> None:
                while time.monotonic() - began < until:
                    samples.append((round(time.monotonic() - began), backlog(chat.url)))
                    time.sleep(5)

            sample_until(LEAD)
            nats_server.stop()
            print(f"# NATS stopped at {time.monotonic() - began:.0f} s", file=sys.stderr)
            sample_until(LEAD + args.outage)
            nats_server.start()
            back_at = time.monotonic()
            print(f"# NATS back at {back_at - began:.0f} s", file=sys.stderr)
            wait_for(lambda: backlog(chat.url) == 0, 300, 0.5, "the outbox to drain")
            result["drained_s_after_return"] = round(time.monotonic() - back_at, 1)
            sample_until(duration)
            thread.join(600)
            result["chat"] = {
                k: load[k]
                for k in (
                    "sent",
                    "acked",
                    "send_errors",
                    "lost",
                    "duplicates",
                    "ack_ms",
                    "delivery_ms",
                )
            }
        ids = json.loads(acked.read_text())
        found = Counter(
            e["data"]["client_id"] for e in message_events(read_stream(nats_server.url))
        )
        result["stream"] = {
            "acked": len(ids),
            "missing": sum(1 for c in ids if found[c] == 0),
            "duplicated": sum(1 for c in ids if found[c] > 1),
        }
        result["backlog_peak"] = max(b for _, b in samples)
        result["backlog_samples"] = samples
    save("nats-outage", result)
    print(json.dumps({k: v for k, v in result.items() if k != "backlog_samples"}, indent=2))


if __name__ == "__main__":
    main()
