"""Load generator: N socket clients in R rooms, S senders at a set rate; measures everything.

    python -m bench.loadgen --url http://127.0.0.1:5000 --clients 100 --senders 5 \
        --rate 50 --duration 10 [--rooms 1] [--tokens tokens.json]

Client i joins room i % R; sender j is client j, so senders spread over the
rooms. Clients are bench/lean.py's, so the generator's own CPU stays low.

Prints one JSON object: connections held/failed, connect time, ack and
send-to-delivery latency (p50/p95/p99/max, ms), deliveries per second, lost
and duplicate deliveries (every member present must get every acknowledged
message once), and the generator's own CPU use.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import resource
import time
import uuid
from pathlib import Path

from bench import lean
from bench.common import cpu_seconds


def process_cpu(pid: int | None) -> float:
    """CPU seconds used so far by process `pid` (0 without one)."""
    return cpu_seconds(pid) if pid else 0.0


def pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2)


def summary(values):
    return {
        "p50": pct(values, 0.5),
        "p95": pct(values, 0.95),
        "p99": pct(values, 0.99),
        "max": round(max(values) * 1000, 2) if values else None,
        "n": len(values),
    }


async def run(args):
    tokens = json.load(open(args.tokens)) if args.tokens else [None] * args.clients
    received: list[dict] = [{} for _ in range(args.clients)]
    duplicates = 0
    clients = []
    connect_times = []
    failed = 0

    def room_of(index: int) -> str:
        return f"{args.room}{index % args.rooms}" if args.rooms > 1 else args.room

    def on_message(index):
        def handler(message):
            nonlocal duplicates
            cid = message.get("client_id")
            if cid in received[index]:
                duplicates += 1
            else:
                received[index][cid] = time.perf_counter()

        return handler

    http = lean.session()

    async def connect(index):
        nonlocal failed
        client = lean.LeanClient(http, args.url)
        client.on("message", on_message(index))
        started = time.perf_counter()
        try:
            await client.connect(tokens[index])
            reply = await client.call("join", {"room": room_of(index), "create": True}, timeout=20)
            assert reply["ok"], reply
        except Exception:  # counted as a failed connection
            failed += 1
            return None
        connect_times.append(time.perf_counter() - started)
        return client

    for start in range(0, args.clients, 50):  # connect in waves of 50
        batch = await asyncio.gather(
            *(connect(i) for i in range(start, min(args.clients, start + 50)))
        )
        clients.extend(batch)
    live = [c for c in clients if c is not None]
    # Our own full GC passes over thousands of clients would show up as
    # latency spikes; chatapp's serve freezes its startup objects likewise.
    gc.collect()
    gc.freeze()
    sent_at: dict[str, float] = {}
    acked: set[str] = set()
    ack_latency = []
    errors = 0
    codes: dict[str, int] = {}  # why sends failed: an error code, or "timeout"/"exception"
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu0 = process_cpu(args.server_pid)
    began = time.perf_counter()

    sent_room: dict[str, str] = {}

    async def sender(index, client, per_second):
        nonlocal errors
        interval = 1.0 / per_second
        # Senders start at random phases: started together they stay in step
        # and every tick is a burst of S simultaneous sends, which measures
        # queueing behind the burst rather than the server (p50 70 ms at 20
        # msg/s from 50 senders, 20 ms once staggered).
        next_at = time.perf_counter() + random.uniform(0, interval)
        await asyncio.sleep(next_at - time.perf_counter())
        pending = []
        while time.perf_counter() - began < args.duration:
            cid = uuid.uuid4().hex
            sent_at[cid] = time.perf_counter()
            sent_room[cid] = room_of(index)

            async def one(cid=cid):
                nonlocal errors
                try:
                    data = {"room": sent_room[cid], "text": "x" * 40, "client_id": cid}
                    reply = await client.call("send", data, timeout=args.ack_timeout)
                except Exception as error:
                    errors += 1
                    why = "timeout" if isinstance(error, asyncio.TimeoutError) else "exception"
                    codes[why] = codes.get(why, 0) + 1
                    return
                if reply.get("ok"):
                    acked.add(cid)
                    ack_latency.append(time.perf_counter() - sent_at[cid])
                else:
                    errors += 1
                    code = str(reply.get("error", {}).get("code"))
                    codes[code] = codes.get(code, 0) + 1

            pending.append(asyncio.ensure_future(one()))
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.gather(*pending)

    senders = [(i, c) for i, c in enumerate(clients[: args.senders]) if c is not None]
    await asyncio.gather(*(sender(i, c, args.rate / len(senders)) for i, c in senders))
    await asyncio.sleep(args.drain)
    elapsed = time.perf_counter() - began
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu1 = process_cpu(args.server_pid)
    delivery, lost = [], 0
    members: dict[str, list[int]] = {}
    for i, c in enumerate(clients):
        if c is not None:
            members.setdefault(room_of(i), []).append(i)
    for cid in acked:
        for i in members[sent_room[cid]]:
            if cid in received[i]:
                delivery.append(received[i][cid] - sent_at[cid])
            else:
                lost += 1
    await asyncio.gather(*(c.close() for c in live), return_exceptions=True)
    await http.close()
    if args.acked_out:  # for checking the event stream afterwards
        Path(args.acked_out).write_text(json.dumps(sorted(acked)))
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {
        "clients": args.clients,
        "rooms": args.rooms,
        "senders": len(senders),
        "held": len(live),
        "failed": failed,
        "connect_ms": summary(connect_times),
        "rate_in": args.rate,
        "sent": len(sent_at),
        "acked": len(acked),
        "send_errors": errors,
        "error_codes": codes,
        "ack_ms": summary(ack_latency),
        "delivery_ms": summary(delivery),
        "deliveries": len(delivery),
        # Per second of sending (the drain only collects late arrivals).
        "deliveries_per_s": round(len(delivery) / args.duration, 1),
        "lost": lost,
        "duplicates": duplicates,
        "loadgen_cpu_pct": round(100 * cpu / elapsed, 1),
        # The server's CPU while messages flowed (not while clients connected
        # and joined), % of one core: what "CPU per message in" divides.
        "server_send_cpu_pct": (
            round(100 * (server_cpu1 - server_cpu0) / elapsed, 1) if args.server_pid else None
        ),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50, help="messages per second, in total")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--server-pid", type=int, help="report its CPU while sending")
    parser.add_argument("--drain", type=float, default=3)
    parser.add_argument("--ack-timeout", type=float, default=30, help="seconds a send waits")
    parser.add_argument("--room", default="bench", help="room name (prefix, with --rooms)")
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--tokens", help="JSON list of bearer tokens (chatapp)")
    parser.add_argument("--acked-out", help="write the acknowledged client_ids here (JSON)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket per client
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
