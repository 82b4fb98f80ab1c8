"""The interactive client on a real (pseudo) terminal: typing is never garbled."""

import pytest
import requests

from tests.helpers.chat import chat_command, client_env
from tests.helpers.realtime import login
from tests.helpers.server import ROOT, ServerProcess, server_env
from tests.helpers.terminal import Terminal

pytestmark = pytest.mark.slow


def alice_at_a_terminal(tmp_path) -> tuple[ServerProcess, Terminal]:
    """A server of this test's own, and alice's client on a terminal connected to it."""
    env = server_env(f"sqlite:///{tmp_path / 'chat.db'}")
    server = ServerProcess(env, log_path=tmp_path / "server.log").start()
    term = Terminal(
        chat_command(server.url, "alice", "--register"),
        cwd=ROOT,
        env=client_env(tmp_path, "alice"),
    )
    return server, term


def test_incoming_messages_do_not_garble_the_line_being_typed(tmp_path):
    server, term = alice_at_a_terminal(tmp_path)
    try:
        term.wait_for_text("#general>")  # (trailing spaces are trimmed)
        term.type("half typed")
        term.wait_for_text("#general> half typed")
        token = login(server.url, "bob")
        headers = {"Authorization": f"Bearer {token}"}
        requests.post(
            f"{server.url}/api/rooms/general/join",
            json={"create": True},
            headers=headers,
            timeout=5,
        )
        requests.post(
            f"{server.url}/api/rooms/general/messages",
            headers=headers,
            json={"text": "incoming while you type"},
            timeout=5,
        )
        screen = term.wait_for_text("<bob> incoming while you type")
        # The message is printed above; the prompt and the half-typed line stay intact.
        bob_row = next(i for i, line in enumerate(screen) if "<bob> incoming" in line)
        prompt_row = next(i for i, line in enumerate(screen) if "#general> half typed" in line)
        assert bob_row < prompt_row
        assert screen[prompt_row].endswith("#general> half typed")
        term.type(" and finished\r")
        term.wait_for_text("<alice> half typed and finished")
        term.type("\x1b[A")  # arrow up: the line history recalls what was typed
        term.wait_for_text("#general> half typed and finished")
        term.type("\x15\x04")  # Ctrl-U clears the line, Ctrl-D on an empty line quits
        assert term.process.wait(20) == 0
    finally:
        term.close()
        server.stop()


def test_quit_says_which_typed_lines_were_not_sent(tmp_path):
    server, term = alice_at_a_terminal(tmp_path)
    try:
        term.wait_for_text("#general>")
        server.kill()
        term.wait_for_text("! Disconnected from the server; reconnecting...")
        term.type("while away\r")  # queued until the server is back
        term.type("/quit\r")
        screen = term.wait_for_text('! 1 line(s) not sent: "while away"')
        assert term.process.wait(20) == 1
        assert not any("Traceback" in line for line in screen)
    finally:
        term.close()
        server.stop()
