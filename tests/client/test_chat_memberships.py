"""The terminal client keeps the user's rooms: quitting is a disconnect, /leave ends one.

Also what a line may be: `/say` sends any text as typed; a refused line is an exit code.
The tests share the module's server, each with users and rooms of its own.
"""

from __future__ import annotations

import sqlite3

import pytest
import requests

from tests.helpers.chat import ChatProcess, chat_command, client_env, run_chat
from tests.helpers.realtime import login
from tests.helpers.server import ROOT
from tests.helpers.terminal import Terminal

pytestmark = pytest.mark.slow

#: Every test here signs users up from one address; budgets that are not under
#: test stay out of the way.
SERVER_SETTINGS = {
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
    "RATELIMIT_HANDSHAKES": "1000 per minute",
}


def my_rooms(server, username):
    token = login(server.url, username)
    answer = requests.get(
        f"{server.url}/api/me/rooms", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return [room["name"] for room in answer.json()["rooms"]]


def stored(server, username):
    """The texts `username` has stored on the server, oldest first."""
    with sqlite3.connect(server.database) as db:
        rows = db.execute(
            "SELECT m.text FROM messages m JOIN users u ON u.id = m.user_id"
            " WHERE u.name_key = ? ORDER BY m.id",
            (username,),
        )
        return [row[0] for row in rows]


def post_as_bob(server, room, text):
    headers = {"Authorization": f"Bearer {login(server.url, 'bob')}"}
    requests.post(
        f"{server.url}/api/rooms/{room}/join", json={"create": True}, headers=headers, timeout=10
    )
    requests.post(
        f"{server.url}/api/rooms/{room}/messages", json={"text": text}, headers=headers, timeout=10
    )


def test_quitting_keeps_memberships_and_the_next_start_rejoins_them(server, tmp_path):
    assert run_chat(server, tmp_path, "ana", "in ops\n", "--chatroom", "ops").returncode == 0
    assert run_chat(server, tmp_path, "ana", "/quit\n", "--chatroom", "dev").returncode == 0
    # Each run ended with a disconnect, not a leave: both memberships remain.
    assert my_rooms(server, "ana") == ["dev", "ops"]

    term = Terminal(
        chat_command(server.url, "ana", "--chatroom", "dev"),
        cwd=ROOT,
        env=client_env(tmp_path, "ana"),
    )
    try:
        term.wait_for_text("-- Your rooms: #dev (current), #ops. /join NAME switches.")
        term.wait_for_text("#dev>")
        # #ops was rejoined: its live messages arrive, tagged (its history does not).
        post_as_bob(server, "ops", "ops news")
        screen = term.wait_for_text("#ops <bob> ops news")
        assert not any("in ops" in line for line in screen)
        term.type("/leave\r")  # the one way to end a membership
        term.wait_for_text("-- Left #dev; now in #ops.")
        term.type("\x04")
        assert term.process.wait(20) == 0
    finally:
        term.close()
    assert my_rooms(server, "ana") == ["ops"]


def test_a_script_joins_its_room_alone_and_keeps_the_others(server, tmp_path):
    assert run_chat(server, tmp_path, "ari", "", "--chatroom", "stage").returncode == 0
    ari = ChatProcess(server.url, tmp_path, "ari", room="docs")
    try:
        ari.wait_event(lambda e: e["event"] == "joined")
        post_as_bob(server, "stage", "not for the script")
        post_as_bob(server, "docs", "for the script")
        ari.wait_event(lambda e: e.get("data", {}).get("text") == "for the script")
        assert ari.finish() == 0
    finally:
        ari.stop()
    assert ari.texts() == ["for the script"]
    assert not [e for e in ari.events if e["event"] == "rooms"]
    assert my_rooms(server, "ari") == ["docs", "stage"]


def test_say_sends_a_line_starting_with_a_slash_as_typed(server, tmp_path):
    result = run_chat(server, tmp_path, "sam", "/say /join is how you join\n/say   spaced\n")
    assert result.returncode == 0, result.stdout
    assert stored(server, "sam") == ["/join is how you join", "spaced"]


def test_say_sends_a_line_starting_with_a_hash_as_typed(server, tmp_path):
    result = run_chat(server, tmp_path, "sid", "/say #help is a command\n##raw too\n")
    assert result.returncode == 0, result.stdout
    assert stored(server, "sid") == ["#help is a command", "#raw too"]


def test_piped_run_exits_1_when_a_line_was_refused_for_good(server, tmp_path):
    result = run_chat(server, tmp_path, "sue", "#nosuchcommand\nstill sent\n")
    assert result.returncode == 1
    assert "Not sent: Unknown command #nosuchcommand" in result.stdout
    assert stored(server, "sue") == ["still sent"]  # the run went on after the refusal
