"""Fan-out: chatapp against the bare Flask-SocketIO baseline, same run, same machine.

    .venv/bin/python -m bench.fanout [--clients 100 --rooms 1 --senders 5]
        [--rates 25,50,100,200] [--duration 8] [--only baseline|baseline-noqueue|chatapp]
        [--no-nats] [--no-pin] [--database postgresql|sqlite]

Three servers, each stepped through the rates (messages per second in, from
the senders, to N clients in R rooms): the baseline with a private Redis as
its Socket.IO queue, the baseline without a queue, and chatapp (PostgreSQL +
the same Redis, NATS with JetStream and its relay, RATELIMIT_ENABLED=false:
everything on but the limits). Stepping a server stops at the first rate whose
p99 send-to-delivery passes 200 ms or that loses anything. The target compares
chatapp with the baseline *with* the queue, as deployed. The server under
test runs on CPU 0 and the load generator on CPU 1 (--no-pin: anywhere).
With --database sqlite, chatapp runs on its embedded default (a SQLite file)
with the Redis queue and NATS still on.
"""

from __future__ import annotations

import argparse
import sys

from bench.common import (
    SERVER_CORE,
    CpuMeter,
    MachineMeter,
    baseline_server,
    chatapp_server,
    loadgen,
    make_tokens,
    pin,
    print_load_table,
    private_services,
    rss_mib,
    save,
)

SERVERS = ("baseline", "baseline-noqueue", "chatapp")


def step(name: str, url: str, pid: int, args, tokens: str | None) -> list[dict]:
    rows = []
    for rate in args.rates:
        meter, machine = CpuMeter(pid), MachineMeter()
        result = loadgen(
            url,
            tokens,
            clients=args.clients,
            rooms=args.rooms,
            senders=args.senders,
            rate=rate,
            duration=args.duration,
            room=f"fan{int(rate)}r",
            pinned=args.pin,
            server_pid=pid,
        )
        result.update(
            server=name,
            server_cpu_pct=meter.read(),
            machine_cpu_pct=machine.read(),
            server_rss_mib=rss_mib(pid),
        )
        rows.append(result)
        print(
            f"# {name} rate {rate:g}: p99 {result['delivery_ms']['p99']} ms, "
            f"lost {result['lost']}, server CPU {result['server_cpu_pct']} % "
            f"({result['server_send_cpu_pct']} % while sending), "
            f"machine {result['machine_cpu_pct']} %",
            file=sys.stderr,
        )
        if (result["delivery_ms"]["p99"] or 0) > 200 or result["lost"] > 0:
            break
    return rows


def pin_if(args, pid: int) -> None:
    if args.pin:
        pin(pid, SERVER_CORE)


def ceiling(rows: list[dict], server: str) -> float:
    """The highest rate `server` held with p99 < 200 ms and no loss (0 if none)."""
    good = [
        r["rate_in"]
        for r in rows
        if r["server"] == server and r["lost"] == 0 and (r["delivery_ms"]["p99"] or 0) <= 200
    ]
    return max(good, default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--rates", default="25,50,100,200")
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--only", choices=SERVERS, action="append", help="repeatable")
    parser.add_argument("--no-nats", dest="nats", action="store_false")
    parser.add_argument("--no-pin", dest="pin", action="store_false")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    servers = args.only or SERVERS
    rows: list[dict] = []
    with private_services("chatapp_fanout", nats=args.nats) as env:
        work, database_url = env.work, env.database_url
        redis_server = env.redis
        if "baseline" in servers:
            with baseline_server(redis_server.url) as (url, pid):
                pin_if(args, pid)
                rows += step("baseline", url, pid, args, None)
        if "baseline-noqueue" in servers:
            with baseline_server(None) as (url, pid):
                pin_if(args, pid)
                rows += step("baseline-noqueue", url, pid, args, None)
        if "chatapp" in servers:
            if args.database == "sqlite":
                database_url = f"sqlite:///{work / 'fanout.db'}"
            extra = {"NATS_URL": env.nats.url} if args.nats else {}
            with chatapp_server(work, database_url, REDIS_URL=redis_server.url, **extra) as chat:
                tokens = make_tokens(chat.url, args.clients, work / "tokens.json")
                pin_if(args, chat.process.pid)
                rows += step("chatapp", chat.url, chat.process.pid, args, tokens)
    name = f"fanout-{args.clients}x{args.rooms}" + ("-sqlite" if args.database == "sqlite" else "")
    save(name, {"args": vars(args), "rows": rows})
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    print_load_table(rows)
    servers = [s for s in SERVERS if any(r["server"] == s for r in rows)]
    print()
    for server in servers:
        top = ceiling(rows, server)
        cpu = [r for r in rows if r["server"] == server and r["rate_in"] == top]
        sending = cpu[0].get("server_send_cpu_pct") if cpu else None
        per_message = 10 * sending / top if sending and top else None
        print(
            f"ceiling {server}: {top:g} msg/s in; server CPU per message in at it: "
            f"{per_message and round(per_message, 2)} ms"
        )
    if "baseline" in servers and "chatapp" in servers and ceiling(rows, "baseline"):
        print(f"ratio chatapp/baseline: {ceiling(rows, 'chatapp') / ceiling(rows, 'baseline'):.2f}")


if __name__ == "__main__":
    main()
