"""The type checker is part of `make lint` and `make test` (so of CI), configured once."""

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts subprocesses

ROOT = Path(__file__).resolve().parents[2]


def _plan(target: str, venv: Path) -> list[str]:
    """The commands `make -n <target>` prints, without a parent make's flags."""
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


def test_lint_and_test_run_mypy_after_ruff_and_before_pytest(tmp_path):
    venv = tmp_path / "venv"
    for target in ("lint", "test"):
        plan = _plan(target, venv)
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
