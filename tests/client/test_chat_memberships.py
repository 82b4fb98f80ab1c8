"""The terminal client keeps the user's rooms: quitting is a disconnect, /leave ends one.

Also what a line may be: `/say` sends any text as typed; a refused line is an exit code.
"""

from __future__ import annotations

import sqlite3

import pytest
import requests

from chatclient.terminal import say_text
from tests.helpers.chat import ChatProcess, chat_command, client_env, run_chat
from tests.helpers.realtime import login
from tests.helpers.server import ROOT, ServerProcess, server_env
from tests.helpers.terminal import Terminal


@pytest.fixture
def server(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'chat.db'}", RATELIMIT_REGISTER="1000 per hour")
    proc = ServerProcess(env, log_path=tmp_path / "server.log").start()
    yield proc
    proc.stop()


def my_rooms(server, username):
    token = login(server.url, username)
    answer = requests.get(
        f"{server.url}/api/me/rooms", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return [room["name"] for room in answer.json()["rooms"]]


def stored(tmp_path):
    with sqlite3.connect(tmp_path / "chat.db") as db:
        return [row[0] for row in db.execute("SELECT text FROM messages ORDER BY id")]


def post_as_bob(server, room, text):
    headers = {"Authorization": f"Bearer {login(server.url, 'bob')}"}
    requests.post(f"{server.url}/api/rooms/{room}/join", headers=headers, timeout=10)
    requests.post(
        f"{server.url}/api/rooms/{room}/messages", json={"text": text}, headers=headers, timeout=10
    )


def test_quitting_keeps_memberships_and_the_next_start_rejoins_them(server, tmp_path):
    assert run_chat(server, tmp_path, "alice", "in ops\n", "--chatroom", "ops").returncode == 0
    assert run_chat(server, tmp_path, "alice", "/quit\n", "--chatroom", "dev").returncode == 0
    # Each run ended with a disconnect, not a leave: both memberships remain.
    assert my_rooms(server, "alice") == ["dev", "ops"]

    term = Terminal(
        chat_command(server.url, "alice", "--chatroom", "dev"),
        cwd=ROOT,
        env=client_env(tmp_path, "alice"),
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
    assert my_rooms(server, "alice") == ["ops"]


def test_a_script_joins_its_room_alone_and_keeps_the_others(server, tmp_path):
    assert run_chat(server, tmp_path, "alice", "", "--chatroom", "ops").returncode == 0
    alice = ChatProcess(server.url, tmp_path, "alice", room="dev")
    try:
        alice.wait_event(lambda e: e["event"] == "joined")
        post_as_bob(server, "ops", "not for the script")
        post_as_bob(server, "dev", "for the script")
        alice.wait_event(lambda e: e.get("data", {}).get("text") == "for the script")
        assert alice.finish() == 0
    finally:
        alice.stop()
    assert alice.texts() == ["for the script"]
    assert not [e for e in alice.events if e["event"] == "rooms"]
    assert my_rooms(server, "alice") == ["dev", "ops"]


def test_say_sends_a_line_starting_with_a_slash_as_typed(server, tmp_path):
    result = run_chat(server, tmp_path, "alice", "/say /join is how you join\n/say   spaced\n")
    assert result.returncode == 0, result.stdout
    assert stored(tmp_path) == ["/join is how you join", "spaced"]


def test_say_sends_a_line_starting_with_a_hash_as_typed(server, tmp_path):
    result = run_chat(server, tmp_path, "alice", "/say #help is a command\n##raw too\n")
    assert result.returncode == 0, result.stdout
    assert stored(tmp_path) == ["#help is a command", "#raw too"]


def test_say_doubles_a_leading_hash_only():
    assert say_text("#help") == "##help"
    assert say_text("##x") == "###x"
    assert say_text("a #tag") == "a #tag"
    assert say_text("/join x") == "/join x"


def test_piped_run_exits_1_when_a_line_was_refused_for_good(server, tmp_path):
    result = run_chat(server, tmp_path, "alice", "#nosuchcommand\nstill sent\n")
    assert result.returncode == 1
    assert "Not sent: Unknown command #nosuchcommand" in result.stdout
    assert stored(tmp_path) == ["still sent"]  # the run went on after the refusal


def test_a_join_over_rest_is_shown_to_the_room(capsys):
    from chatclient.render import Output

    out = Output(json_mode=False, color=False, me="alice")
    out.current_room = "general"
    out.member({"room": "general", "user": "bot\x1b[2J", "event": "joined", "by": "bot"})
    out.member({"room": "general", "user": "bot", "event": "left", "by": "bot"})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["* bot is now a member of #general", "* bot is no longer in #general"]
