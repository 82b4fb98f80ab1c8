"""Bursts: 200 registrations, then 200 logins, arriving at once while chat goes on.

    .venv/bin/python -m bench.login_burst [--burst 200] [--backends sqlite,postgresql]

For each backend (the embedded default, SQLite in one process; then PostgreSQL
with a private Redis), one chatapp `serve` process hashes at the production
cost with rate limits on, as deployed. Each burst request comes from its own
loopback address (127.1.x.y: all of 127.0.0.0/8 is this machine), so the
per-address budgets see 200 clients, not one. Meanwhile 4 chat clients in one
room send 10 msg/s in all (in a process of their own, so the burst's 200
threads do not slow their clock), and a watcher asks GET /api/auth/me every
0.25 s: a request that needs a database connection while hashes wait.

Reports per burst: answers by status (and connection errors), seconds from
the release to the last answer, answer latency p50/p99, the watcher's worst
/api/auth/me, and chat delivery p99 quiet and during the burst (messages sent
between the release and the last answer), with lost messages. It sets both
the old hash setting (PASSWORD_HASH_METHOD, scrypt) and the new ones
(PASSWORD_ARGON2_*), so the same script measures the code before the fix.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.common import chatapp_server, private_services, save
from tests.helpers.services import SourceAddress

PRODUCTION = {
    "PASSWORD_HASH_METHOD": "scrypt:32768:8:3",  # the code before the fix reads this
    "PASSWORD_ARGON2_TIME_COST": "2",
    "PASSWORD_ARGON2_MEMORY_KIB": "19456",
    "PASSWORD_ARGON2_PARALLELISM": "1",
    # Limits on, as deployed; chat's own budgets raised for the steady senders.
    "RATELIMIT_ENABLED": "true",
    "RATELIMIT_MESSAGES": "1000 per 10 seconds",
    "RATELIMIT_USER": "100000 per minute",
}
CHAT_CLIENTS, CHAT_RATE, PASSWORD = 4, 10.0, "burst password"


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", SourceAddress(address))
    return session


def address_of(n: int) -> str:
    return f"127.1.{n // 250}.{n % 250 + 1}"


def pct(values: list[float], q: float):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def chat(url: str, tokens: list[str], ready, stop, out) -> None:
    """4 clients in one room, 10 msg/s in all; put per-message timings on `out`."""
    import socketio

    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    got: dict[str, list[float]] = {}
    lock = threading.Lock()

    def on_message(message):
        now = time.time()
        with lock:
            got.setdefault(message.get("client_id"), []).append(now)

    clients = []
    for token in tokens:
        sio = socketio.Client(reconnection=False)
        sio.on("message", on_message)
        sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=20)
        assert sio.call("join", {"room": "burst", "create": True}, timeout=20)["ok"]
        clients.append(sio)
    ready.set()
    n, next_at = 0, time.monotonic()
    while not stop.is_set():
        cid = f"m{n}"

        def ack(reply, cid=cid):
            if isinstance(reply, dict) and reply.get("ok"):
                acked[cid] = time.time()

        sent[cid] = time.time()
        clients[n % len(clients)].emit(
            "send", {"room": "burst", "text": f"steady {n}", "client_id": cid}, callback=ack
        )
        n += 1
        next_at += 1 / CHAT_RATE
        time.sleep(max(0.0, next_at - time.monotonic()))
    time.sleep(3)  # let the last deliveries arrive
    with lock:
        rows = [
            {"sent": at, "acked": cid in acked, "delivered": [t - at for t in got.get(cid, [])]}
            for cid, at in sent.items()
        ]
    for sio in clients:
        sio.disconnect()
    out.put(rows)


def chat_summary(rows: list[dict], start: float, end: float) -> dict:
    """Delivery latency (ms) of the messages sent in [start, end], and how many were lost."""
    picked = [r for r in rows if start <= r["sent"] <= end]
    latencies = [d * 1000 for r in picked for d in r["delivered"]]
    lost = sum(1 for r in picked if r["acked"] and len(r["delivered"]) < CHAT_CLIENTS)
    return {
        "messages": len(picked),
        "p50_ms": pct(latencies, 0.5),
        "p99_ms": pct(latencies, 0.99),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "lost": lost,
        "unacked": sum(1 for r in picked if not r["acked"]),
    }


def watch(url: str, token: str, stop: threading.Event, out: list) -> None:
    """GET /api/auth/me every 0.25 s until stopped: (status or error, seconds)."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            reply = requests.get(
                f"{url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            out.append((reply.status_code, time.perf_counter() - started))
        except requests.RequestException as error:
            out.append((type(error).__name__, time.perf_counter() - started))
        stop.wait(0.25)


