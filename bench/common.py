"""What every benchmark shares: servers to measure, the load generator, process readings.

Servers run as real processes on loopback: chatapp through `cli.py serve`
(tests/helpers/server.py) and the bare baseline (bench/baseline_server.py). Readings
come from /proc, so they include every thread of the measured process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.helpers.server import ROOT, ServerProcess
from tests.helpers.services import free_port
from tests.helpers.wait import wait_for

TICKS = os.sysconf("SC_CLK_TCK")
RESULTS = ROOT / "bench/results"

#: chatapp's settings for every benchmark: limits off (never the default), and
#: a cheap password hash for setting up hundreds of users (bench/logins.py
#: measures the production hash separately).
CHATAPP_BENCH_ENV = {
    "SECRET_KEY": "bench-" + "b" * 40,
    "RATELIMIT_ENABLED": "false",
    "PASSWORD_ARGON2_TIME_COST": "1",
    "PASSWORD_ARGON2_MEMORY_KIB": "8",
    "LOG_LEVEL": "WARNING",
    "MAX_SESSIONS_PER_USER": "1000",
    # The load generator connects in waves of 50 from one address: past the
    # per-address cap of handshakes not logged in yet (20), the rest got 429.
    "MAX_PENDING_PER_ADDRESS": "1000",
}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss_mib(pid: int) -> float:
    return round(rss_kib(pid) / 1024, 1)


class CpuMeter:
    """A process's CPU use, in % of one core, between start and read()."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu0, self.t0 = cpu_seconds(pid), time.monotonic()

    def read(self) -> float:
        return round(100 * (cpu_seconds(self.pid) - self.cpu0) / (time.monotonic() - self.t0), 1)


class MachineMeter:
    """The whole machine's busy share (all cores, 100 % = every core busy) since start."""

    def __init__(self) -> None:
        self.busy0, self.total0 = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    def read(self) -> float:
        busy, total = self._read()
        return round(100 * (busy - self.busy0) / max(1, total - self.total0), 1)


def up(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).ok
    except requests.RequestException:
        return False


def make_tokens(url: str, count: int, path: Path, prefix: str = "bench") -> str:
    """Register and log in `count` users; write their bearer tokens to `path`."""
    from concurrent.futures import ThreadPoolExecutor

    def one(n: int) -> str:
        body = {"username": f"{prefix}{n:05d}", "password": "bench password"}
        requests.post(f"{url}/api/auth/register", json=body, timeout=60)
        return requests.post(f"{url}/api/auth/login", json=body, timeout=60).json()["token"]

    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(one, range(count)))
    path.write_text(json.dumps(tokens))
    return str(path)


@contextmanager
def private_services(name: str, *, nats: bool = False):
    """A work folder, a private Redis (and NATS), a throwaway PostgreSQL database.

    Yields a namespace with work, redis, nats (the servers, which a fault run
    may stop and start) and database_url; all are stopped and dropped after.
    """
    from types import SimpleNamespace

    from tests.helpers.services import NatsServer, RedisServer, create_postgres_database

    work = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    redis_server = RedisServer(work).start()
    nats_server = NatsServer(work / "nats").start() if nats else None
    database_url, drop = create_postgres_database(name)
    try:
        yield SimpleNamespace(
            work=work, redis=redis_server, nats=nats_server, database_url=database_url
        )
    finally:
        if nats_server is not None:
            nats_server.stop()
        redis_server.stop()
        drop()


@contextmanager
def chatapp_server(work: Path, database_url: str, root: Path = ROOT, **env: str):
    """A chatapp `serve` process (of checkout `root`) with the benchmark settings plus `env`."""
    settings = {**CHATAPP_BENCH_ENV, "DATABASE_URL": database_url, **env}
    log_path = work / f"chatapp-{time.monotonic_ns()}.log"
    server = ServerProcess(settings, log_path=log_path, root=root)
    server.start(timeout=60)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def baseline_server(redis_url: str | None):
    """The bare Flask-SocketIO server, with or without the Redis queue. Yields (url, pid)."""
    port = free_port()
    command = [sys.executable, "-m", "bench.baseline_server", "--port", str(port)]
    if redis_url:
        command += ["--redis", redis_url]
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: up(url), 30, 0.2, "the baseline server")
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(10)


def pin(pid: int, core: int) -> None:
    """Run every thread of process `pid` on CPU `core` only (as `taskset -a -p` does)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), {core})


#: With --pin, the measured server runs on CPU 0 and the load generator on CPU 1,
#: so neither steals the other's core (the databases and brokers float).
SERVER_CORE, LOADGEN_CORE = 0, 1


def loadgen(
    url: str, tokens: str | None = None, timeout: float = 900, pinned: bool = False, **options
) -> dict:
    """Run bench/loadgen.py in its own process (its CPU is not the server's)."""
    command = [sys.executable, "-m", "bench.loadgen", "--url", url]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    if tokens:
        command += ["--tokens", tokens]
    if pinned:
        command = ["taskset", "-c", str(LOADGEN_CORE), *command]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"loadgen failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_load_table(rows: list[dict]) -> None:
    """The Markdown table of load-generator runs (rows from loadgen() plus server readings)."""
    print(
        "| server | held | rate in | deliveries/s | ack p50/p99 ms | delivery p50/p95/p99/max ms "
        "| lost | dup | server CPU % (step / sending) | machine CPU % | RSS MiB | loadgen CPU % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        a, d = r["ack_ms"], r["delivery_ms"]
        print(
            f"| {r['server']} | {r['held']} | {r['rate_in']:g} | {r['deliveries_per_s']} | "
            f"{a['p50']} / {a['p99']} | {d['p50']} / {d['p95']} / {d['p99']} / {d['max']} | "
            f"{r['lost']} | {r['duplicates']} | {r['server_cpu_pct']} / "
            f"{r.get('server_send_cpu_pct')} | {r['machine_cpu_pct']} | "
            f"{r['server_rss_mib']} | {r['loadgen_cpu_pct']} |"
        )


@contextmanager
def checkout(ref: str):
    """A throwaway git worktree of commit `ref` (for before/after runs in one benchmark)."""
    path = Path(tempfile.mkdtemp(prefix="chatapp-ref-")) / "tree"
    subprocess.run(
        ["git", "worktree", "add", "-q", "--detach", str(path), ref], cwd=ROOT, check=True
    )
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=True)
        path.parent.rmdir()  # the empty folder mkdtemp made for it


def save(name: str, data) -> Path:
    """Write raw results to bench/results/<name>-<time>.json; return the path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=2))
    print(f"raw results: {path.relative_to(ROOT)}", file=sys.stderr)
    return path


def raise_open_files_limit() -> None:
    """Soft limit up to the hard one: thousands of sockets need thousands of files."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
