"""Committed files that must stay in step with the code: ERD, lint hooks, Makefile, scripts."""

import os
import re
import subprocess
from pathlib import Path

import yaml

from chatapp.cli.erd import erd_path, render
from tests.helpers.server import ROOT


def test_committed_erd_matches_the_models(app):
    with app.app_context():
        current = Path(erd_path()).read_text()
        assert current == render(), "docs/erd.md is stale: run `python cli.py erd`"


def test_erd_check_command(app):
    result = app.test_cli_runner().invoke(args=["erd", "--check"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_erd_shows_every_table_and_relationship(app):
    with app.app_context():
        text = render()
    for table in ("users", "rooms", "memberships", "messages", "auth_sessions", "outbox"):
        assert f"    {table} {{" in text
    assert 'rooms ||--o{ messages : "room_id"' in text
    assert 'users |o--o{ messages : "user_id"' in text  # nullable: deleted authors


def test_pre_commit_runs_the_pinned_ruff():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    assert {hook["id"] for hook in repo["hooks"]} == {"ruff", "ruff-format"}
    pinned = re.search(r"^ruff==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert repo["rev"] == f"v{pinned.group(1)}"


def test_asyncapi_document_covers_every_socket_event_and_subject():
    from chatapp.sockets import events

    document = yaml.safe_load((ROOT / "docs/asyncapi.yaml").read_text())
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    handled = {"join", "leave", "send", "history"}
    assert all(hasattr(events, name) for name in handled)
    assert handled | {"message", "presence", "notice"} <= addresses
    assert {"chat.room.{room}.message", "chat.room.{room}.presence", "chat.user.created"} <= (
        addresses
    )
    for operation in document["operations"].values():
        ref = operation["channel"]["$ref"].split("/")[-1]
        assert ref in document["channels"]


def make_plan(target: str, venv) -> list[str]:
    """The commands `make <target>` would run on a fresh clone (no virtualenv yet)."""
    # Under `make test` (as CI runs it) this is a sub-make: without these, it
    # would inherit the parent's flags and print "Entering directory" lines.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_make_run_installs_only_what_running_needs(tmp_path):
    venv = tmp_path / "venv"
    plan = make_plan("run", venv)
    assert plan[0] == f"python3 -m venv {venv}"
    installs = [line for line in plan if " pip install " in line]
    assert len(installs) == 1 and installs[0].endswith("-r requirements.txt")
    assert plan[-1] == f"{venv}/bin/python cli.py serve"


def test_make_test_adds_the_test_tools_and_runs_the_suite(tmp_path):
    venv = tmp_path / "venv"
    plan = make_plan("test", venv)
    installs = [line.split(" -r ")[-1] for line in plan if " pip install " in line]
    assert installs == ["requirements.txt", "requirements-dev.txt"]
    assert plan[-4:] == [
        "scripts/ensure-services",
        f"{venv}/bin/ruff check .",
        f"{venv}/bin/ruff format --check .",
        f"{venv}/bin/python -m pytest",
    ]
    # After `make run`, `make test` adds only the test tools.
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/python").touch()
    (venv / ".runtime-installed").touch()
    installs = [line for line in make_plan("test", venv) if " pip install " in line]
    assert len(installs) == 1 and installs[0].endswith("-r requirements-dev.txt")


def test_ci_runs_exactly_make_test():
    lines = (ROOT / ".ci/run").read_text().splitlines()
    assert lines[-1] == "exec make test"


def test_scripts_are_executable_and_parse():
    for script, shell in [
        ("scripts/ensure-services", "bash"),
        ("scripts/install-nginx", "bash"),
        ("scripts/check-env", "sh"),  # POSIX: busybox in the check-env service
        ("deploy/nginx/self-signed-cert.sh", "sh"),  # POSIX: the nginx image's busybox
    ]:
        path = ROOT / script
        assert os.access(path, os.X_OK), f"{script} is not executable"
        result = subprocess.run([shell, "-n", str(path)], capture_output=True, timeout=10)
        assert result.returncode == 0, (script, result.stderr)
    assert "pkill" not in (ROOT / "scripts/ensure-services").read_text()
