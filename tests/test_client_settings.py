"""The client's settings precedence and sanitizer, without a server."""

import json

import pytest

from chatapp.client import settings
from chatapp.client.sanitize import inert


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in ("CHATAPP_SERVER", "CHATAPP_USERNAME", "CHATAPP_ROOM"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write_config(home, **data):
    (home / "chatapp").mkdir(exist_ok=True)
    (home / "chatapp" / "config.json").write_text(json.dumps(data))


def test_defaults(config_home):
    found = settings.resolve(None, None, None)
    assert (found.server, found.username, found.room) == ("http://127.0.0.1:5000", None, "general")


def test_file_then_environment_then_options(config_home, monkeypatch):
    write_config(config_home, server="http://file:1", username="filer", room="fileroom")
    assert settings.resolve(None, None, None).server == "http://file:1"
    monkeypatch.setenv("CHATAPP_SERVER", "http://env:2/")
    monkeypatch.setenv("CHATAPP_ROOM", "envroom")
    found = settings.resolve(None, None, None)
    assert (found.server, found.username, found.room) == ("http://env:2", "filer", "envroom")
    found = settings.resolve("http://opt:3", "opter", "optroom")
    assert (found.server, found.username, found.room) == ("http://opt:3", "opter", "optroom")


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("plain text", "plain text"),
        ("\x1b[2Jclear", "clear"),
        ("\x1b]0;title\x07x", "x"),
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1bPdcs stuff\x1b\\after", "after"),
        ("bell\x07 back\x08space", "bell backspace"),
        ("\x9b31mc1", "c1"),
        ("lone esc \x1b", "lone esc "),
        ("rtl \u202eoverride\u202c", "rtl override"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("cr\roverwrite", "croverwrite"),
    ],
)
def test_inert(raw, shown):
    assert inert(raw) == shown
