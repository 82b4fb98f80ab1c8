"""The layout the README promises: eventlet in one folder, a client apart from the server."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts subprocesses

ROOT = Path(__file__).resolve().parents[2]


def test_the_terminal_client_imports_nothing_of_the_server():
    code = (
        "import sys, chatclient.commands, chatclient.session\n"
        "server = sorted(m for m in sys.modules if m.split('.')[0] in ('chatapp', 'flask'))\n"
        "print(server)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_only_the_server_package_knows_eventlet():
    mentions = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("chatapp", "chatclient")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "server" not in path.relative_to(ROOT / folder).parts[:1]
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "eventlet" in line.lower()
    ]
    assert mentions == []


def test_services_know_nothing_of_sockets():
    for path in sorted((ROOT / "chatapp/services").glob("*.py")):
        text = path.read_text()
        assert "socketio" not in text and "request.sid" not in text, path.name
        assert "from chatapp.sockets" not in text, path.name


def test_cli_patches_for_serve_wherever_the_command_stands():
    """eventlet must patch before `serve` whatever global options come first."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_module", ROOT / "cli.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli._command(["serve"]) == "serve"
    assert cli._command(["-e", ".env", "serve", "--port", "5001"]) == "serve"
    assert cli._command(["--app", "wsgi", "--debug", "serve"]) == "serve"
    assert cli._command(["users", "create", "serve"]) == "users"  # a user called serve
    assert cli._command([]) is None
