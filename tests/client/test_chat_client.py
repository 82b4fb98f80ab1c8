"""`python cli.py chat` end to end: real server processes, piped stdin, real output.

Most tests share the module's server, each with users and rooms of its own;
those that stop a server or change its settings start their own.
"""

from __future__ import annotations

import json
import re
import sqlite3
import stat
import subprocess
import sys

import pytest
import requests

from tests.helpers.chat import ChatProcess, chat_command, client_env, run_chat
from tests.helpers.realtime import login
from tests.helpers.server import ROOT, ServerProcess
from tests.helpers.services import RedisServer

pytestmark = pytest.mark.slow

#: Every test here signs users up from one address; budgets that are not under
#: test stay out of the way.
SERVER_SETTINGS = {
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
    "RATELIMIT_HANDSHAKES": "1000 per minute",
}


def test_two_clients_exchange_messages_through_pipes(server, tmp_path):
    amy = ChatProcess(server.url, tmp_path, "amy", room="pipes")
    amy.wait_event(lambda e: e["event"] == "joined")
    ben = ChatProcess(server.url, tmp_path, "ben", room="pipes")
    ben.wait_event(lambda e: e["event"] == "joined")
    amy.wait_event(lambda e: e["event"] == "presence" and e["data"]["user"] == "ben")
    amy.say("hello ben")
    ben.wait_event(lambda e: e.get("data", {}).get("text") == "hello ben", message="amy's line")
    ben.say("hi amy")
    amy.wait_event(lambda e: e.get("data", {}).get("text") == "hi amy", message="ben's line")
    assert amy.finish() == 0 and ben.finish() == 0
    # Each side shows each message once, its own included, in order.
    assert amy.texts() == ["hello ben", "hi amy"]
    assert ben.texts() == ["hello ben", "hi amy"]


def test_plain_output_and_command_tables(server, tmp_path):
    run_chat(server, tmp_path, "bea", "first line\nsecond line\n", "--chatroom", "lobby")
    result = run_chat(
        server,
        tmp_path,
        "cal",
        "#users\n#rooms\n#history 5\n#all_messages\n#my_messages\n/rooms\n/nope\n"
        "/quit\nnever sent\n",
        "--chatroom",
        "lobby",
    )
    assert result.returncode == 1, result.stderr  # /nope is a line refused for good
    out = result.stdout
    assert "* Welcome to #lobby, cal. 1 user online." in out
    assert "<bea> first line" in out and "<bea> second line" in out  # recent history
    assert "#lobby: 1 online: cal" in out  # #users
    assert "ROOM" in out and "#lobby" in out  # #rooms table
    assert "(no messages)" in out  # cal has sent nothing (#all_messages)
    assert "Your rooms: #lobby (current)" in out
    assert "Unknown command /nope" in out
    assert "\x1b" not in out  # not a terminal: plain text, no colour codes
    assert "never sent" not in out  # /quit ends the session there


def test_escape_sequences_from_others_are_printed_inert(server, tmp_path):
    run_chat(server, tmp_path, "mallory", "placeholder\n", "--chatroom", "escapes")
    # The server refuses control characters, so write a hostile message straight
    # into the database, as a compromised or older server might serve it.
    hostile = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x9b1m\u202eevil\r\nfake 12:00 <admin> hi"
    with sqlite3.connect(server.database) as db:
        db.execute("UPDATE messages SET text = ? WHERE text = 'placeholder'", (hostile,))
        db.execute("UPDATE users SET username = ? WHERE name_key = 'mallory'", ("mal\x1b[8mlory",))
    result = run_chat(server, tmp_path, "dan", "", "--chatroom", "escapes")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x9b" not in result.stdout
    assert "\u202e" not in result.stdout and "\r" not in result.stdout
    [line] = [line for line in result.stdout.splitlines() if "red" in line]
    # Every sequence is gone whole (the 8-bit CSI "\x9b1m" too), the text remains.
    assert line.endswith("<mallory> redevil")
    assert "#escapes" not in line  # history of the current room needs no room tag
    # The second line of the message is indented: it cannot pose as a message.
    assert "      | fake 12:00 <admin> hi" in result.stdout.splitlines()


