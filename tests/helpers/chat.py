"""`python cli.py chat` as a user runs it: its command line, its environment, piped runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from tests.helpers.server import ROOT
from tests.helpers.wait import wait_for


def client_env(tmp_path, name, password="correct horse", **extra):
    """The environment of `name`'s client: a home of its own under `tmp_path`, no CHATAPP_*."""
    home = tmp_path / f"home-{name}"
    home.mkdir(exist_ok=True)
    variables = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CHATAPP_")},
        "XDG_CONFIG_HOME": str(home / ".config"),
        "HOME": str(home),
    }
    if password is not None:
        variables["CHATAPP_PASSWORD"] = password
    variables.update(extra)
    return variables


def chat_command(url, username, *args):
    """The command line of `python cli.py chat` against `url` as `username`."""
    return [sys.executable, "cli.py", "chat", "--server", url, "--username", username, *args]


def run_chat(server, tmp_path, username, text, *args, password="correct horse", timeout=60):
    """One piped run: send `text`'s lines, wait for their acks, exit."""
    return subprocess.run(
        chat_command(server.url, username, "--register", *args),
        cwd=ROOT,
        input=text,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=client_env(tmp_path, username, password),
    )


class ChatProcess:
    """A long-running piped client: write lines, read JSON events as they come."""

    def __init__(self, server_url, tmp_path, username, room="general"):
        self.process = subprocess.Popen(
            chat_command(server_url, username, "--chatroom", room, "--register", "--json"),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=client_env(tmp_path, username),
        )
        self.events: list[dict] = []
        self.raw: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.raw.append(line)
            try:
                self.events.append(json.loads(line))
            except ValueError:
                pass

    def say(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def texts(self):
        return [e["data"]["text"] for e in list(self.events) if e["event"] == "message"]

    def wait_event(self, predicate, timeout=30, message="an event"):
        return wait_for(
            lambda: next((e for e in list(self.events) if predicate(e)), None),
            timeout,
            0.05,
            message,
        )

    def finish(self, timeout=60):
        """End the input (the client exits once every line is acked); its exit code."""
        self.process.stdin.close()
        self.process.wait(timeout)
        self._reader.join(10)
        self.process.stdout.close()
        return self.process.returncode

    def stop(self):
        """Kill the client if it still runs, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process.stdin.close()
        self._reader.join(10)
        self.process.stdout.close()
