"""Library log lines and thread tracebacks stay off the chat screen (unless --debug)."""

import subprocess
import sys

import pytest

from tests.helpers.chat import run_chat
from tests.helpers.server import ROOT, ServerProcess, server_env

pytestmark = pytest.mark.slow

# What python-engineio and python-socketio log, and an exception escaping one
# of their threads, in the client process as `cli.py chat` sets it up.
SCRIPT = """
import sys, threading
from chatclient import logs
from chatclient.render import Output
from chatclient.session import ChatSession

logs.configure(debug=sys.argv[1] == "debug")
session = ChatSession("http://127.0.0.1:1", "token", Output(json_mode=False, color=False))
session.sio.eio.logger.error("packet queue is empty, aborting")
session.sio.logger.warning("Unknown callback received, ignoring.")
thread = threading.Thread(target=lambda: {}.pop("gone"), name="a-library-thread")
thread.start()
thread.join()
print("chat goes on")
"""


def client_process(mode):
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_library_logs_and_thread_errors_print_nothing():
    result = client_process("quiet")
    assert result.returncode == 0
    assert (result.stdout, result.stderr) == ("chat goes on\n", "")


def test_debug_routes_them_to_stderr():
    result = client_process("debug")
    assert result.stdout == "chat goes on\n"
    assert "chatclient.engineio ERROR packet queue is empty, aborting" in result.stderr
    assert "chatclient.socketio WARNING Unknown callback received" in result.stderr
    assert "uncaught error in thread a-library-thread" in result.stderr
    assert "KeyError: 'gone'" in result.stderr


def test_a_real_session_logs_its_connection_only_with_debug(tmp_path):
    server = ServerProcess(
        server_env(f"sqlite:///{tmp_path / 'chat.db'}"), log_path=tmp_path / "server.log"
    ).start()
    try:
        quiet = run_chat(server, tmp_path, "alice", "hello\n")
        assert quiet.returncode == 0 and quiet.stderr == ""
        debug = run_chat(server, tmp_path, "alice", "hello\n", "--debug")
        assert debug.returncode == 0
        assert "Engine.IO connection established" in debug.stderr
        assert "Engine.IO" not in debug.stdout  # the chat screen stays clean
    finally:
        server.stop()
