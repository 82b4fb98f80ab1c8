"""Overload: chatapp offered more than it can store, with backpressure and without.

    .venv/bin/python -m bench.overload [--rate 600] [--duration 30]
        [--clients 200 --rooms 10 --senders 20] [--ack-timeout 5] [--max-wait S]
        [--queue-limit N]
        [--no-open-wide]

One chatapp server (PostgreSQL, Redis queue and presence, NATS with its
relay, limits off; on CPU 0, the load generator on CPU 1) at a time, the same
load twice in one run: first with backpressure as shipped (SEND_QUEUE_LIMIT /
SEND_MAX_WAIT defaults), then with it opened wide (the baseline: no send is
refused; every one waits in the group commit's queue however long that takes).
Each send waits --ack-timeout seconds for its ack, as a client would.
Reported per run: goodput (acks/s), deliveries/s, how sends failed (error
codes, timeouts), ack p50/p99 of the sends that succeeded, and
acknowledged messages some member never received (lost).
"""

from __future__ import annotations

import argparse
import sys

from bench.common import (
    SERVER_CORE,
    CpuMeter,
    chatapp_server,
    loadgen,
    make_tokens,
    pin,
    private_services,
    save,
)

OPEN_WIDE = {"SEND_QUEUE_LIMIT": "100000", "SEND_MAX_WAIT": "3600"}


def run(name: str, args, env, settings: dict[str, str]) -> dict:
    services = {"REDIS_URL": env.redis.url, "NATS_URL": env.nats.url}
    with chatapp_server(env.work, env.database_url, **services, **settings) as chat:
        tokens = make_tokens(chat.url, args.clients, env.work / f"tokens-{name}.json", prefix=name)
        pin(chat.process.pid, SERVER_CORE)
        meter = CpuMeter(chat.process.pid)
        result = loadgen(
            chat.url,
            tokens,
            clients=args.clients,
            rooms=args.rooms,
            senders=args.senders,
            rate=args.rate,
            duration=args.duration,
            ack_timeout=args.ack_timeout,
            room=f"over-{name}",
            pinned=True,
            server_pid=chat.process.pid,
        )
        result.update(server=name, server_cpu_pct=meter.read())
    goodput = result["acked"] / args.duration
    print(
        f"# {name}: offered {args.rate:g}/s, goodput {goodput:.0f} acks/s, "
        f"{result['deliveries_per_s']} deliveries/s, failures {result['error_codes']}, "
        f"ack p50/p99 {result['ack_ms']['p50']}/{result['ack_ms']['p99']} ms, "
        f"lost {result['lost']}, server CPU {result['server_cpu_pct']} %",
        file=sys.stderr,
    )
    return {**result, "goodput_per_s": round(goodput, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=600, help="messages per second offered")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--ack-timeout", type=float, default=5)
    parser.add_argument("--max-wait", help="SEND_MAX_WAIT of the backpressure run")
    parser.add_argument("--queue-limit", help="SEND_QUEUE_LIMIT of the backpressure run")
    parser.add_argument("--no-open-wide", dest="open_wide", action="store_false")
    args = parser.parse_args()
    rows = []
    with private_services("chatapp_overload", nats=True) as env:
        shipped = {"SEND_MAX_WAIT": args.max_wait} if args.max_wait else {}
        if args.queue_limit:
            shipped["SEND_QUEUE_LIMIT"] = args.queue_limit
        rows.append(run("backpressure", args, env, shipped))
        if args.open_wide:
            rows.append(run("open-wide", args, env, OPEN_WIDE))
    save("overload", {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()
