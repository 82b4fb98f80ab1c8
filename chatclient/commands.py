"""`cli.py chat` and `cli.py logout`: Click commands that need no server app."""

from __future__ import annotations

import sys

import click

from chatclient import auth, logs, rest, settings
from chatclient.render import Output
from chatclient.session import ChatSession, ConnectFailed
from chatclient.terminal import report_unsent, run_interactive, run_piped

EXIT_LOGIN_FAILED = 2
EXIT_UNREACHABLE = 3
EXIT_NO_ROOM = 4
EXIT_INTERRUPTED = 130
# Wrong passwords in a row before the client gives up offering a new login.
PASSWORD_TRIES = 3


@click.command("chat")
@click.option("--server", help="Server URL (env CHATAPP_SERVER; default http://127.0.0.1:5000).")
@click.option(
    "--chatroom", "room", help="Room to make current (env CHATAPP_ROOM; default general)."
)
@click.option("--username", help="Who to log in as (env CHATAPP_USERNAME).")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON object per event.")
@click.option("--register", is_flag=True, help="Create the account if the login fails.")
@click.option("--save", is_flag=True, help="Make --server, --username, --chatroom the defaults.")
@click.option("--debug", is_flag=True, envvar="CHATAPP_DEBUG", help="Log the connection to stderr.")
def chat(server, room, username, json_mode, register, save, debug) -> None:
    """Chat from the terminal; pipe lines in to script it."""
    logs.configure(debug)
    conf = settings.resolve(server, username, room)
    interactive = sys.stdin.isatty()
    out = Output(json_mode=json_mode, color=sys.stdout.isatty(), me=conf.username)
    try:
        token = auth.login(conf, interactive, ask=lambda q: click.confirm(q), register=register)
    except auth.LoginFailed as error:
        out.error(str(error), "login_failed")
        sys.exit(EXIT_LOGIN_FAILED)
    except rest.Unreachable as error:
        out.error(str(error), "unreachable")
        sys.exit(EXIT_UNREACHABLE)
    if save:
        settings.save_defaults(conf)
    username = auth.require_username(conf)  # login() made sure there is one
    out.me = username
    session = ChatSession(conf.server, token, out)
    try:
        session.connect()
    except ConnectFailed as error:
        out.error(str(error), "connect_failed")
        sys.exit(EXIT_UNREACHABLE)
    code = 0
    try:
        # A script joins its --chatroom alone: rejoining every room of the
        # account would announce it in each of them on every run.
        if not session.enter(conf.room, rejoin=interactive):
            code = EXIT_NO_ROOM
        elif interactive:
            history = settings.history_path(conf.server, username)
            code = run_interactive(session, str(history), lambda: _log_in_again(conf, session))
        else:
            code = run_piped(session, sys.stdin)
    except KeyboardInterrupt:
        report_unsent(session)
        code = EXIT_INTERRUPTED
    finally:
        session.close()
    sys.exit(code)


def _log_in_again(conf: settings.Settings, session: ChatSession) -> bool:
    """Offer a new login after the old one ended; True once logged in again.

    A yes/no question comes before the password: a chat line typed at the
    moment the prompt changed must not be taken for a password (it would be
    lost, and spend a login failure). Anything but yes or no is kept as a
    line, sent once logged in again.
    """
    from prompt_toolkit import prompt

    while True:
        try:
            answer = prompt(f"Log in again as {conf.username}? [Y/n] ")
        except (EOFError, KeyboardInterrupt):
            return False
        choice = answer.strip().lower()
        if choice in ("n", "no"):
            return False
        if choice in ("", "y", "yes"):
            break
        session.send(answer)
        session.out.info("Kept that line: it is sent once you are logged in again.", "kept")
    for _ in range(PASSWORD_TRIES):
        try:
            password = prompt(f"Password for {conf.username} (empty to quit): ", is_password=True)
        except (EOFError, KeyboardInterrupt):
            return False
        if not password:
            return False
        try:
            token = auth.password_login(conf, password)
        except (auth.LoginFailed, rest.Unreachable) as error:
            session.out.error(str(error), "login_failed")
            continue
        session.out.info(f"Logged in again as {conf.username}.", "logged_in")
        session.resume(token)
        return True
    return False


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
        return
    click.echo(f"No stored login for {conf.username} on {conf.server}.")
    stored = settings.stored_logins()
    if stored:
        click.echo("Stored logins (log out with --server and --username):")
        for stored_server, stored_user in stored:
            click.echo(f"  {stored_user} on {stored_server}")
