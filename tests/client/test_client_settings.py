"""The client's settings precedence and sanitizer, without a server."""

import json
import os
import stat

import pytest

from chatclient import settings
from chatclient.sanitize import inert


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


def test_a_token_is_saved_without_changing_the_defaults(config_home):
    write_config(config_home, server="http://usual:5000", username="alice", room="general")
    settings.remember_token("http://once:9000", "Bob", "t0ken")
    found = settings.resolve(None, None, None)
    assert (found.server, found.username, found.room) == ("http://usual:5000", "alice", "general")
    assert settings.stored_token("http://once:9000", "bob") == "t0ken"
    assert settings.stored_logins() == [("http://once:9000", "bob")]
    settings.save_defaults(settings.resolve("http://once:9000", "bob", "ops"))  # --save
    found = settings.resolve(None, None, None)
    assert (found.server, found.username, found.room) == ("http://once:9000", "bob", "ops")


def test_history_is_one_private_file_per_server_and_user(config_home, usual_umask):
    (config_home / "chatapp").mkdir(mode=0o755)
    legacy = config_home / "chatapp" / "history"
    legacy.write_text("+shared\n")
    os.chmod(legacy, 0o644)
    paths = {
        settings.history_path("http://a:1", "alice"),
        settings.history_path("http://a:1", "bob"),
        settings.history_path("http://b:1", "alice"),
        settings.history_path("http://a_1", "alice"),
    }
    assert len(paths) == 4
    assert settings.history_path("http://a:1", "Alice") in paths  # names ignore letter case
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((config_home / "chatapp").stat().st_mode) == 0o700
    assert stat.S_IMODE(legacy.stat().st_mode) == 0o600  # the old shared file, made private
