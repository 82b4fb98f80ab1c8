#!/usr/bin/env python3
"""chatapp's command line: `python cli.py --help`.

Admin commands (users, serve, db) run with the application; `chat` is a plain
client and needs no app.
"""

import sys

# FlaskGroup's own options that take a value, which may come before the command.
_VALUED_OPTIONS = {"-e", "--env-file", "-A", "--app"}


def _command(argv: list[str]) -> str | None:
    """The subcommand named on the command line (`serve` in `cli.py -e .env serve`)."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _VALUED_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


if __name__ == "__main__" and _command(sys.argv[1:]) == "serve":
    # eventlet must patch the standard library before anything imports it
    # (threading locks created earlier would block the whole hub).
    import warnings

    if not sys.warnoptions:
        # eventlet prints a ten-line deprecation notice on import: the first
        # thing a new user saw. It is a decision already taken (README, "Why
        # eventlet"); `serve` logs one line about it, and developers see the
        # notice itself with `python -W default cli.py serve`.
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()

import click  # noqa: E402
from flask.cli import FlaskGroup  # noqa: E402

from chatapp import create_app  # noqa: E402
from chatclient.commands import chat, logout  # noqa: E402


# No Flask `run`, `shell` or `routes`: `run` would start Werkzeug's development
# server beside `serve`, without its checks, on the same database.
@click.group(
    cls=FlaskGroup, create_app=create_app, add_version_option=False, add_default_commands=False
)
def cli() -> None:
    """chatapp: a self-hosted real-time chat server and its terminal client."""


cli.add_command(chat)
cli.add_command(logout)

if __name__ == "__main__":
    cli()
