"""#commands: typed as a message, answered in the ack, never stored or broadcast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chatapp.errors import BadRequest, UnknownCommand
from chatapp.models import User
from chatapp.presence import presence_store
from chatapp.services import limits, queries, room_views, rooms

DEFAULT_PAGE = 20
MAX_PAGE = 100

# name -> (usage, description)
HELP = {
    "help": ("#help", "List the commands."),
    "users": ("#users", "Who is online in this room."),
    "rooms": (
        "#rooms [LIMIT] [AFTER]",
        "Public rooms and yours, by name, with online and unread counts.",
    ),
    "members": ("#members", "This room's members and their roles."),
    "my_messages": (
        "#my_messages [LIMIT] [BEFORE_ID]",
        "Messages from the rooms you are a member of, newest page first.",
    ),
    "all_messages": (
        "#all_messages [LIMIT] [BEFORE_ID]",
        "Every message you sent, in any room, newest page first.",
    ),
    "history": ("#history [N] [BEFORE_SEQ]", "The last N messages of this room (N <= 100)."),
}


ESCAPE = "##"


def parse(text: str) -> tuple[str, list[str]] | None:
    """(name, args) when `text` is a command; None for an ordinary message.

    A first word of '#' plus a word is a command; an unknown one is an error
    rather than a message, so a typo is never posted to the room. Text that
    starts with '##' is a message (see `unescape`).
    """
    if not text.startswith("#") or text.startswith(ESCAPE):
        return None
    first, *args = text.split()
    name = first[1:].lower()
    if not name:
        return None
    if name not in HELP:
        known = ", ".join(usage.split()[0] for usage, _ in HELP.values())
        raise UnknownCommand(f"Unknown command #{name}. Commands: {known}.")
    return name, args


def unescape(text: str) -> str:
    """The text to store: '##word' posts '#word' (how to send what looks like a command)."""
    return text[1:] if text.startswith(ESCAPE) else text


def _int_arg(args: list[str], index: int, low: int, high: int) -> int | None:
    """The argument at `index` as a number from `low` to `high`; None when not given."""
    if len(args) <= index:
        return None
    try:
        value = int(args[index])
    except ValueError:
        raise BadRequest(f"{args[index]!r} is not a number.") from None
    if not low <= value <= high:
        raise BadRequest(f"{value} is out of range ({low} to {high}).")
    return value


def _page_limit(args: list[str]) -> int:
    """The first argument: how many items a page holds."""
    limit = _int_arg(args, 0, 1, MAX_PAGE)
    return DEFAULT_PAGE if limit is None else limit


def _help(user, room, args):
    commands = [{"usage": usage, "description": text} for usage, text in HELP.values()]
    return {"commands": commands}


def _users(user, room, args):
    rooms.get_member_room(user, room)  # members only, like every room command
    change = presence_store().online(room)
    return {"room": room, "online": change.online, "users": change.users}


def _members(user, room, args):
    found = rooms.get_member_room(user, room)
    return {"room": found.name, "members": room_views.member_list(found)}


def _rooms(user, room, args):
    limit = _page_limit(args)
    after = rooms.normalize_room_name(args[1]) if len(args) > 1 else None
    items = room_views.visible_rooms(user, after, limit)
    cursor = items[-1]["name"] if len(items) == limit else None
    return {"rooms": items, "next_cursor": cursor}


def _message_page(reader: Callable[..., list[dict[str, Any]]]):
    def command(user, room, args):
        limit = _page_limit(args)
        before = _int_arg(args, 1, 1, 2**63 - 1)
        items = reader(user, before, limit)
        return {"messages": items, "next_cursor": queries.next_cursor(items, limit, "id")}

    return command


def _history(user, room, args):
    limit = _page_limit(args)
    before = _int_arg(args, 1, 1, 2**31 - 1)
    limits.spend("RATELIMIT_HISTORY", f"user:{user.id}", cost=limit)
    found = rooms.get_member_room(user, room)
    items = queries.room_history(found, before_seq=before, limit=limit)
    return {
        "room": room,
        "messages": items,
        "next_cursor": queries.next_cursor(items, limit, "seq"),
    }


RUNNERS = {
    "help": _help,
    "users": _users,
    "rooms": _rooms,
    "members": _members,
    "my_messages": _message_page(queries.member_rooms_messages),
    "all_messages": _message_page(queries.user_messages),
    "history": _history,
}


def run(user: User, room: str, name: str, args: list[str]) -> dict[str, Any]:
    """Run command `name` in the context of `room`; the ack body."""
    return {"command": name, "result": RUNNERS[name](user, room, args)}


def answer(user: User, room: str, text: str) -> dict[str, Any] | None:
    """The answer to `text` if it is a #command (it spends a message), else None."""
    command = parse(text)
    if command is None:
        return None
    limits.spend("RATELIMIT_MESSAGES", f"user:{user.id}")
    return run(user, rooms.normalize_room_name(room), *command)
