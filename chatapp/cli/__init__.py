"""Admin commands, available as `python cli.py ...` and `flask --app wsgi ...`."""

from flask import Flask


def register_commands(app: Flask) -> None:
    from chatapp.cli.erd import erd
    from chatapp.cli.events import events
    from chatapp.cli.invites import invites_group
    from chatapp.cli.rooms import rooms
    from chatapp.cli.users import users
    from chatapp.server.serve import serve

    app.cli.add_command(users)
    app.cli.add_command(invites_group)
    app.cli.add_command(rooms)
    app.cli.add_command(serve)
    app.cli.add_command(events)
    app.cli.add_command(erd)
