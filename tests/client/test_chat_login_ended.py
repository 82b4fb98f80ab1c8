"""The terminal client when its login ends elsewhere: logout, users disable, the server's word.

Real server processes and the real client, piped (exit code 5, unsent lines
reported) and on a terminal (offered a new login, queued lines then sent).
"""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys

import pytest
import requests

from tests.helpers.chat import ChatProcess, chat_command, client_env
from tests.helpers.server import ROOT, ServerProcess, server_env
from tests.helpers.terminal import Terminal
from tests.helpers.wait import wait_for

HOOKED = "tests.scripts.serve_with_login_end_hook"

pytestmark = pytest.mark.slow


class HookedServer(ServerProcess):
    """A server with POST /api/test/end-login/<user> (tests/scripts/serve_with_login_end_hook)."""

    def start(self, timeout: float = 30) -> HookedServer:
        with open(self.log_path, "ab") as out:
            command = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
            self.process = subprocess.Popen(
                [sys.executable, "-m", HOOKED, *command],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._ready, timeout, 0.1, f"server on port {self.port}")
        return self


def chat_env(tmp_path):
    """Server settings on tmp_path/chat.db, for a server of this test's own."""
    return server_env(f"sqlite:///{tmp_path / 'chat.db'}", RATELIMIT_REGISTER="1000 per hour")


def start_server(env, tmp_path, **settings):
    return ServerProcess({**env, **settings}, log_path=tmp_path / "server.log").start()


def cli(tmp_path, user, *args, env=None):
    """`python cli.py ARGS` as `user` would run it (their config home)."""
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**client_env(tmp_path, user, password=None), **(env or {})},
    )


def stored_texts(tmp_path):
    with sqlite3.connect(tmp_path / "chat.db") as db:
        return [row[0] for row in db.execute("SELECT text FROM messages ORDER BY id")]


def errors(chat, code):
    return [
        e["error"]
        for e in list(chat.events)
        if e["event"] == "error" and e["error"]["code"] == code
    ]


def test_piped_client_exits_5_after_cli_logout_while_listening(tmp_path):
    # A listening socket is cut by the server's sweep of ended logins; its
    # reconnect is refused as unauthorized. It used to retry forever, silently.
    env = chat_env(tmp_path)
    server = start_server(env, tmp_path, PRESENCE_REFRESH="1")
    alice = ChatProcess(server.url, tmp_path, "alice")
    try:
        alice.wait_event(lambda e: e["event"] == "joined")
        result = cli(tmp_path, "alice", "logout", "--server", server.url, "--username", "alice")
        assert result.returncode == 0 and "Logged out alice" in result.stdout
        alice.wait_event(lambda e: e.get("error", {}).get("code") == "login_ended", 30)
        assert alice.process.wait(30) == 5
        assert errors(alice, "login_ended")[0]["message"] == "Your login ended: log in again."
        assert errors(alice, "not_sent") == []  # nothing was typed
        assert not any("Traceback" in line or "packet queue" in line for line in alice.raw)
    finally:
        alice.stop()
        server.stop()


def test_piped_client_reports_the_line_refused_by_an_ended_login(tmp_path):
    # LOGIN_RECHECK_SECONDS=0: the send right after `users disable` meets the
    # ended login (the unauthorized ack), not the sweep.
    env = chat_env(tmp_path)
    server = start_server(env, tmp_path, LOGIN_RECHECK_SECONDS="0", PRESENCE_REFRESH="60")
    alice = ChatProcess(server.url, tmp_path, "alice")
    try:
        alice.wait_event(lambda e: e["event"] == "joined")
        alice.say("before")
        alice.wait_event(lambda e: e.get("data", {}).get("text") == "before")
        disabled = cli(tmp_path, "admin", "users", "disable", "alice", env=env)
        assert disabled.returncode == 0, disabled.stdout + disabled.stderr
        alice.say("typed after the end")
        alice.wait_event(lambda e: e.get("error", {}).get("code") == "not_sent", 30)
        assert alice.process.wait(30) == 5
        assert errors(alice, "login_ended")[0]["message"] == "Your login ended: log in again."
        [unsent] = errors(alice, "not_sent")
        assert unsent["lines"] == ["typed after the end"]
        assert unsent["message"] == '1 line(s) not sent: "typed after the end"'
        assert stored_texts(tmp_path) == ["before"]
    finally:
        alice.stop()
        server.stop()


