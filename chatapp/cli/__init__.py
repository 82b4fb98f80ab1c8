"""Admin commands, available as `python cli.py ...` and `flask --app wsgi ...`."""

from flask import Flask


def register_commands(app: Flask) -> None:
    from chatapp.commands.erd import erd
    from chatapp.commands.events import events
    from chatapp.commands.serve import serve
    from chatapp.commands.users import users

    app.cli.add_command(users)
    app.cli.add_command(serve)
    app.cli.add_command(events)
    app.cli.add_command(erd)
