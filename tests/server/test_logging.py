"""Logs: readable lines at a terminal, JSON otherwise, no secrets.

Logging from green threads and an OS thread at once is in test_under_eventlet.py.
"""


def _configured_lines(make_app, capsys, **config):
    """Configure logging as `serve` would, log one line, return what stdout got."""
    import logging

    from chatapp.logs import configure_logging

    root = logging.getLogger()
    saved = list(root.handlers), root.level
    app = make_app(**config)
    try:
        configure_logging(app, default_format="text")
        logging.getLogger("chatapp.test").warning("hello %s", "there", extra={"room": "general"})
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    return capsys.readouterr().out.strip().splitlines()


def test_a_person_at_a_terminal_gets_readable_lines(make_app, capsys):
    import re

    (line,) = _configured_lines(make_app, capsys)
    assert re.fullmatch(r"\d\d:\d\d:\d\d WARNING chatapp\.test: hello there \(room=general\)", line)


def test_log_format_json_overrides_the_terminal(make_app, capsys):
    import json

    (line,) = _configured_lines(make_app, capsys, LOG_FORMAT="json")
    record = json.loads(line)
    assert (record["msg"], record["room"], record["level"]) == ("hello there", "general", "WARNING")


def test_an_unknown_log_format_refuses_to_start(make_app):
    import pytest

    from chatapp.config import SettingsError

    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        make_app(LOG_FORMAT="xml")


def test_terminal_detection():
    import io

    from chatapp.logs import terminal_format

    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert terminal_format(Tty()) == "text"
    assert terminal_format(io.StringIO()) == "json"
