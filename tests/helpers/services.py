"""Reaching the real PostgreSQL, Redis and NATS servers the tests need.

Outside CI a missing service skips its tests; under CI=true it fails them,
because `.ci/run` starts every service first and a skip would hide a gap.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest
from requests.adapters import HTTPAdapter

from tests.helpers.wait import wait_for

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")

DATABASES = ("sqlite", "postgresql")


def database_backends() -> list[str]:
    """The databases the database tests run on: both, or those CHATAPP_TEST_DATABASES names.

    `make test-fast` names SQLite alone, for a quick local loop. Under CI both
    always run, so a stray setting cannot leave PostgreSQL out unnoticed.
    """
    named = os.environ.get("CHATAPP_TEST_DATABASES", "")
    chosen = [name.strip() for name in named.split(",") if name.strip()] or list(DATABASES)
    unknown = sorted(set(chosen) - set(DATABASES))
    if unknown:
        raise pytest.UsageError(
            f"CHATAPP_TEST_DATABASES names {unknown}; choose from {', '.join(DATABASES)}"
        )
    if IN_CI and set(chosen) != set(DATABASES):
        raise pytest.UsageError("under CI=true every database test runs on every database")
    return [name for name in DATABASES if name in chosen]


class SourceAddress(HTTPAdapter):
    """requests connections from a chosen loopback address: another client machine.

    127.0.0.0/8 is all loopback, so per-address limits (the app's, nginx's)
    count each address separately.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require(service: str, reachable: bool) -> None:
    """Skip (or, under CI, fail) when `service` cannot be reached."""
    if reachable:
        return
    message = f"{service} is not reachable; start it (see README, 'Running the tests')"
    if IN_CI:
        pytest.fail(message + " -- under CI every service must be up", pytrace=False)
    pytest.skip(message)


class RedisServer:
    """A private redis-server on a free loopback port, which tests may stop and restart."""

    def __init__(self, directory):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process = None

    def start(self) -> RedisServer:
        import shutil
        import subprocess

        executable = shutil.which("redis-server")
        require("redis-server (binary)", executable is not None)
        self.process = subprocess.Popen(
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open("127.0.0.1", self.port, 0.2), 10, 0.05, "redis-server")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def create_postgres_database(prefix: str = "chatapp_e2e") -> tuple[str, Callable[[], None]]:
    """A new empty database on the machine's PostgreSQL: (url, drop)."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from chatapp.config import postgres_driver

    admin = make_url(POSTGRES_ADMIN_URL)
    require("PostgreSQL", port_open(admin.host or "127.0.0.1", admin.port or 5432))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(
        postgres_driver(admin.render_as_string(hide_password=False)), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return postgres_driver(admin.set(database=name).render_as_string(hide_password=False)), drop


class PostgresServer:
    """A private PostgreSQL cluster on a free port, which tests may stop and start.

    PostgreSQL refuses to run as root, so the cluster runs as the `postgres`
    system user (through runuser) when the tests run as root.
    """

    def __init__(self) -> None:
        import glob
        import shutil
        import tempfile

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        self.bin = os.path.dirname(found[-1]) if found else None
        if self.bin is None and shutil.which("pg_ctl"):
            self.bin = os.path.dirname(shutil.which("pg_ctl"))
        require("PostgreSQL server binaries (pg_ctl)", self.bin is not None)
        self.port = free_port()
        # Not under pytest's tmp_path: that is private to root, and the cluster
        # runs as the postgres user.
        self.directory = tempfile.mkdtemp(prefix="chatapp-pg-")
        self.data = os.path.join(self.directory, "data")
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        import subprocess

        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> PostgresServer:
        import shutil

        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run(f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres")
        return self.start()

    def start(self) -> PostgresServer:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = os.path.join(self.directory, "postgres.log")
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-o", options, "-l", log, "-w", "start")
        return self

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as in a real outage."""
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        import shutil

        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class NatsServer:
    """A private nats-server (JetStream on) on a free port; stop and start keep its store."""

    def __init__(self, directory, *args: str, port: int | None = None) -> None:
        import shutil

        self.executable = shutil.which("nats-server") or "/usr/sbin/nats-server"
        require("nats-server (binary)", os.path.exists(self.executable))
        self.port = port or free_port()
        self.directory = str(directory)
        self.args = list(args)
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process = None

    def start(self, *args: str) -> NatsServer:
        """Start, optionally with other auth arguments than before (same port, same store)."""
        import subprocess

        if args:
            self.args = list(args)
        command = [
            self.executable,
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            self.directory,
            *self.args,
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: port_open("127.0.0.1", self.port, 0.2), 15, 0.05, "nats-server")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
