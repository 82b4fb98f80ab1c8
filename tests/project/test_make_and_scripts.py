"""The Makefile's plans and the shell scripts, as make and the shells themselves read them."""

import os
import subprocess
import tomllib

import pytest

from tests.helpers.server import ROOT

pytestmark = pytest.mark.slow


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
    assert plan[-5:] == [
        "scripts/ensure-services",
        f"{venv}/bin/ruff check .",
        f"{venv}/bin/ruff format --check .",
        f"{venv}/bin/mypy",
        f"{venv}/bin/python -m pytest",
    ]
    # After `make run`, `make test` adds only the test tools.
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/python").touch()
    (venv / ".runtime-installed").touch()
    installs = [line for line in make_plan("test", venv) if " pip install " in line]
    assert len(installs) == 1 and installs[0].endswith("-r requirements-dev.txt")


def test_make_test_fast_runs_the_tests_that_start_no_process_on_sqlite(tmp_path):
    venv = tmp_path / "venv"
    plan = make_plan("test-fast", venv)
    assert plan[-1] == f'CHATAPP_TEST_DATABASES=sqlite {venv}/bin/python -m pytest -m "not slow"'


def test_scripts_are_executable_and_parse():
    for script, shell in [
        ("scripts/ensure-services", "bash"),
        ("scripts/install-nginx", "bash"),
        ("scripts/install-chromium", "bash"),
        ("scripts/check-env", "sh"),  # POSIX: busybox in the check-env service
        ("deploy/nginx/self-signed-cert.sh", "sh"),  # POSIX: the nginx image's busybox
    ]:
        path = ROOT / script
        assert os.access(path, os.X_OK), f"{script} is not executable"
        result = subprocess.run([shell, "-n", str(path)], capture_output=True, timeout=10)
        assert result.returncode == 0, (script, result.stderr)
    assert "pkill" not in (ROOT / "scripts/ensure-services").read_text()


def test_lint_and_test_run_mypy_after_ruff_and_before_pytest(tmp_path):
    venv = tmp_path / "venv"
    for target in ("lint", "test"):
        plan = make_plan(target, venv)
        assert f"{venv}/bin/mypy" in plan, target
        mypy = plan.index(f"{venv}/bin/mypy")
        assert plan.index(f"{venv}/bin/ruff format --check .") < mypy, target
        if target == "test":
            assert mypy < plan.index(f"{venv}/bin/python -m pytest")


def test_mypy_is_pinned_and_checks_the_whole_server_and_client():
    pins = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert any(line.startswith("mypy==") for line in pins)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert set(config["files"]) >= {"chatapp", "chatclient", "cli.py", "wsgi.py"}
    assert config["check_untyped_defs"] is True
    # No blanket ignore: untyped libraries are listed by name (overrides).
    assert "ignore_missing_imports" not in config
