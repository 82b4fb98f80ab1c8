"""Real server processes for end-to-end tests (as python-socketio's tests/web_server.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.helpers.config import FAST_HASH
from tests.helpers.services import free_port
from tests.helpers.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]


def server_env(database_url: str, **settings: str) -> dict[str, str]:
    """Settings for a test server process: its database, a test secret, cheap hashing."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-server-" + "s" * 40,
        **FAST_HASH,
        **settings,
    }


class ServerProcess:
    """`python cli.py serve` on a free loopback port, with its own environment."""

    def __init__(
        self,
        env: dict[str, str],
        port: int | None = None,
        log_path: Path | None = None,
        root: Path = ROOT,
    ):
        self.root = root  # a checkout of chatapp: this one, or another commit's (bench)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def database(self) -> Path:
        """The SQLite file this server runs on."""
        return Path(self.env["DATABASE_URL"].removeprefix("sqlite:///"))

    def start(self, timeout: float = 30) -> ServerProcess:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            command = ["cli.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            self.process = subprocess.Popen(
                [sys.executable, *command],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        finally:
            if self.log_path:
                out.close()  # the child holds its own copy of the descriptor
        wait_for(self._ready, timeout, 0.1, f"server on port {self.port}")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            log = self.log_path.read_text()[-3000:] if self.log_path else ""
            raise AssertionError(f"server exited with {self.process.returncode}\n{log}")
        try:
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to clean up."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(15)
