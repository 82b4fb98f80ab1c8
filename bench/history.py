"""History reads from a room of 1,000,000 messages (PostgreSQL), over the socket and REST.

    .venv/bin/python -m bench.history [--messages 1000000] [--reads 1000]

One chatapp `serve` process on a throwaway PostgreSQL database. The room is
filled with one INSERT ... SELECT generate_series (seqs 1..N, as if sent),
then ANALYZEd. One client, sequential requests, each a page of 50:
random `before_seq` (paging back), random `after_seq` (resuming), and the
newest page; the same over REST. Every page is checked: 50 messages with
consecutive seqs. Floors measured in the same run: the bare SQL of a page
through psycopg2 (the database's share), and a socket round trip that does
no database work (an unknown event's error ack).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from bench import lean
from bench.common import chatapp_server, make_tokens, save
from tests.helpers.services import create_postgres_database

PAGE = 50


def summary(times: list[float]) -> dict:
    times = sorted(times)

    def at(q: float) -> float:
        return round(times[min(len(times) - 1, int(q * len(times)))] * 1000, 2)

    return {
        "p50": at(0.5),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(times[-1] * 1000, 2),
        "n": len(times),
    }


def fill(database_url: str, room: str, count: int) -> float:
    """Put `count` messages into `room` the fast way; return the seconds it took."""
    engine = sa.create_engine(database_url)
    began = time.monotonic()
    with engine.begin() as conn:
        room_id, user_id = conn.execute(
            sa.text(
                "SELECT r.id, m.user_id FROM rooms r JOIN memberships m ON m.room_id = r.id"
                " WHERE r.name = :room"
            ),
            {"room": room},
        ).one()
        for start in range(1, count + 1, 250_000):
            stop = min(count, start + 249_999)
            conn.execute(
                sa.text(
                    "INSERT INTO messages (room_id, seq, user_id, text, created_at, client_id)"
                    " SELECT :room_id, g, :user_id, 'history message ' || g,"
                    " now() - make_interval(secs => :count - g), 'h' || g"
                    " FROM generate_series(CAST(:start AS int), CAST(:stop AS int)) AS g"
                ),
                dict(room_id=room_id, user_id=user_id, count=count, start=start, stop=stop),
            )
        conn.execute(
            sa.text("UPDATE rooms SET last_seq = :count WHERE id = :room_id"),
            {"count": count, "room_id": room_id},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE messages"))
    engine.dispose()
    return time.monotonic() - began


def check_page(messages: list[dict]) -> None:
    seqs = [m["seq"] for m in messages]
    assert len(seqs) == PAGE and seqs == list(range(seqs[0], seqs[0] + PAGE)), seqs[:3]


def sql_floor(database_url: str, room: str, count: int, reads: int) -> dict:
    """The page's SQL alone (same join and order as chatapp), straight through psycopg2."""
    engine = sa.create_engine(database_url)
    times = []
    query = sa.text(
        "SELECT m.*, u.username, r.name FROM messages m JOIN rooms r ON r.id = m.room_id"
        " LEFT JOIN users u ON u.id = m.user_id"
        " WHERE m.room_id = (SELECT id FROM rooms WHERE name = :room) AND m.seq < :before"
        " ORDER BY m.seq DESC LIMIT 50"
    )
    with engine.connect() as conn:
        for _ in range(reads):
            before = random.randint(PAGE + 1, count + 1)
            started = time.perf_counter()
            rows = conn.execute(query, {"room": room, "before": before}).all()
            times.append(time.perf_counter() - started)
            assert len(rows) == PAGE
    engine.dispose()
    return summary(times)


async def _socket_reads(url: str, token: str, room: str, count: int, reads: int) -> dict:
    http = lean.session()
    client = lean.LeanClient(http, url)
    await client.connect(token)
    results = {}
    try:
        started = time.perf_counter()
        joined = await client.call("join", {"room": room, "create": True})
        results["join_with_history_ms"] = round((time.perf_counter() - started) * 1000, 2)
        check_page(joined["history"])
        shapes = {
            "socket before_seq": lambda: {"before_seq": random.randint(PAGE + 1, count + 1)},
            "socket after_seq": lambda: {"after_seq": random.randint(0, count - PAGE)},
            "socket newest": lambda: {},
            "socket round trip, no database (floor)": None,
        }
        for name, make in shapes.items():
            times = []
            for _ in range(reads):
                if make is None:
                    started = time.perf_counter()
                    await client.call("no-such-event", {})
                    times.append(time.perf_counter() - started)
                    continue
                query = {"room": room, "limit": PAGE, **make()}
                started = time.perf_counter()
                reply = await client.call("history", query)
                times.append(time.perf_counter() - started)
                assert reply["ok"], reply
                check_page(reply["messages"])
            results[name] = summary(times)
    finally:
        await client.close()
        await http.close()
    return results


def socket_reads(url: str, token: str, room: str, count: int, reads: int) -> dict:
    """Sequential reads over one socket (bench/lean.py's client, as the load generator)."""
    return asyncio.run(_socket_reads(url, token, room, count, reads))


def rest_reads(url: str, token: str, room: str, count: int, reads: int) -> dict:
    times = []
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for _ in range(reads):
            before = random.randint(PAGE + 1, count + 1)
            started = time.perf_counter()
            reply = http.get(
                f"{url}/api/rooms/{room}/messages",
                params={"before_seq": before, "limit": PAGE},
                timeout=30,
            )
            times.append(time.perf_counter() - started)
            reply.raise_for_status()
            check_page(reply.json()["messages"])
    return summary(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chatapp-history-"))
    database_url, drop = create_postgres_database("chatapp_history")
    room = "big"
    try:
        with chatapp_server(work, database_url) as chat:
            token = json.loads(Path(make_tokens(chat.url, 1, work / "t.json")).read_text())[0]
            requests.post(
                f"{chat.url}/api/rooms/{room}/join",
                json={"create": True},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).raise_for_status()
            fill_s = fill(database_url, room, args.messages)
            print(f"# {args.messages} messages in {fill_s:.0f} s", file=sys.stderr)
            results = {"messages": args.messages, "fill_s": round(fill_s, 1)}
            n, reads = args.messages, args.reads
            results.update(socket_reads(chat.url, token, room, n, reads))
            results["REST before_seq"] = rest_reads(chat.url, token, room, n, reads)
            results["SQL alone (floor)"] = sql_floor(database_url, room, n, reads)
    finally:
        drop()
    save("history", results)
    print(
        f"room of {args.messages:,} messages; join (with the newest 50): "
        f"{results['join_with_history_ms']} ms"
    )
    print("| read (page of 50) | p50 ms | p95 ms | p99 ms | max ms | n |")
    print("|---|---|---|---|---|---|")
    for name, s in results.items():
        if isinstance(s, dict):
            print(f"| {name} | {s['p50']} | {s['p95']} | {s['p99']} | {s['max']} | {s['n']} |")


if __name__ == "__main__":
    main()
