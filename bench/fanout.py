"""Fan-out benchmark: chatapp against the bare Flask-SocketIO baseline, same run, same machine.

    .venv/bin/python bench/fanout.py [--rates 25,50,100,200] [--duration 8] [--clients 100]

Both servers use a private Redis as the Socket.IO message queue; chatapp also
runs on a throwaway PostgreSQL database with RATELIMIT_ENABLED=false. For each
rate (messages per second in, from 5 senders to 1 room of N clients) it runs
bench/loadgen.py in its own process and records the server's CPU and RSS. It
stops stepping a server when p99 send-to-delivery passes 200 ms or anything
is lost. Results: bench/results/fanout-*.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server import ServerProcess, wait_for  # noqa: E402
from tests.services import RedisServer, create_postgres_database, free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def loadgen(url: str, rate: float, args, tokens: str | None) -> dict:
    command = [
        sys.executable,
        str(ROOT / "bench/loadgen.py"),
        "--url",
        url,
        "--clients",
        str(args.clients),
        "--senders",
        "5",
        "--rate",
        str(rate),
        "--duration",
        str(args.duration),
        "--room",
        f"fan{int(rate)}",
    ]
    if tokens:
        command += ["--tokens", tokens]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def step(name: str, url: str, pid: int, args, tokens: str | None) -> list[dict]:
    rows = []
    for rate in args.rates:
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        result = loadgen(url, rate, args, tokens)
        result["server_cpu_pct"] = round(
            100 * (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0), 1
        )
        result["server_rss_mib"] = rss_mib(pid)
        result["server"] = name
        rows.append(result)
        print(
            f"# {name} rate {rate}: p99 {result['delivery_ms']['p99']} ms, lost {result['lost']}",
            file=sys.stderr,
        )
        if (result["delivery_ms"]["p99"] or 0) > 200 or result["lost"] > 0:
            break
    return rows


def up(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).ok
    except requests.RequestException:
        return False


def chatapp_tokens(url: str, count: int, path: Path) -> str:
    tokens = []
    for n in range(count):
        body = {"username": f"bench{n:05d}", "password": "bench password"}
        requests.post(f"{url}/api/auth/register", json=body, timeout=30)
        tokens.append(requests.post(f"{url}/api/auth/login", json=body, timeout=30).json()["token"])
    path.write_text(json.dumps(tokens))
    return str(path)


def run_baseline(redis_url: str, args) -> list[dict]:
    port = free_port()
    command = [
        sys.executable,
        str(ROOT / "bench/baseline_server.py"),
        "--port",
        str(port),
        "--redis",
        redis_url,
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: up(url), 30, 0.2, "baseline")
        return step("baseline", url, server.pid, args, None)
    finally:
        server.terminate()
        server.wait(10)


def run_chatapp(redis_url: str, database_url: str, args, work: Path) -> list[dict]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-" + "b" * 40,
        "RATELIMIT_ENABLED": "false",
        # Setup only: 100 logins at full scrypt cost would take 30 s.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "LOG_LEVEL": "WARNING",
        "MAX_SESSIONS_PER_USER": "1000",
    }
    chat = ServerProcess(env, log_path=work / "chatapp.log").start(timeout=60)
    try:
        tokens = chatapp_tokens(chat.url, args.clients, work / "tokens.json")
        return step("chatapp", chat.url, chat.process.pid, args, tokens)
    finally:
        chat.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="25,50,100,200")
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--only", choices=["baseline", "chatapp"], help="run one server only")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    work = Path(tempfile.mkdtemp(prefix="chatapp-bench-"))
    redis_server = RedisServer(work).start()
    database_url, drop = create_postgres_database("chatapp_bench")
    rows: list[dict] = []
    try:
        if args.only != "chatapp":
            rows += run_baseline(redis_server.url, args)
        if args.only != "baseline":
            rows += run_chatapp(redis_server.url, database_url, args, work)
    finally:
        redis_server.stop()
        drop()
    write_results(rows)


def write_results(rows: list[dict]) -> None:
    if not rows:
        return
    results = ROOT / "bench/results"
    results.mkdir(exist_ok=True)
    out = results / f"fanout-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(rows, indent=2))
    print(
        "| server | rate in | deliveries/s | ack p50/p99 ms | delivery p50/p95/p99/max ms "
        "| lost | dup | server CPU % | RSS MiB | loadgen CPU % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        a, d = r["ack_ms"], r["delivery_ms"]
        print(
            f"| {r['server']} | {r['rate_in']:g} | {r['deliveries_per_s']} | "
            f"{a['p50']} / {a['p99']} | {d['p50']} / {d['p95']} / {d['p99']} / {d['max']} | "
            f"{r['lost']} | {r['duplicates']} | {r['server_cpu_pct']} | "
            f"{r['server_rss_mib']} | {r['loadgen_cpu_pct']} |"
        )
    print(f"\nraw results: {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
