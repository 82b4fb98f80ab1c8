"""`cli.py rooms ...`: see and moderate every room, with a server admin's standing.

The commands call the services the socket events call, with no actor: events
and NATS say `"by": null`. Every change is in the database at once. Live
sessions hear of it through the Socket.IO message queue when REDIS_URL is set
(this process publishes to the servers' queue, as another server would).
Without Redis, this process reaches no socket: the server's own sweep
(chatapp.sockets.memberships) brings sessions in line within two presence
refreshes (2 x PRESENCE_REFRESH, 30 s by default); a removed member's sends
are refused at once. The commands say so.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from chatapp.cli.errors import reports_errors
from chatapp.extensions import db
from chatapp.models import Membership, Message, Room, RoomBan, User
from chatapp.models.room import DIRECT, ROLES
from chatapp.payloads import admin_room_payload
from chatapp.services import accounts, moderation
from chatapp.services import rooms as room_service
from chatapp.services.access import Access
from chatapp.services.room_views import member_counts
from chatapp.sockets import message_queue_url

rooms = AppGroup(
    "rooms",
    help="List, create and moderate rooms, as a server admin. Changes are in the database at "
    "once; open sessions hear of them at once with REDIS_URL set, otherwise within "
    "2 x PRESENCE_REFRESH.",
)

role_choice = click.Choice(ROLES)
reason_option = click.option("--reason", help="Told to the user and the room.")
TOPIC_WIDTH = 40


def _admin(name: str) -> Access:
    """A server admin's standing in the room called `name` (private and direct ones too)."""
    return Access(room_service.get_room(name), None, True)


def _unheard(consequence: str) -> None:
    """Say (on stderr) what open sessions miss when no message queue reaches the servers."""
    if message_queue_url(current_app) is None:
        click.echo(
            f"Note: REDIS_URL is not set, so this reaches no open session: {consequence}",
            err=True,
        )


