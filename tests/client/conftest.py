"""Fixtures of the terminal client tests."""

import os

import pytest


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    """The client's config home (XDG_CONFIG_HOME) in tmp_path, and no CHATAPP_* settings."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in ("CHATAPP_SERVER", "CHATAPP_USERNAME", "CHATAPP_ROOM"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def usual_umask():
    """The common umask 022, so files are private only because the client makes them so."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)