def burst(url: str, path: str, count: int, watcher_token: str) -> dict:
    """`count` POSTs to `path`, released together, each from its own address."""
    barrier = threading.Barrier(count + 1)
    answers: list = []

    def one(n: int) -> None:
        session = session_from(address_of(n))
        body = {"username": f"burst{n:04d}", "password": PASSWORD}
        barrier.wait(60)
        started = time.perf_counter()
        try:
            status = session.post(f"{url}{path}", json=body, timeout=90).status_code
        except requests.RequestException as error:
            status = type(error).__name__
        answers.append((status, time.perf_counter() - started, time.time()))
        session.close()

    stop, me = threading.Event(), []
    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(one, n) for n in range(count)]
        barrier.wait(60)
        released = time.time()
        watcher = threading.Thread(target=watch, args=(url, watcher_token, stop, me))
        watcher.start()
        for future in futures:
            future.result(timeout=300)
    stop.set()
    watcher.join(90)
    statuses: dict[str, int] = {}
    for status, _, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    times = [t for _, t, _ in answers]
    return {
        "released": released,
        "last_answer": max(at for _, _, at in answers),
        "statuses": statuses,
        "seconds_to_last": round(max(at for _, _, at in answers) - released, 2),
        "answer_p50_s": round(sorted(times)[len(times) // 2], 2),
        "answer_p99_s": round(sorted(times)[int(0.99 * len(times))], 2),
        "me": {
            "asked": len(me),
            "ok": sum(1 for status, _ in me if status == 200),
            "max_ms": round(max(t for _, t in me) * 1000, 1) if me else None,
        },
    }


def run_backend(name: str, work, database_url: str, count: int, **env: str) -> dict:
    with chatapp_server(work, database_url, **PRODUCTION, **env) as server:
        url = server.url
        tokens = []
        for n in range(CHAT_CLIENTS + 1):  # the chat clients, and the watcher
            body = {"username": f"steady{n}", "password": PASSWORD}
            requests.post(f"{url}/api/auth/register", json=body, timeout=60)
            tokens.append(requests.post(f"{url}/api/auth/login", json=body, timeout=60).json())
        tokens = [t["token"] for t in tokens]
        spawn = multiprocessing.get_context("spawn")
        ready, stop, out = spawn.Event(), spawn.Event(), spawn.Queue()
        sampler = spawn.Process(target=chat, args=(url, tokens[:CHAT_CLIENTS], ready, stop, out))
        sampler.start()
        assert ready.wait(60), "chat clients did not connect"
        quiet_start = time.time()
        time.sleep(5)
        quiet_end = time.time()
        bursts = {}
        for label, path in (("registrations", "/api/auth/register"), ("logins", "/api/auth/login")):
            bursts[label] = burst(url, path, count, tokens[-1])
            time.sleep(3)
        stop.set()
        rows = out.get(timeout=60)
        sampler.join(30)
    result = {"quiet": chat_summary(rows, quiet_start, quiet_end)}
    for label, row in bursts.items():
        row["chat"] = chat_summary(rows, row["released"], row["last_answer"])
        result[label] = row
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results = {}
    with private_services("chatapp_burst") as env:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{env.work / 'burst.db'}"
                results[backend] = run_backend(backend, env.work, url, args.burst)
            else:
                results[backend] = run_backend(
                    backend, env.work, env.database_url, args.burst, REDIS_URL=env.redis.url
                )
    save("login_burst", results)
    print(
        "| backend | burst | answers | to last answer s | answer p50 / p99 s "
        "| /api/auth/me ok / asked, max ms | chat p99 ms quiet → during (lost) |"
    )
    print("|---|---|---|---|---|---|---|")
    for backend, result in results.items():
        quiet = result["quiet"]["p99_ms"]
        for label in ("registrations", "logins"):
            r = result[label]
            answers = ", ".join(f"{n}× {s}" for s, n in sorted(r["statuses"].items()))
            me, c = r["me"], r["chat"]
            print(
                f"| {backend} | {args.burst} {label} | {answers} | {r['seconds_to_last']} | "
                f"{r['answer_p50_s']} / {r['answer_p99_s']} | "
                f"{me['ok']} / {me['asked']}, {me['max_ms']} | {quiet} → {c['p99_ms']} "
                f"({c['lost']}) |"
            )
    print(json.dumps({b: r["quiet"] for b, r in results.items()}))


if __name__ == "__main__":
    main()
