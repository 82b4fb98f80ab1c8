"""Team chat from the terminal client, end to end: private rooms, direct conversations,
moderation and unread counts, as the people on both sides see them.

One user types at a (pseudo) terminal; the other runs the client piped, as a
script would. The tests share the module's server, each with users of its own.
"""

from __future__ import annotations

import pytest
import requests

from tests.helpers.chat import chat_command, client_env, run_chat
from tests.helpers.realtime import login
from tests.helpers.server import ROOT
from tests.helpers.terminal import Terminal
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

SERVER_SETTINGS = {
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
    "RATELIMIT_HANDSHAKES": "1000 per minute",
}


def at_a_terminal(server, tmp_path, username, room="general"):
    """`username`'s interactive client, registered, at its prompt in `room`."""
    term = Terminal(
        chat_command(server.url, username, "--register", "--chatroom", room),
        cwd=ROOT,
        env=client_env(tmp_path, username),
    )
    term.wait_for_text(f"#{room}>")
    return term


def unread(server, username):
    """room -> unread count, as the server keeps it for `username`."""
    headers = {"Authorization": f"Bearer {login(server.url, username)}"}
    answer = requests.get(f"{server.url}/api/me/rooms", headers=headers, timeout=10)
    return {room["name"]: room["unread"] for room in answer.json()["rooms"]}


def test_an_invitation_to_a_private_room_reaches_the_invitees_terminal(server, tmp_path):
    bea = at_a_terminal(server, tmp_path, "bea")
    try:
        script = "/create vault --private\n/invite bea\nwelcome in\nsecond line\n"
        result = run_chat(server, tmp_path, "abe", script, "--chatroom", "lobby")
        assert result.returncode == 0, result.stdout
        assert "-- Created #vault (private: /invite USER lets people in)." in result.stdout
        assert "* abe added bea to #vault" in result.stdout
        bea.wait_for_text("* abe added you to #vault (private).")
        # Live from the moment she was added, tagged: she is still in #general.
        bea.wait_for_text("#vault <abe> welcome in")
        bea.wait_for_text("#vault <abe> second line")
        bea.type("/rooms\r")
        bea.wait_for_text(
            "-- Your rooms: #general (current), #vault [private] (2 unread). /join NAME switches."
        )
        bea.wait_for_text("-- Other public rooms: #lobby (")
        # Switching to the room is reading it: the mark reaches the server.
        bea.type("/join vault\r")
        bea.wait_for_text("#vault>")
        wait_for(lambda: unread(server, "bea")["vault"] == 0, 10, message="the read mark")
        bea.type("/members\r")
        screen = bea.wait_for_text("  #vault: 2 member(s)")
        assert any(line.split()[:2] == ["abe", "owner"] for line in screen)
        assert any(line.split() == ["bea", "member", "online"] for line in screen)
    finally:
        bea.close()


def test_a_private_room_stays_hidden_from_everyone_else(server, tmp_path):
    result = run_chat(server, tmp_path, "cid", "/create hush --private\n", "--chatroom", "lobby")
    assert result.returncode == 0, result.stdout
    outsider = run_chat(server, tmp_path, "cyd", "/rooms\n/join hush\n", "--chatroom", "lobby")
    # /join keeps IRC semantics (make it if nobody has), but the name is taken, unseen.
    assert "! Error: The name #hush is taken; choose another." in outsider.stdout
    assert "hush" not in outsider.stdout.replace("#hush is taken", "")
    assert outsider.returncode == 1  # the refused /join counts


def test_msg_opens_a_direct_conversation_the_other_terminal_sees(server, tmp_path):
    cal = at_a_terminal(server, tmp_path, "cal")
    try:
        result = run_chat(server, tmp_path, "dee", "/msg cal are you there?\n")
        assert result.returncode == 0, result.stdout
        assert "@cal <dee> are you there?" in result.stdout
        cal.wait_for_text("* dee opened a direct conversation with you: /join @dee to reply there.")
        cal.wait_for_text("@dee <dee> are you there?")
        cal.type("/join @dee\r")
        cal.wait_for_text("@dee>")
        cal.type("yes, here\r")
        screen = cal.wait_for_text("<cal> yes, here")
        # The conversation is the other person, never its internal name.
        assert not any("~" in line for line in screen)
        cal.type("/rooms\r")
        cal.wait_for_text("-- Your rooms: #general, @dee (current)")
    finally:
        cal.close()
    again = run_chat(server, tmp_path, "dee", "/msg cal thanks\n")
    assert again.returncode == 0, again.stdout
    # The same conversation (one per pair): dee's second run shows it as @cal too.
    assert "@cal <dee> thanks" in again.stdout and "~" not in again.stdout


def test_kick_and_ban_are_announced_to_the_one_removed(server, tmp_path):
    eva = at_a_terminal(server, tmp_path, "eva")
    try:
        script = "/create den\n/invite eva\n/kick eva too loud\n/invite eva\n/ban eva spam\n"
        result = run_chat(server, tmp_path, "fay", script, "--chatroom", "lobby")
        assert result.returncode == 0, result.stdout
        assert "* fay removed eva from #den" in result.stdout
        assert "* fay banned eva from #den" in result.stdout
        eva.wait_for_text("* You were removed from #den by fay: too loud")
        eva.wait_for_text("* You were banned from #den by fay: spam")
        eva.type("/join den\r")
        eva.wait_for_text("! Error: You are banned from #den.")
        eva.type("/topic\r")
        eva.wait_for_text("-- #general has no topic.")
    finally:
        eva.close()
    fay = run_chat(
        server, tmp_path, "fay", "/unban eva\n/topic Quiet please\n/topic\n", "--chatroom", "den"
    )
    assert fay.returncode == 0, fay.stdout
    assert "* fay lifted the ban of eva from #den" in fay.stdout
    assert "* #den topic: Quiet please" in fay.stdout  # the room's event
    assert "-- #den topic: Quiet please" in fay.stdout  # /topic alone