def test_reconnects_prints_missed_messages_once_and_resends_unsent(serve, tmp_path, request):
    # Two servers of one SQLite database must share Redis (serve refuses otherwise).
    (tmp_path / "redis").mkdir()
    redis_server = RedisServer(tmp_path / "redis").start()
    request.addfinalizer(redis_server.stop)
    shared = {**SERVER_SETTINGS, "REDIS_URL": redis_server.url}
    first = serve(**shared)
    other = serve(**shared)  # same database
    bob = ChatProcess(first.url, tmp_path, "bob", room="ops")
    bob.wait_event(lambda e: e["event"] == "joined")
    token = login(other.url, "alice")
    headers = {"Authorization": f"Bearer {token}"}
    requests.post(
        f"{other.url}/api/rooms/ops/join", json={"create": True}, headers=headers, timeout=5
    )
    requests.post(
        f"{other.url}/api/rooms/ops/messages",
        json={"text": "before"},
        headers=headers,
        timeout=5,
    )
    first.stop()  # bob's server goes away
    bob.wait_event(lambda e: e["event"] == "error" and e["error"]["code"] == "disconnected")
    bob.say("typed while away")  # queued, not lost
    for n in range(3):
        requests.post(
            f"{other.url}/api/rooms/ops/messages",
            json={"text": f"missed {n}"},
            headers=headers,
            timeout=5,
        )
    first = serve(port=first.port, **shared)
    bob.wait_event(lambda e: e.get("status") == "reconnected", 60, "the reconnect")
    bob.wait_event(lambda e: e.get("data", {}).get("text") == "typed while away", 30)
    assert bob.finish() == 0
    with sqlite3.connect(first.database) as db:
        stored = [r[0] for r in db.execute("SELECT text FROM messages ORDER BY seq")]
    assert stored == ["before", "missed 0", "missed 1", "missed 2", "typed while away"]
    # The messages sent while bob's server was down never reached him live;
    # the client filled the gap from history: everything once, in order.
    assert bob.texts() == stored


def test_rate_limited_lines_wait_and_are_all_delivered_in_order(serve, tmp_path):
    limited = serve(**SERVER_SETTINGS, RATELIMIT_MESSAGES="2 per 2 seconds")
    result = run_chat(limited, tmp_path, "alice", "one\ntwo\nthree\nfour\n")
    assert result.returncode == 0, result.stderr
    assert "Rate limited: sending again in" in result.stdout
    with sqlite3.connect(limited.database) as db:
        stored = [r[0] for r in db.execute("SELECT text FROM messages ORDER BY seq")]
    assert stored == ["one", "two", "three", "four"]


def test_refused_lines_are_reported_not_silently_dropped(server, tmp_path):
    result = run_chat(server, tmp_path, "eve", "x" * 4001 + "\nfine\n")
    assert result.returncode == 1  # a script learns that a line was refused
    assert "Not sent: Messages are at most 4000 characters." in result.stdout
    assert "<eve> fine" in result.stdout


def test_login_failures_exit_non_zero_with_a_clear_message(server, tmp_path):
    run_chat(server, tmp_path, "fay", "hi\n")
    wrong = run_chat(server, tmp_path, "fay2", "", password="not the password")
    assert wrong.returncode == 0  # --register: a new account, not a failure
    other = subprocess.run(
        chat_command(server.url, "fay", "--register"),
        cwd=ROOT,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        env=client_env(tmp_path, "intruder", password="wrong password"),
    )
    assert other.returncode == 2
    assert "Login failed: wrong password for an existing user." in other.stdout
    no_password = subprocess.run(
        chat_command(server.url, "gus"),
        cwd=ROOT,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        env=client_env(tmp_path, "gus", password=None),
    )
    assert no_password.returncode == 2 and "CHATAPP_PASSWORD" in no_password.stdout
    unreachable = run_chat(ServerProcess({}, port=1), tmp_path, "dave", "hi\n", timeout=60)
    assert unreachable.returncode == 3
    # One readable line, not urllib3's repr of its connection pool.
    assert unreachable.stdout == (
        "! Cannot reach the server at http://127.0.0.1:1: connection refused\n"
    )
    assert "Traceback" not in other.stdout + other.stderr + unreachable.stderr


