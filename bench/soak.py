"""Soak: 15 minutes at half the fan-out ceiling with 20% of connections churning per minute.

    .venv/bin/python -m bench.soak [--minutes 15] [--rate 50] [--clients 100]

Not part of CI. One chatapp `serve` process with PostgreSQL, a private Redis
and a private NATS. N clients in one room, 5 of them senders at the set rate
(use half the ceiling bench/fanout.py measured). Every minute 20% of the
listeners disconnect and reconnect as a real client does: join, then page
`history` from the last seq it saw, dropping repeats by seq. Measured: server
RSS every 10 s (growth after a 2-minute warm-up), that every client ends with
every seq from its first join to the last acknowledged message, that
presence is back to zero once everyone has left, and that the NATS stream
holds every acknowledged message exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

from bench import lean
from bench.common import chatapp_server, make_tokens, private_services, rss_kib, save
from tests.helpers.stream import message_events, read_stream

ROOM = "soak"


class Member:
    """One chat user: keeps the seqs it saw and resumes from the last one."""

    def __init__(self, http, url: str, token: str) -> None:
        self.http, self.url, self.token = http, url, token
        self.seqs: set[int] = set()
        self.first: int | None = None
        self.live_repeats = 0
        self.sio: lean.LeanClient | None = None
        self.reconnects = 0

    async def connect(self) -> None:
        self.sio = lean.LeanClient(self.http, self.url)
        self.sio.on("message", self._on_message)
        await self.sio.connect(self.token, timeout=30)
        reply = await self.sio.call("join", {"room": ROOM, "create": True}, timeout=30)
        assert reply["ok"], reply
        if self.first is None:
            self.first = reply["seq"] + 1  # what it must see from here on
        self._add(reply["history"])
        await self._catch_up(reply["seq"])

    async def _catch_up(self, up_to: int) -> None:
        """Page history after the newest seq held until `up_to` is reached."""
        while self.seqs and max(self.seqs) < up_to:
            query = {"room": ROOM, "after_seq": max(self.seqs), "limit": 100}
            reply = await self.sio.call("history", query, timeout=30)
            if not reply["messages"]:
                break
            self._add(reply["messages"])

    def _add(self, messages: list[dict]) -> None:
        self.seqs.update(m["seq"] for m in messages)

    def _on_message(self, message: dict) -> None:
        if message["seq"] in self.seqs:
            self.live_repeats += 1
        self.seqs.add(message["seq"])

    async def churn(self) -> None:
        await self.sio.close()
        self.reconnects += 1
        await self.connect()

    def missing(self, last: int) -> int:
        if self.first is None or last < self.first:
            return 0
        return len(set(range(self.first, last + 1)) - self.seqs)


async def soak(url: str, tokens: list[str], pid: int, args) -> dict:
    http = lean.session()
    members = [Member(http, url, token) for token in tokens]
    for start in range(0, len(members), 50):
        await asyncio.gather(*(m.connect() for m in members[start : start + 50]))
    senders, listeners = members[:5], members[5:]
    acked: dict[str, int] = {}
    errors = 0
    rss: list[tuple[float, int]] = []
    began = time.monotonic()
    end = began + args.minutes * 60

    async def send_steadily(member: Member) -> None:
        nonlocal errors
        interval = len(senders) / args.rate
        next_at = time.monotonic()
        while time.monotonic() < end:
            cid = uuid.uuid4().hex
            try:
                data = {"room": ROOM, "text": "soak", "client_id": cid}
                reply = await member.sio.call("send", data, timeout=30)
                if reply.get("ok"):
                    acked[cid] = reply["message"]["seq"]
                else:
                    errors += 1
            except Exception:
                errors += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def churn_every_minute() -> None:
        while time.monotonic() + 60 < end:
            await asyncio.sleep(60)
            chosen = random.sample(listeners, len(members) // 5)
            await asyncio.gather(*(m.churn() for m in chosen))

    async def sample_memory() -> None:
        while time.monotonic() < end:
            rss.append((round(time.monotonic() - began), rss_kib(pid)))
            await asyncio.sleep(10)

    await asyncio.gather(
        *(send_steadily(m) for m in senders), churn_every_minute(), sample_memory()
    )
    await asyncio.sleep(5)  # the last deliveries
    last = max(acked.values(), default=0)
    for member in members:
        await member._catch_up(last)  # a churned client may still be paging
    missing = sum(m.missing(last) for m in members)
    await asyncio.gather(*(m.sio.close() for m in members), return_exceptions=True)
    await http.close()
    warm = [k for t, k in rss if t >= 120]
    return {
        "minutes": args.minutes,
        "rate_in": args.rate,
        "clients": len(members),
        "acked": len(acked),
        "send_errors": errors,
        "reconnects": sum(m.reconnects for m in members),
        "missing_seqs": missing,
        "live_repeats": sum(m.live_repeats for m in members),
        "rss_mib": [(t, round(k / 1024, 1)) for t, k in rss],
        "growth_after_warmup_pct": round(100 * (warm[-1] - warm[0]) / warm[0], 1) if warm else None,
        "acked_ids": list(acked),
    }


def online_after(url: str, token: str) -> int:
    rooms = requests.get(
        f"{url}/api/rooms", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()["rooms"]
    return sum(r["online"] for r in rooms)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--rate", type=float, default=50, help="half the fan-out ceiling")
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    with private_services("chatapp_soak", nats=True) as env:
        work, database_url = env.work, env.database_url
        redis_server, nats_server = env.redis, env.nats
        extra = {"REDIS_URL": redis_server.url, "NATS_URL": nats_server.url}
        with chatapp_server(work, database_url, **extra) as chat:
            tokens = json.loads(
                Path(make_tokens(chat.url, args.clients, work / "t.json")).read_text()
            )
            result = asyncio.run(soak(chat.url, tokens, chat.process.pid, args))
            time.sleep(2)
            result["online_after_everyone_left"] = online_after(chat.url, tokens[0])
        found = Counter(
            e["data"]["client_id"] for e in message_events(read_stream(nats_server.url))
        )
        ids = result.pop("acked_ids")
        result["stream"] = {
            "missing": sum(1 for c in ids if found[c] == 0),
            "duplicated": sum(1 for c in ids if found[c] > 1),
        }
    save("soak", result)
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mib"}, indent=2))
    print("RSS MiB by second:", result["rss_mib"][:: max(1, len(result["rss_mib"]) // 12)])


if __name__ == "__main__":
    main()
