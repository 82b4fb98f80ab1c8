"""Capacity: idle authenticated connections ramped up in one process, memory per connection.

    .venv/bin/python -m bench.capacity [--steps 1000,2500,5000,10000] [--rate 200] [--only chatapp]
        [--no-join]

chatapp (PostgreSQL + a private Redis, one `serve` process, one user and token
per connection, each joining one of 100 rooms, or with --no-join none: idle
authenticated connections) against the bare eventlet
baseline with the same Redis queue, in one run. bench/holder.py opens the
connections in steps, starting --rate of them per second (0: waves of 100 at
once); at each step the server's RSS is read after it settles, and memory per
connection is (RSS - RSS before any connection) / connections held. At the top
step a probe client sends 50 messages into a 100-member room and times the
acks, and the server's CPU while holding is read over 10 s (pings, presence).
The server's CPU over each step's ramp, per connection started, is what a
connect costs it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid

import socketio

from bench.common import (
    ROOT,
    CpuMeter,
    baseline_server,
    chatapp_server,
    cpu_seconds,
    make_tokens,
    private_services,
    raise_open_files_limit,
    rss_kib,
    save,
)


def probe(url: str, token: str | None) -> dict:
    """Ack latency of 50 sequential sends into room idle0 (100 idle members)."""
    client = socketio.Client(reconnection=False)
    client.connect(url, auth={"token": token} if token else None, transports=["websocket"])
    try:
        client.call("join", {"room": "idle0", "create": True}, timeout=30)
        times = []
        for _ in range(50):
            started = time.perf_counter()
            data = {"room": "idle0", "text": "probe", "client_id": uuid.uuid4().hex}
            reply = client.call("send", data, timeout=30)
            assert reply.get("ok"), reply
            times.append(time.perf_counter() - started)
    finally:
        client.disconnect()
    times.sort()
    return {"p50": round(times[25] * 1000, 1), "max": round(times[-1] * 1000, 1)}


def measure(name: str, url: str, pid: int, args, tokens: str | None) -> list[dict]:
    time.sleep(2)
    rss0 = rss_kib(pid)
    command = [sys.executable, "-m", "bench.holder", "--url", url, "--steps", args.steps]
    command += ["--rate", str(args.rate)] + ([] if args.join else ["--no-join"])
    if tokens:
        command += ["--tokens", tokens]
    holder = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    rows = []
    cpu_before, held_before = cpu_seconds(pid), 0
    try:
        for index in range(len(args.steps.split(","))):
            line = holder.stdout.readline()
            if not line:
                raise RuntimeError("the holder died")
            row = json.loads(line)
            # The server's CPU over the step's ramp, per connection it added:
            # what a connect costs, whether or not the ramp outran it.
            cpu_now = cpu_seconds(pid)
            added = max(1, row["held"] + row["failed"] - held_before)
            row["cpu_ms_per_connect"] = round(1000 * (cpu_now - cpu_before) / added, 2)
            cpu_before, held_before = cpu_now, row["held"] + row["failed"]
            time.sleep(args.settle)
            rss = rss_kib(pid)
            row.update(
                server=name,
                rss0_mib=round(rss0 / 1024, 1),
                rss_mib=round(rss / 1024, 1),
                kib_per_connection=round((rss - rss0) / max(1, row["held"]), 1),
            )
            if index == len(args.steps.split(",")) - 1:
                meter = CpuMeter(pid)
                time.sleep(10)
                row["idle_cpu_pct"] = meter.read()
                first_token = json.load(open(tokens))[0] if tokens else None
                row["probe_ack_ms"] = probe(url, first_token)
            rows.append(row)
            print(f"# {name}: {row}", file=sys.stderr)
            holder.stdin.write("\n")
            holder.stdin.flush()
        holder.wait(300)
    finally:
        if holder.poll() is None:
            holder.kill()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="1000,2500,5000,10000")
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--rate", type=float, default=200, help="connections started per second")
    parser.add_argument("--only", choices=["baseline", "chatapp"])
    parser.add_argument("--no-join", dest="join", action="store_false", help="connect only")
    args = parser.parse_args()
    raise_open_files_limit()
    top = max(int(s) for s in args.steps.split(","))
    rows: list[dict] = []
    with private_services("chatapp_capacity") as env:
        work, database_url = env.work, env.database_url
        redis_server = env.redis
        if args.only != "chatapp":
            with baseline_server(redis_server.url) as (url, pid):
                rows += measure("baseline", url, pid, args, None)
        if args.only != "baseline":
            extra = {"REDIS_URL": redis_server.url, "MAX_CONNECTIONS": str(top + 1000)}
            with chatapp_server(work, database_url, **extra) as chat:
                began = time.monotonic()
                tokens = make_tokens(chat.url, top, work / "tokens.json", prefix="idle")
                print(f"# {top} users in {time.monotonic() - began:.0f} s", file=sys.stderr)
                rows += measure("chatapp", chat.url, chat.process.pid, args, tokens)
    save("capacity", {"args": vars(args), "rows": rows})
    print(
        "| server | held | failed | ramp s | connect p50/p99 ms | connect + join p50/p99 ms "
        "| server CPU ms per connect | RSS MiB | KiB per connection |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c, cj = r["connect_ms"], r["connect_join_ms"]
        print(
            f"| {r['server']} | {r['held']} | {r['failed']} | {r['ramp_s']} | "
            f"{c['p50']} / {c['p99']} | {cj['p50']} / {cj['p99']} | {r['cpu_ms_per_connect']} | "
            f"{r['rss_mib']} | "
            f"{r['kib_per_connection']} |"
        )
    for r in rows:
        if "probe_ack_ms" in r:
            print(
                f"{r['server']} holding {r['held']}: idle CPU {r['idle_cpu_pct']} %, "
                f"probe ack p50 {r['probe_ack_ms']['p50']} ms, max {r['probe_ack_ms']['max']} ms"
            )


if __name__ == "__main__":
    main()
