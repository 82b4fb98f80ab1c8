"""Chat latency while logins are hashed: does password hashing stall the hub?

    .venv/bin/python -m bench.logins [--duration 30] [--logins-per-s 10]

One chatapp `serve` process (PostgreSQL, private Redis) with the production
password hash (Argon2id m=19 MiB, t=2, p=1: about 20 ms of CPU each here;
before, scrypt N=2^15, r=8, p=3 took 0.28 s). The same chat load (200 clients
in 10 rooms, 20 msg/s in) runs twice: quiet, then with a second process
logging in at the set rate with correct passwords. The chat users were
registered by an earlier server process with a cheap hash, so setting them up
costs little; only the measured logins are expensive. Target: chat p99 no
more than doubles. The server hashes PASSWORD_HASH_WORKERS at a time (one
core fewer than the machine) and answers 503 "busy" when the expected wait
passes PASSWORD_HASH_MAX_WAIT, which is counted.
"""

from __future__ import annotations

import argparse
import threading
import time

import requests

from bench.common import CpuMeter, chatapp_server, loadgen, make_tokens, private_services, save

LOAD = {"clients": 200, "rooms": 10, "senders": 20, "rate": 20}
#: The production defaults, stated: bench/common.py sets a cheap hash.
PRODUCTION_HASH = {
    "PASSWORD_ARGON2_TIME_COST": "2",
    "PASSWORD_ARGON2_MEMORY_KIB": "19456",
    "PASSWORD_ARGON2_PARALLELISM": "1",
}


def log_in_steadily(url: str, per_second: float, stop: threading.Event, out: list) -> None:
    """POST /api/auth/login at `per_second`, each in its own thread; record latencies."""
    users = [f"login{n}" for n in range(10)]
    threads = []
    next_at = time.monotonic()
    n = 0

    def one(username: str) -> None:
        started = time.perf_counter()
        reply = requests.post(
            f"{url}/api/auth/login",
            json={"username": username, "password": "login password"},
            timeout=60,
        )
        out.append((reply.status_code, time.perf_counter() - started))

    while not stop.is_set():
        thread = threading.Thread(target=one, args=(users[n % len(users)],))
        thread.start()
        threads.append(thread)
        n += 1
        next_at += 1 / per_second
        time.sleep(max(0.0, next_at - time.monotonic()))
    for thread in threads:
        thread.join(90)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--logins-per-s", type=float, default=10)
    args = parser.parse_args()
    results = {}
    with private_services("chatapp_logins") as env:
        work, database_url = env.work, env.database_url
        redis_server = env.redis
        with chatapp_server(work, database_url, REDIS_URL=redis_server.url) as setup:
            tokens = make_tokens(setup.url, LOAD["clients"], work / "tokens.json")
        production = {"REDIS_URL": redis_server.url, **PRODUCTION_HASH}
        with chatapp_server(work, database_url, **production) as chat:
            for n in range(10):  # hashed with the production method
                body = {"username": f"login{n}", "password": "login password"}
                requests.post(f"{chat.url}/api/auth/register", json=body, timeout=60)
            for phase in ("quiet", "logging in"):
                stop, logins = threading.Event(), []
                driver = None
                if phase == "logging in":
                    driver = threading.Thread(
                        target=log_in_steadily,
                        args=(chat.url, args.logins_per_s, stop, logins),
                    )
                    driver.start()
                meter, began = CpuMeter(chat.process.pid), time.monotonic()
                row = loadgen(chat.url, tokens, duration=args.duration, room=phase[:5], **LOAD)
                row["server_cpu_pct"] = meter.read()
                row["phase_s"] = round(time.monotonic() - began, 1)
                stop.set()
                if driver is not None:
                    driver.join(120)
                    times = sorted(t for status, t in logins if status == 200)
                    row["logins"] = {
                        "offered": len(logins),
                        "ok": len(times),
                        "busy_503": sum(1 for status, _ in logins if status == 503),
                        "other": sum(1 for status, _ in logins if status not in (200, 503)),
                        "ok_per_s": round(len(times) / row["phase_s"], 1),
                        "p50_ms": round(times[len(times) // 2] * 1000, 1) if times else None,
                        "p99_ms": round(times[int(0.99 * len(times))] * 1000, 1) if times else None,
                    }
                results[phase] = row
    save("logins", results)
    print("| phase | delivery p50/p95/p99/max ms | ack p99 ms | lost | server CPU % | logins |")
    print("|---|---|---|---|---|---|")
    for phase, r in results.items():
        d = r["delivery_ms"]
        print(
            f"| {phase} | {d['p50']} / {d['p95']} / {d['p99']} / {d['max']} | "
            f"{r['ack_ms']['p99']} | {r['lost']} | {r['server_cpu_pct']} | {r.get('logins', '')} |"
        )
    quiet, busy = (
        results["quiet"]["delivery_ms"]["p99"],
        results["logging in"]["delivery_ms"]["p99"],
    )
    print(f"\np99 ratio (logging in / quiet): {busy / quiet:.2f} (target: at most 2)")


if __name__ == "__main__":
    main()