def cli_logout(tmp_path, user, *options):
    """`python cli.py logout OPTIONS` as `user` runs it (their config home)."""
    return subprocess.run(
        [sys.executable, "cli.py", "logout", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=client_env(tmp_path, user, password=None),
    )


def test_token_file_is_private_reused_and_forgotten_on_logout(server, tmp_path):
    assert run_chat(server, tmp_path, "hal", "hi\n").returncode == 0
    config = tmp_path / "home-hal" / ".config" / "chatapp" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    stored = json.loads(config.read_text())
    token = stored["tokens"][f"{server.url}|hal"]
    # No password this time: the stored token is used.
    again = run_chat(server, tmp_path, "hal", "again\n", password=None)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "<hal> again" in again.stdout
    result = cli_logout(tmp_path, "hal", "--server", server.url, "--username", "hal")
    assert result.returncode == 0 and "Logged out hal" in result.stdout
    assert f"{server.url}|hal" not in json.loads(config.read_text()).get("tokens", {})
    me = requests.get(
        f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert me.status_code == 401  # revoked on the server too


def test_options_are_for_one_run_unless_saved(server, tmp_path):
    assert run_chat(server, tmp_path, "ivy", "hi\n", "--chatroom", "ops").returncode == 0
    config = tmp_path / "home-ivy" / ".config" / "chatapp" / "config.json"
    stored = json.loads(config.read_text())
    # The token is kept for that server and user; --server, --username and
    # --chatroom did not become the defaults.
    assert list(stored) == ["tokens"] and list(stored["tokens"]) == [f"{server.url}|ivy"]
    # So a plain logout targets the default server, and says where the login is.
    result = cli_logout(tmp_path, "ivy", "--username", "ivy")
    assert result.returncode == 0
    assert result.stdout == (
        "No stored login for ivy on http://127.0.0.1:5000.\n"
        "Stored logins (log out with --server and --username):\n"
        f"  ivy on {server.url}\n"
    )
    # --save makes them the defaults: now a plain logout finds the login.
    assert run_chat(server, tmp_path, "ivy", "", "--chatroom", "ops", "--save").returncode == 0
    saved = json.loads(config.read_text())
    assert (saved["server"], saved["username"], saved["room"]) == (server.url, "ivy", "ops")
    result = cli_logout(tmp_path, "ivy")
    assert result.stdout == f"Logged out ivy from {server.url}.\n"


def test_a_login_refused_for_too_many_failures_says_how_long_to_wait(serve, tmp_path):
    limited = serve(**SERVER_SETTINGS, RATELIMIT_LOGIN_FAILURES="2 per minute")
    assert run_chat(limited, tmp_path, "alice", "").returncode == 0
    attempts = [
        subprocess.run(
            chat_command(limited.url, "alice"),
            cwd=ROOT,
            input="",
            capture_output=True,
            text=True,
            timeout=60,
            env=client_env(tmp_path, "mallory", password="not the password"),
        )
        for _ in range(3)
    ]
    assert [a.returncode for a in attempts] == [2, 2, 2]
    assert attempts[0].stdout == "! Login failed: Invalid username or password.\n"
    assert re.fullmatch(r"! Too many failed logins: try again in \d+ s\.\n", attempts[2].stdout), (
        attempts[2].stdout
    )
