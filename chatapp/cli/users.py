"""`cli.py users ...`: administer accounts."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from chatapp.auth import budgets
from chatapp.cli.errors import fail
from chatapp.errors import ChatError
from chatapp.extensions import db
from chatapp.models import User
from chatapp.payloads import user_payload
from chatapp.schemas import Registration, parse
from chatapp.services import accounts

users = AppGroup("users", help="Create, list and administer user accounts.")

password_option = click.option(
    "--password",
    envvar="CHATAPP_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The password; prompted (hidden, twice) unless given or in CHATAPP_PASSWORD.",
)


def _user(username: str) -> User:
    try:
        return accounts.get_user(username)
    except ChatError as error:
        fail(error)


@users.command("create")
@click.argument("username")
@password_option
@click.option(
    "--admin", is_flag=True, help="Make it an admin (an owner of every room but direct ones)."
)
def create(username: str, password: str, admin: bool) -> None:
    """Create an account."""
    try:
        data = parse(Registration, {"username": username, "password": password})
        user = accounts.register(data.username, data.password, is_admin=admin)
    except ChatError as error:
        fail(error)
    click.echo(f"Created user {user.username}" + (" (admin)" if admin else "") + ".")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
def list_users(as_json: bool) -> None:
    """List every account."""
    rows = db.session.scalars(select(User).order_by(User.name_key)).all()
    if as_json:
        click.echo(json.dumps([user_payload(user) for user in rows]))
        return
    if not rows:
        click.echo("No users.")
        return
    click.echo(f"{'USERNAME':<32}  {'ADMIN':<5}  {'STATUS':<8}  CREATED")
    for user in rows:
        status = "disabled" if user.is_disabled else "active"
        admin = "yes" if user.is_admin else "no"
        created = user.created_at.strftime("%Y-%m-%d %H:%M")
        click.echo(f"{user.username:<32}  {admin:<5}  {status:<8}  {created}")


@users.command("set-password")
@click.argument("username")
@password_option
def set_password(username: str, password: str) -> None:
    """Change a password; the user is logged out everywhere."""
    user = _user(username)
    try:
        parse(Registration, {"username": user.username, "password": password})
    except ChatError as error:
        fail(error)
    accounts.set_password(user, password)
    click.echo(f"Password changed for {user.username}; their sessions were ended.")


@users.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Forget a user's failed logins from every address."""
    user = _user(username)
    if not budgets.shared():
        # The running server counts failures in its own memory: another
        # process (this one) cannot reach them. Saying "done" would be a lie.
        raise click.ClickException(
            "Failed logins are counted in the server's own memory (REDIS_URL is not set), "
            "out of this command's reach. `users set-password` starts a fresh count in any "
            "case; otherwise the count ends with its window (RATELIMIT_LOGIN_FAILURES) or a "
            "restart of the server."
        )
    accounts.unlock(user)
    click.echo(f"Unlocked {user.username}: failed logins from every address are forgotten.")


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable an account and end its sessions."""
    user = _user(username)
    accounts.set_disabled(user, True)
    click.echo(f"Disabled {user.username}.")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Re-enable a disabled account."""
    user = _user(username)
    accounts.set_disabled(user, False)
    click.echo(f"Enabled {user.username}.")


@users.command("promote")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Remove the admin flag (demote) instead.")
def promote(username: str, revoke: bool) -> None:
    """Make a user an admin: an owner of every room (or, with --revoke, not).

    Admins act as owners of every room except direct conversations: they can
    open private rooms by name (they are listed to them only where they are
    members), invite, kick, ban, set roles, topic and privacy, and delete
    rooms. A direct conversation stays its two members' alone. Live sessions
    pick the change up within LOGIN_RECHECK_SECONDS.
    """
    user = _user(username)
    accounts.set_admin(user, not revoke)
    click.echo(f"{user.username} is {'no longer' if revoke else 'now'} an admin.")


@users.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(username: str, yes: bool) -> None:
    """Delete an account; its messages stay, without an author."""
    user = _user(username)
    if not yes:
        click.confirm(f"Delete {user.username}?", abort=True)
    accounts.delete_user(user)
    click.echo(f"Deleted {username}.")
