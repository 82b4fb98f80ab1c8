"""The relay's ceiling: events/s from a pre-filled outbox to JetStream, before and after pipelining.

    .venv/bin/python -m bench.relay [--events 20000] [--subjects 10] [--batches default,100]

Each relay runs in a real `cli.py serve` process (eventlet, PostgreSQL) of
its own source tree: "before" is the one-at-a-time relay of commit
`--before` (extracted with `git archive`, run with its own default batch),
"after" is this tree, once per `--batches` entry. For each: a throwaway
database; the server started with NATS_URL pointing at a nats-server not yet
running (migrations run, the relay waits); the outbox filled by one
INSERT ... SELECT generate_series (payloads of ~330 bytes, like a
message.created event, round-robin over `--subjects` rooms); then
nats-server (JetStream, file store) started: the relay connects and drains.
The ceiling is (events - 1) / (stored time of the last - of the first), from
JetStream's own timestamps; the publish-rate cap is set out of the way
(NATS_PUBLISH_RATE=1000000). Every run is audited: each event once, the
stream in outbox order. Bounded: `--events` at most 200,000, each drain at
most `--timeout` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bench.common import CHATAPP_BENCH_ENV, CpuMeter, MachineMeter, save, up
from tests.helpers.server import ROOT
from tests.helpers.services import NatsServer, create_postgres_database, free_port
from tests.helpers.wait import wait_for

#: The last commit whose relay awaited each JetStream ack before the next publish.
BEFORE = "59b65f6"
MAX_EVENTS = 200_000


def extract(rev: str, into: Path) -> Path:
    """The project's files at `rev`, unpacked into `into`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, capture_output=True, check=True
    ).stdout
    archive_path = into / "tree.tar"
    archive_path.write_bytes(archive)
    tree = into / f"tree-{rev}"
    with tarfile.open(archive_path) as tar:
        tar.extractall(tree, filter="data")
    return tree


@contextmanager
def serve(tree: Path, env: dict[str, str], log: Path):
    """`cli.py serve` of `tree` on a free loopback port; yields its Popen."""
    port = free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "cli.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tree,
            env={**os.environ, **CHATAPP_BENCH_ENV, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: up(f"http://127.0.0.1:{port}"), 60, 0.2, f"the server of {tree.name}")
        yield process
    finally:
        process.kill()  # measured already: no graceful drain needed
        process.wait(20)


def fill(database_url: str, events: int, subjects: int) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO outbox (event_id, subject, payload, created_at)"
                " SELECT gen_random_uuid()::text,"
                " 'chat.room.bench' || (g % :subjects) || '.message',"
                " json_build_object('n', g, 'type', 'message.created', 'text', repeat('x', 280))"
                "::text, now() FROM generate_series(1, :events) AS g"
            ),
            {"events": events, "subjects": subjects},
        )
    engine.dispose()


async def _stream_count(url: str) -> int:
    import nats

    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=1)
    try:
        return (await nc.jetstream().stream_info("CHAT")).state.messages
    except Exception:  # noqa: BLE001 (no stream yet)
        return 0
    finally:
        await nc.close()


async def _read_all(url: str, events: int) -> list[tuple[str, int, float]]:
    """(subject, n, stored at) of every message in the stream, in stream order."""
    import nats

    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=1)
    try:
        sub = await nc.jetstream().pull_subscribe("chat.>", stream="CHAT")
        out: list[tuple[str, int, float]] = []
        while len(out) < events:
            for msg in await sub.fetch(min(1000, events - len(out)), timeout=10):
                out.append(
                    (msg.subject, json.loads(msg.data)["n"], msg.metadata.timestamp.timestamp())
                )
                await msg.ack()
        return out
    finally:
        await nc.close()


def audit(messages: list[tuple[str, int, float]], events: int) -> None:
    ns = [n for _, n, _ in messages]
    assert ns == list(range(1, events + 1)), "the stream is not the outbox, once, in order"


def run(name: str, tree: Path, batch: int | None, args, work: Path) -> dict:
    database_url, drop = create_postgres_database("chatapp_relaybench")
    nats_server = NatsServer(work / f"nats-{name}")
    env = {
        "DATABASE_URL": database_url,
        "NATS_URL": nats_server.url,
        "NATS_RECONNECT_WAIT": "0.2",
        "NATS_PUBLISH_RATE": "1000000",
    }
    if batch is not None:
        env["NATS_BATCH"] = str(batch)
    try:
        with serve(tree, env, work / f"server-{name}.log") as server:
            fill(database_url, args.events, args.subjects)
            cpu, machine, began = CpuMeter(server.pid), MachineMeter(), time.monotonic()
            nats_server.start()
            wait_for(
                lambda: asyncio.run(_stream_count(nats_server.url)) >= args.events,
                args.timeout,
                0.2,
                f"{args.events} events in the stream ({name})",
            )
            drained = time.monotonic() - began
            server_cpu, machine_cpu = cpu.read(), machine.read()
        messages = asyncio.run(_read_all(nats_server.url, args.events))
        audit(messages, args.events)
        span = messages[-1][2] - messages[0][2]
        return {
            "relay": name,
            "batch": batch or "default",
            "events": args.events,
            "events_per_s": round((args.events - 1) / span),
            "publish_span_s": round(span, 2),
            "drain_s": round(drained, 2),
            "server_cpu_pct": server_cpu,
            # CPU seconds of the server process per 1,000 events, relay and all.
            "server_cpu_s_per_1000": round(server_cpu / 100 * drained / args.events * 1000, 3),
            "machine_cpu_pct": machine_cpu,
        }
    finally:
        nats_server.stop()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--subjects", type=int, default=10)
    parser.add_argument("--before", default=BEFORE, help="the commit of the relay to compare")
    parser.add_argument("--batches", default="default,100", help="NATS_BATCH values for 'after'")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    args.events = min(args.events, MAX_EVENTS)
    work = Path(tempfile.mkdtemp(prefix="relaybench-"))
    load_before = os.getloadavg()
    runs = [("before", extract(args.before, work), None)]
    for batch in args.batches.split(","):
        runs.append(("after", ROOT, None if batch == "default" else int(batch)))
    rows = []
    for n, (name, tree, batch) in enumerate(runs):
        rows.append(run(f"{name}{n}", tree, batch, args, work))
        rows[-1]["relay"] = name
        print(json.dumps(rows[-1]), file=sys.stderr)
    save("relay", {"args": vars(args), "loadavg_before": load_before, "runs": rows})
    print(f"load average (1, 5, 15 min) before the run: {load_before}")
    print(
        "| relay | batch | events/s | publish span s | drain s | server CPU % "
        "| server CPU s per 1,000 events | machine CPU % |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['relay']} | {r['batch']} | {r['events_per_s']:,} | {r['publish_span_s']} | "
            f"{r['drain_s']} | {r['server_cpu_pct']} | {r['server_cpu_s_per_1000']} | "
            f"{r['machine_cpu_pct']} |"
        )


if __name__ == "__main__":
    main()