def test_the_unauthorized_event_ends_the_session_even_if_a_reconnect_would_work(tmp_path):
    # The hook tells the socket its login ended and cuts it, but the token
    # still works: only a client that obeys the event stops here.
    env = chat_env(tmp_path)
    server = HookedServer(env, log_path=tmp_path / "server.log").start()
    alice = ChatProcess(server.url, tmp_path, "alice")
    try:
        alice.wait_event(lambda e: e["event"] == "joined")
        ended = requests.post(f"{server.url}/api/test/end-login/alice", timeout=10)
        assert ended.json() == {"sockets": 1}
        assert alice.process.wait(30) == 5
        assert errors(alice, "login_ended")
        assert errors(alice, "disconnected") == []  # no "reconnecting..." either
        assert not [e for e in alice.events if e.get("status") == "reconnected"]
    finally:
        alice.stop()
        server.stop()


def test_terminal_offers_a_new_login_and_keeps_the_line_being_typed(tmp_path):
    env = chat_env(tmp_path)
    server = start_server(env, tmp_path, PRESENCE_REFRESH="1")
    home = client_env(tmp_path, "alice")
    term = Terminal(chat_command(server.url, "alice", "--register"), cwd=ROOT, env=home)
    try:
        term.wait_for_text("#general>")
        term.type("half typed")
        term.wait_for_text("#general> half typed")
        cli(tmp_path, "alice", "logout", "--server", server.url, "--username", "alice")
        # The sweep cuts the socket, the reconnect is refused: the prompt gives way.
        term.wait_for_text("! Your login ended: log in again.")
        term.wait_for_text("Log in again as alice? [Y/n]")
        term.type("did I miss anything?\r")  # a chat line, typed without noticing
        term.wait_for_text("Kept that line: it is sent once you are logged in again.")
        term.type("y\r")
        term.wait_for_text("Password for alice (empty to quit):")
        term.type("correct horse\r")
        term.wait_for_text("Logged in again as alice.")
        screen = term.wait_for_text("#general> half typed")  # the line being typed is back
        assert not any("correct horse" in line for line in screen)  # no echo
        term.wait_for_text("<alice> did I miss anything?")  # kept, then sent
        term.type(" and sent\r")
        term.wait_for_text("<alice> half typed and sent")
        term.type("\x04")
        assert term.process.wait(20) == 0
        assert stored_texts(tmp_path) == ["did I miss anything?", "half typed and sent"]
        # The password never reaches the line history; the history is private.
        [history] = (tmp_path / "home-alice" / ".config" / "chatapp" / "histories").iterdir()
        assert "half typed and sent" in history.read_text()
        assert "correct horse" not in history.read_text()
        assert stat.S_IMODE(history.stat().st_mode) == 0o600
        assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700
    finally:
        term.close()
        server.stop()


def test_terminal_declining_a_new_login_reports_queued_lines_and_exits_5(tmp_path):
    # The login ends in the database only (as a process that cannot announce it
    # would), so the server learns it when the line is sent: its ack.
    env = chat_env(tmp_path)
    server = start_server(env, tmp_path, PRESENCE_REFRESH="60", LOGIN_RECHECK_SECONDS="0")
    term = Terminal(
        chat_command(server.url, "alice", "--register"), cwd=ROOT, env=client_env(tmp_path, "alice")
    )
    try:
        term.wait_for_text("#general>")
        with sqlite3.connect(tmp_path / "chat.db") as db:
            db.execute("UPDATE auth_sessions SET revoked_at = CURRENT_TIMESTAMP")
        term.type("lost line\r")  # its ack says unauthorized: kept, not dropped
        term.wait_for_text("Log in again as alice? [Y/n]")
        term.type("n\r")
        term.wait_for_text('! 1 line(s) not sent: "lost line"')
        assert term.process.wait(20) == 5
        assert stored_texts(tmp_path) == []
    finally:
        term.close()
        server.stop()
