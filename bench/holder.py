"""Open idle Socket.IO connections in steps and hold them (driven by bench/capacity.py).

    python -m bench.holder --url URL --steps 1000,5000,10000 [--tokens tokens.json] [--rooms 100]
        [--rate 200] [--no-join]

Each connection connects over websocket (with a bearer token from the list,
round-robin, when given) and joins room i % R (with --no-join it stays an
idle authenticated connection: a join is a member and a presence announcement
to the room, which the bare server does not make). Connections start at --rate per
second, each on its own schedule whether or not earlier ones are done (a ramp,
as clients arrive), or with --rate 0 in waves of --wave at once. After each
step it prints one JSON line (held, failed, connect ms, connect + join ms) and
waits for a line on stdin before the next; at the end it disconnects everyone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import sys
import time

from bench import lean


def pct(values, q):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1) if values else None


async def run(args) -> None:
    tokens = json.load(open(args.tokens)) if args.tokens else None
    clients: list[lean.LeanClient] = []
    http = lean.session()
    failed = 0
    errors: dict[str, int] = {}

    async def open_one(index: int, times: list[float], connects: list[float]) -> None:
        nonlocal failed
        client = lean.LeanClient(http, args.url)
        started = time.perf_counter()
        try:
            await client.connect(tokens[index % len(tokens)] if tokens else None, timeout=60)
            connected = time.perf_counter() - started
            if args.join:
                reply = await client.call(
                    "join", {"room": f"idle{index % args.rooms}", "create": True}, timeout=60
                )
                if not reply.get("ok"):
                    raise RuntimeError(str(reply.get("error")))
        except Exception as error:  # counted, and the first kinds are reported
            failed += 1
            kind = f"{type(error).__name__}: {error}"[:120]
            errors[kind] = errors.get(kind, 0) + 1
            await client.close()
            return
        times.append(time.perf_counter() - started)
        connects.append(connected)
        clients.append(client)

    loop = asyncio.get_running_loop()
    for target in args.steps:
        times: list[float] = []
        connects: list[float] = []
        # The holder's own full collections (up to 0.3 s at 5,000 clients)
        # would stop it reading answers and count as the server's latency:
        # off while a step opens its connections, run between steps.
        gc.disable()
        began = time.perf_counter()
        if args.rate:
            start = len(clients) + failed
            tasks = []
            for i in range(target - start):
                await asyncio.sleep(max(0.0, began + i / args.rate - time.perf_counter()))
                tasks.append(asyncio.create_task(open_one(start + i, times, connects)))
            await asyncio.gather(*tasks)
        while len(clients) + failed < target:
            wave = min(args.wave, target - len(clients) - failed)
            start = len(clients) + failed
            await asyncio.gather(*(open_one(start + i, times, connects) for i in range(wave)))
        ramp_s = round(time.perf_counter() - began, 1)
        gc.enable()
        gc.collect()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            json.dumps(
                {
                    "held": len(clients),
                    "failed": failed,
                    "errors": dict(list(errors.items())[:5]),
                    "ramp_s": ramp_s,
                    "connect_ms": {"p50": pct(connects, 0.5), "p99": pct(connects, 0.99)},
                    "connect_join_ms": {"p50": pct(times, 0.5), "p99": pct(times, 0.99)},
                    "holder_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                }
            ),
            flush=True,
        )
        await loop.run_in_executor(None, sys.stdin.readline)  # the reading is taken
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    await http.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--steps", default="1000,2500,5000,10000")
    parser.add_argument("--tokens")
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0, help="connections started per second")
    parser.add_argument("--wave", type=int, default=100, help="with --rate 0: opened at once")
    parser.add_argument(
        "--no-join", dest="join", action="store_false", help="connect only (idle, authenticated)"
    )
    args = parser.parse_args()
    args.steps = [int(s) for s in args.steps.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
