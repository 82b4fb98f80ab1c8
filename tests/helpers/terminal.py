"""Run a program in a pseudo-terminal and read its screen as a person would (pyte)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import threading

import pyte

from tests.helpers.wait import wait_for


class Terminal:
    def __init__(self, command: list[str], cwd, env: dict, columns: int = 110, lines: int = 30):
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        # The program asks where the cursor is (CPR); the emulator answers through the pty.
        self.screen.write_process_input = lambda data: os.write(master, data.encode())
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**env, "TERM": "xterm-256color"},
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self._lock = threading.Lock()
        self._alive = True
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while self._alive:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.stream.feed(data)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def display(self) -> list[str]:
        with self._lock:
            return [line.rstrip() for line in self.screen.display]

    def wait_for_text(self, text: str, timeout: float = 30) -> list[str]:
        return wait_for(
            lambda: self.display() if any(text in line for line in self.display()) else None,
            timeout,
            0.05,
            f"{text!r} on the screen",
        )

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._alive = False
        self._reader.join(5)
        os.close(self.master)
