"""Latency at low load, before and after a change, measured in one run.

    .venv/bin/python -m bench.latency [--before 59b65f6] [--rounds 2] [--duration 30]
        [--database postgresql|sqlite]

10 rooms of 20 clients, 20 senders, 10 messages per second in (issue 14's
"low load"), everything on (PostgreSQL or SQLite, the Redis queue and
presence, NATS with its relay; limits off). The same load runs against this
checkout and against commit --before (default: the last commit before group
commit) in a throwaway git worktree, alternating, --rounds times each, so
both see the same machine. Server on CPU 0, load generator on CPU 1.
Reported: ack and send-to-delivery p50/p99 per run, and server CPU.
"""

from __future__ import annotations

import argparse
from contextlib import contextmanager

from bench.common import (
    ROOT,
    SERVER_CORE,
    CpuMeter,
    chatapp_server,
    checkout,
    loadgen,
    make_tokens,
    pin,
    private_services,
    save,
)
from tests.helpers.services import create_postgres_database

LOAD = {"clients": 200, "rooms": 10, "senders": 20, "rate": 10}


@contextmanager
def fresh_database(env, args, name: str):
    """An empty database for one run: the same rooms and users in every run."""
    if args.database == "sqlite":
        yield f"sqlite:///{env.work / f'{name}.db'}"
        return
    url, drop = create_postgres_database(f"chatapp_{name}")
    try:
        yield url
    finally:
        drop()


def run(name, root, env, args, index: int) -> dict:
    settings = {"REDIS_URL": env.redis.url, "NATS_URL": env.nats.url}
    with (
        fresh_database(env, args, f"latency_{name}_{index}") as database_url,
        chatapp_server(env.work, database_url, root=root, **settings) as chat,
    ):
        tokens = make_tokens(chat.url, LOAD["clients"], env.work / f"tokens-{name}-{index}.json")
        pin(chat.process.pid, SERVER_CORE)
        meter = CpuMeter(chat.process.pid)
        result = loadgen(
            chat.url,
            tokens,
            duration=args.duration,
            room="lat",
            pinned=True,
            server_pid=chat.process.pid,
            **LOAD,
        )
        result.update(server=name, server_cpu_pct=meter.read())
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="59b65f6")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    rows = []
    with private_services("chatapp_latency", nats=True) as env, checkout(args.before) as before:
        for index in range(args.rounds):
            for name, root in (("before", before), ("after", ROOT)):
                rows.append(run(name, root, env, args, index))
    save(f"latency-{args.database}", {"args": vars(args), "rows": rows})
    print(
        "| run | database | ack p50 / p99 ms | delivery p50 / p99 ms | lost "
        "| server CPU % (run / sending) |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        a, d = r["ack_ms"], r["delivery_ms"]
        print(
            f"| {r['server']} | {args.database} | {a['p50']} / {a['p99']} | "
            f"{d['p50']} / {d['p99']} | {r['lost']} | {r['server_cpu_pct']} / "
            f"{r['server_send_cpu_pct']} |"
        )


if __name__ == "__main__":
    main()