def _cut_off_later(username: str, room: str) -> None:
    _unheard(
        f"{username}'s open sessions may receive #{room} for up to 2 x PRESENCE_REFRESH "
        "(30 s by default; their sends are refused already)."
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _direct_users(room_ids: list[int]) -> dict[int, list[str]]:
    """room id -> the two usernames of each direct conversation among `room_ids`."""
    found: dict[int, list[str]] = {room_id: [] for room_id in room_ids}
    if room_ids:
        rows = db.session.execute(
            select(Membership.room_id, User.username)
            .join(User, User.id == Membership.user_id)
            .where(Membership.room_id.in_(room_ids))
            .order_by(User.name_key)
        )
        for room_id, username in rows:
            found[room_id].append(username)
    return found


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _short(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())  # one line in the table, whatever the topic holds
    return text if len(text) <= width else text[: width - 3] + "..."


@rooms.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
def list_rooms(as_json: bool) -> None:
    """List every room, private rooms and direct conversations included."""
    found = db.session.scalars(select(Room).order_by(Room.name)).all()
    counts = member_counts([room.id for room in found])
    pairs = _direct_users([room.id for room in found if room.kind == DIRECT])
    items = [
        admin_room_payload(room, counts.get(room.id, 0), pairs.get(room.id, [])) for room in found
    ]
    if as_json:
        click.echo(json.dumps(items))
        return
    if not items:
        click.echo("No rooms.")
        return
    width = max(4, *(len(item["name"]) for item in items))
    click.echo(f"{'NAME':<{width}}  KIND    PRIVATE  MEMBERS  MESSAGES  TOPIC")
    for item in items:
        topic = "with " + " and ".join(item["users"]) if "users" in item else item["topic"]
        click.echo(
            f"{item['name']:<{width}}  {item['kind']:<6}  {_yes_no(item['private']):<7}  "
            f"{item['members']:>7}  {item['seq']:>8}  {_short(topic, TOPIC_WIDTH)}".rstrip()
        )


@rooms.command("show")
@click.argument("name")
@reports_errors
def show(name: str) -> None:
    """Show a room, its members with their roles, and its bans."""
    room = _admin(name).room
    creator = db.session.get(User, room.created_by) if room.created_by else None
    members = db.session.execute(
        select(User.username, Membership.role, Membership.joined_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.room_id == room.id)
        .order_by(User.name_key)
    ).all()
    banned, banner = aliased(User), aliased(User)
    bans = db.session.execute(
        select(banned.username, banner.username, RoomBan.reason, RoomBan.created_at)
        .join(banned, banned.id == RoomBan.user_id)
        .outerjoin(banner, banner.id == RoomBan.banned_by)
        .where(RoomBan.room_id == room.id)
        .order_by(banned.name_key)
    ).all()
    created = room.created_at.strftime("%Y-%m-%d %H:%M")
    click.echo(f"#{room.name}")
    click.echo(f"  kind:      {room.kind}")
    click.echo(f"  private:   {_yes_no(room.private)}")
    click.echo(f"  topic:     {room.topic or '-'}")
    click.echo(f"  created:   {created}" + (f" by {creator.username}" if creator else ""))
    click.echo(f"  messages:  {room.last_seq}")
    click.echo(f"Members ({len(members)}):")
    rank = {role: index for index, role in enumerate(reversed(ROLES))}
    for username, role, joined in sorted(members, key=lambda row: rank.get(row.role, len(rank))):
        click.echo(f"  {username:<32}  {role:<9}  joined {joined.strftime('%Y-%m-%d %H:%M')}")
    click.echo(f"Bans ({len(bans)}):")
    for username, by, reason, when in bans:
        # No banner: the admin CLI, or an account deleted since.
        line = f"  {username:<32}  {when.strftime('%Y-%m-%d %H:%M')}" + (f"  by {by}" if by else "")
        click.echo(line + (f"  reason: {reason}" if reason else ""))


@rooms.command("create")
@click.argument("name")
@click.option("--private", is_flag=True, help="Invite-only, invisible to non-members.")
@click.option("--topic", help="The room's topic.")
@click.option("--owner", metavar="USER", help="A user made its owner (by default it has none).")
@reports_errors
def create(name: str, private: bool, topic: str | None, owner: str | None) -> None:
    """Create a room, with no owner unless --owner names one."""
    owner_user = accounts.get_user(owner) if owner else None
    if owner_user is not None and owner_user.is_disabled:
        raise click.ClickException(f"{owner_user.username} is disabled; enable them first.")
    room = room_service.create_room(None, name, private, topic, owner=owner_user)
    click.echo(
        f"Created {'private' if room.private else 'public'} room #{room.name}"
        + (f", owned by {owner_user.username}." if owner_user else ".")
    )
    if owner_user is not None:
        _unheard(
            f"{owner_user.username}'s open sessions get #{room.name} within 2 x PRESENCE_REFRESH."
        )


@rooms.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@reports_errors
def delete(name: str, yes: bool) -> None:
    """Delete a room and its messages; its members are told they were removed."""
    room = _admin(name).room
    name, members = room.name, member_counts([room.id]).get(room.id, 0)
    stored = db.session.execute(select(func.count()).where(Message.room_id == room.id)).scalar_one()
    # No transaction stays open while a person reads the question.
    db.session.rollback()
    if not yes:
        click.confirm(
            f"Delete #{name}? This deletes {_plural(stored, 'message')} "
            f"and {_plural(members, 'membership')}.",
            abort=True,
        )
    room_service.delete_room(None, name)
    click.echo(f"Deleted #{name}.")
    _unheard("its members' open sessions are told within 2 x PRESENCE_REFRESH.")


@rooms.command("set-private")
@click.argument("name")
@click.option("--private/--public", "private", default=None, help="Which it becomes.")
@reports_errors
def set_private(name: str, private: bool | None) -> None:
    """Make a room private (invite-only, unlisted) or public."""
    if private is None:
        raise click.UsageError("Say --private or --public.")
    room = moderation.update_room(None, _admin(name), None, private)
    click.echo(f"#{room['name']} is now {'private' if room['private'] else 'public'}.")
    _unheard("open sessions see the change when they next list their rooms or reconnect.")


@rooms.command("add-member")
@click.argument("name")
@click.argument("username")
@click.option("--role", type=role_choice, default="member", show_default=True)
@reports_errors
def add_member(name: str, username: str, role: str) -> None:
    """Add a user to a room (as if invited), with a role."""
    found, user = _admin(name), accounts.get_user(username)
    moderation.invite(None, found, user.username)
    if role != "member":
        moderation.set_role(None, found, user.username, role)
    click.echo(f"Added {user.username} to #{found.room.name} as {role}.")
    _unheard(f"{user.username}'s open sessions get #{found.room.name} within 2 x PRESENCE_REFRESH.")


@rooms.command("remove-member")
@click.argument("name")
@click.argument("username")
@reason_option
@reports_errors
def remove_member(name: str, username: str, reason: str | None) -> None:
    """Remove a member from a room (a kick: they may join a public room again)."""
    found, user = _admin(name), accounts.get_user(username)
    moderation.kick(None, found, user.username, reason)
    click.echo(f"Removed {user.username} from #{found.room.name}.")
    _cut_off_later(user.username, found.room.name)


@rooms.command("ban")
@click.argument("name")
@click.argument("username")
@reason_option
@reports_errors
def ban(name: str, username: str, reason: str | None) -> None:
    """Ban a user from a room (removing them if a member) until unbanned."""
    found, user = _admin(name), accounts.get_user(username)
    moderation.ban(None, found, user.username, reason)
    click.echo(f"Banned {user.username} from #{found.room.name}.")
    _cut_off_later(user.username, found.room.name)


@rooms.command("unban")
@click.argument("name")
@click.argument("username")
@reports_errors
def unban(name: str, username: str) -> None:
    """Lift a ban: the user may join (or be added to) the room again."""
    found, user = _admin(name), accounts.get_user(username)
    moderation.unban(None, found, user.username)
    click.echo(f"Unbanned {user.username} from #{found.room.name}.")


@rooms.command("set-role")
@click.argument("name")
@click.argument("username")
@click.argument("role", type=role_choice)
@reports_errors
def set_role(name: str, username: str, role: str) -> None:
    """Make a member of a room a member, moderator or owner (even its last owner)."""
    found, user = _admin(name), accounts.get_user(username)
    moderation.set_role(None, found, user.username, role)
    click.echo(f"{user.username} is now {role} of #{found.room.name}.")
