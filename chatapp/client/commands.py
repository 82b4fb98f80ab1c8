"""`cli.py chat` and `cli.py logout`: Click commands that need no server app."""

from __future__ import annotations

import os
import sys

import click

from chatapp.client import auth, settings
from chatapp.client.render import Output
from chatapp.client.session import ChatSession, ConnectFailed
from chatapp.client.terminal import run_interactive, run_piped


@click.command("chat")
@click.option("--server", help="Server URL (env CHATAPP_SERVER; default http://127.0.0.1:5000).")
@click.option("--chatroom", "room", help="Room to join (env CHATAPP_ROOM; default general).")
@click.option("--username", help="Who to log in as (env CHATAPP_USERNAME).")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON object per event.")
@click.option("--register", is_flag=True, help="Create the account if the login fails.")
def chat(server, room, username, json_mode, register) -> None:
    """Chat from the terminal; pipe lines in to script it."""
    conf = settings.resolve(server, username, room)
    interactive = sys.stdin.isatty()
    out = Output(json_mode=json_mode, color=sys.stdout.isatty(), me=conf.username)
    try:
        token = auth.login(conf, interactive, ask=lambda q: click.confirm(q), register=register)
    except auth.LoginFailed as error:
        out.error(str(error), "login_failed")
        sys.exit(2)
    out.me = conf.username
    session = ChatSession(conf.server, token, out)
    try:
        session.connect()
    except ConnectFailed as error:
        out.error(str(error), "connect_failed")
        sys.exit(3)
    code = 0
    try:
        if not session.join(conf.room):
            code = 4
        elif interactive:
            history = os.path.join(os.path.dirname(settings.config_path()), "history")
            code = run_interactive(session, history)
        else:
            code = run_piped(session, sys.stdin)
    except KeyboardInterrupt:
        code = 130
    finally:
        session.close()
    sys.exit(code)


@click.command("logout")
@click.option("--server", help="Server URL (env CHATAPP_SERVER).")
@click.option("--username", help="Whose token to forget (env CHATAPP_USERNAME).")
def logout(server, username) -> None:
    """Forget the stored login token (and end that session on the server)."""
    conf = settings.resolve(server, username, None)
    if not conf.username:
        raise click.ClickException("No username: use --username or CHATAPP_USERNAME.")
    if auth.logout(conf.server, conf.username):
        click.echo(f"Logged out {conf.username} from {conf.server}.")
    else:
        click.echo(f"No stored login for {conf.username} on {conf.server}.")
