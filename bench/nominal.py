"""Nominal load: 1,000 clients in 50 rooms of 20, 20 messages per second in, everything on.

    .venv/bin/python -m bench.nominal [--duration 60] [--only chatapp]

chatapp runs as one `serve` process with PostgreSQL, a private Redis (queue,
presence, limits' storage) and a private NATS with JetStream (the outbox
relay publishing every message). 50 senders, one per room, share the 20
msg/s. Target: send-to-delivery p99 under 50 ms with zero loss. Afterwards
the stream must hold every acknowledged message exactly once. The bare
baseline (with the same Redis queue) runs the same load for comparison.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from bench.common import (
    CpuMeter,
    MachineMeter,
    baseline_server,
    chatapp_server,
    loadgen,
    make_tokens,
    print_load_table,
    private_services,
    rss_mib,
    save,
)
from tests.helpers.stream import message_events, read_stream
from tests.helpers.wait import wait_for

LOAD = {"clients": 1000, "rooms": 50, "senders": 50, "rate": 20, "room": "nominal"}


def stream_check(nats_url: str, acked_path: Path) -> dict:
    """Every acknowledged message in the stream exactly once?"""
    acked = set(json.loads(acked_path.read_text()))

    def all_there():
        found = Counter(e["data"]["client_id"] for e in message_events(read_stream(nats_url)))
        return found if acked <= set(found) else None

    found = wait_for(all_there, 120, 1, "every acknowledged message in the stream")
    return {
        "acked": len(acked),
        "in_stream": sum(found[c] for c in acked),
        "missing": len(acked - set(found)),
        "duplicated": sum(1 for c in acked if found[c] > 1),
    }


def readings(row: dict, server: str, pid: int, meter, machine) -> dict:
    row.update(
        server=server,
        server_cpu_pct=meter.read(),
        machine_cpu_pct=machine.read(),
        server_rss_mib=rss_mib(pid),
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--only", choices=["baseline", "chatapp"])
    args = parser.parse_args()
    rows = []
    with private_services("chatapp_nominal", nats=True) as env:
        work, database_url = env.work, env.database_url
        redis_server, nats_server = env.redis, env.nats
        if args.only != "chatapp":
            with baseline_server(redis_server.url) as (url, pid):
                meter, machine = CpuMeter(pid), MachineMeter()
                row = loadgen(url, duration=args.duration, **LOAD)
                rows.append(readings(row, "baseline", pid, meter, machine))
        if args.only != "baseline":
            extra = {"REDIS_URL": redis_server.url, "NATS_URL": nats_server.url}
            with chatapp_server(work, database_url, **extra) as chat:
                tokens = make_tokens(chat.url, LOAD["clients"], work / "tokens.json")
                meter, machine = CpuMeter(chat.process.pid), MachineMeter()
                acked = work / "acked.json"
                row = loadgen(chat.url, tokens, duration=args.duration, acked_out=acked, **LOAD)
                readings(row, "chatapp", chat.process.pid, meter, machine)
                row["stream"] = stream_check(nats_server.url, acked)
                rows.append(row)
    save("nominal", rows)
    print_load_table(rows)
    for r in rows:
        if "stream" in r:
            print(f"\nNATS stream: {r['stream']}")


if __name__ == "__main__":
    main()
