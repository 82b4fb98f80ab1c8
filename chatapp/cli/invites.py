"""`cli.py invites ...`: the codes that let people register while REGISTRATION=invite."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import AppGroup

from chatapp.errors import ChatError
from chatapp.models.types import utcnow
from chatapp.payloads import invite_payload
from chatapp.services import accounts, invites

invites_group = AppGroup("invites", help="Make, list and revoke invite codes.")

UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
# Far enough for any real invite, and below what datetime can add to today.
LONGEST = timedelta(days=3650)


class Duration(click.ParamType):
    """A lifetime like 30m, 12h or 7d."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, timedelta):
            return value
        found = re.fullmatch(r"([0-9]{1,6})([mhd])", str(value))
        if found is None:
            self.fail(f"{value!r} is not a duration like 30m, 12h or 7d.", param, ctx)
        duration = int(found[1]) * UNITS[found[2]]
        if not timedelta(0) < duration <= LONGEST:
            self.fail(f"{value!r} must be more than 0 and at most {LONGEST.days}d.", param, ctx)
        return duration


def _fail(error: ChatError) -> NoReturn:
    raise click.ClickException(error.message)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"


@invites_group.command("create")
@click.option(
    "--uses",
    type=click.IntRange(1, invites.MAX_USES),
    default=1,
    show_default=True,
    help="How many accounts the code may create.",
)
@click.option("--expires", type=Duration(), help="Lifetime, e.g. 30m, 12h, 7d; default: never.")
@click.option("--note", help="A label for `invites list` (who it is for).")
@click.option("--by", "by_username", metavar="USERNAME", help="Record this account as its maker.")
def create(uses: int, expires: timedelta | None, note: str | None, by_username: str | None) -> None:
    """Make an invite code; it is shown once, only its hash is kept."""
    try:
        maker = accounts.get_user(by_username) if by_username else None
        invite, code = invites.create(maker, uses=uses, expires_in=expires, note=note)
    except ChatError as error:
        _fail(error)
    click.echo(f"Invite {invite.id}: {code}")
    click.echo(f"Uses: {uses}. Expires: {_when(invite.expires_at)}" + (" UTC." if expires else "."))
    click.echo("The code is shown only now: the server keeps its hash, not the code.")
    if current_app.config["REGISTRATION"] != "invite":
        click.echo(
            f"Note: REGISTRATION is {current_app.config['REGISTRATION']!r} here; codes are "
            "only asked for while it is 'invite'."
        )


@invites_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
def list_invites(as_json: bool) -> None:
    """List every invite with its state (never its code)."""
    rows = invites.list_invites()
    now = utcnow()
    if as_json:
        payloads = [invite_payload(i, by, invites.state(i, now)) for i, by in rows]
        click.echo(json.dumps(payloads))
        return
    if not rows:
        click.echo("No invites.")
        return
    wide = max(2, *(len(by or "-") for _, by in rows))
    click.echo(
        f"{'ID':>4}  {'CREATED (UTC)':<16}  {'BY':<{wide}}  {'USES':>9}  "
        f"{'EXPIRES (UTC)':<16}  {'STATE':<7}  NOTE"
    )
    for invite, by in rows:
        used = f"{invite.uses}/{invite.max_uses}"
        click.echo(
            f"{invite.id:>4}  {_when(invite.created_at):<16}  {by or '-':<{wide}}  {used:>9}  "
            f"{_when(invite.expires_at):<16}  {invites.state(invite, now):<7}  "
            f"{invite.note or ''}".rstrip()
        )


@invites_group.command("revoke")
@click.argument("invite_id", metavar="ID", type=int)
def revoke(invite_id: int) -> None:
    """Revoke an invite: its code stops working at once (accounts it made stay)."""
    try:
        invite, changed = invites.revoke(invite_id)
    except ChatError as error:
        _fail(error)
    if changed:
        click.echo(f"Revoked invite {invite.id}.")
    else:
        click.echo(f"Invite {invite.id} was already revoked.")
