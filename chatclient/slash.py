"""The client's own /commands: what each takes, and the session call it makes.

`#commands` are the server's (typed as messages, answered in the ack); a
`/command` never reaches the room as text. The README's client table lists
the same commands as USAGE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatclient.session import ChatSession

# name -> (usage, what it does): /help prints them, in this order.
USAGE: dict[str, tuple[str, str]] = {
    "join": ("/join NAME | @USER", "switch to a room (made if nobody has, as on IRC) or a person"),
    "create": (
        "/create NAME [--private]",
        "make a new room (--private: invite-only), switch to it",
    ),
    "msg": ("/msg USER [TEXT]", "send TEXT to USER in your direct conversation; alone: switch"),
    "rooms": ("/rooms", "your rooms with unread counts, then the other public rooms"),
    "members": ("/members", "the current room's members and their roles"),
    "topic": ("/topic [TEXT | --clear]", "show, set or clear the current room's topic"),
    "invite": ("/invite USER", "add USER to the current room"),
    "kick": ("/kick USER [REASON]", "remove USER from the current room"),
    "ban": ("/ban USER [REASON]", "remove USER and keep them out until /unban"),
    "unban": ("/unban USER", "let USER join the current room again"),
    "leave": ("/leave", "leave the current room: the membership ends"),
    "say": ("/say TEXT", "send TEXT exactly as typed, even #help ... or /join ..."),
    "help": ("/help", "this list (#help lists the server's commands)"),
    "quit": ("/quit", "disconnect and exit: your rooms stay yours (also Ctrl-D)"),
}
SLASH_HELP = "/help lists the commands, #help the server's."


def say_text(text: str) -> str:
    """What to send so that `text` is stored as typed, even a leading `#`.

    The server runs a text starting with `#word` as a command and stores one
    starting with `##` with the first `#` removed: so `#` is doubled.
    """
    return "#" + text if text.startswith("#") else text


def run(session: ChatSession, command: str, argument: str) -> bool:
    """Act on `/command argument`; False when the user asked to quit."""
    command = command.lower()
    if command in ("quit", "exit"):
        return False
    handler = HANDLERS.get(command)
    if handler is None:
        session.out.error(f"Unknown command /{command}. {SLASH_HELP}", "unknown_command")
        session.count_refusal()
    elif handler(session, argument.strip()) is False:
        usage(session, command)
    return True


def usage(session: ChatSession, command: str) -> None:
    session.out.error(f"Usage: {USAGE[command][0]}", "usage")
    session.count_refusal()


def in_room(session: ChatSession) -> bool:
    """True when there is a current room; otherwise says so (a refusal)."""
    if session.current is None:
        session.out.error("You are not in a room.", "no_room")
        session.count_refusal()
        return False
    return True


def _join(session: ChatSession, argument: str) -> bool:
    if not argument:
        return False
    session.join(argument)
    return True


def _create(session: ChatSession, argument: str) -> bool:
    words = argument.split()
    names = [word for word in words if word != "--private"]
    if len(names) != 1:
        return False
    session.create_room(names[0].removeprefix("#"), private="--private" in words)
    return True


def _msg(session: ChatSession, argument: str) -> bool:
    user, _, text = argument.partition(" ")
    if not user:
        return False
    if text.strip():
        session.message_user(user, say_text(text.strip()))
    else:
        session.join("@" + user.removeprefix("@"))
    return True


def _members(session: ChatSession, argument: str) -> None:
    if in_room(session):
        session.send("#members")


def _topic(session: ChatSession, argument: str) -> None:
    if not in_room(session):
        return
    if not argument:
        session.show_topic()
    else:
        session.set_topic("" if argument == "--clear" else argument)


def _on_user(event: str, with_reason: bool) -> Callable[[ChatSession, str], bool]:
    """/invite, /kick, /ban, /unban: a user (and maybe a reason), in the current room."""

    def handler(session: ChatSession, argument: str) -> bool:
        user, _, reason = argument.partition(" ")
        if not user or (reason.strip() and not with_reason):
            return False
        if in_room(session):
            session.moderate(event, user, reason.strip() or None)
        return True

    return handler


def _leave(session: ChatSession, argument: str) -> None:
    if not in_room(session):
        return
    left = session.current or ""
    label = session.out.label(left)
    if session.leave(left):
        now = f"; now in {session.out.label(session.current)}" if session.current else ""
        session.out.info(f"Left {label}{now}.")
    else:
        session.count_refusal()


def _say(session: ChatSession, argument: str) -> bool:
    if not argument:
        return False
    session.send(say_text(argument))
    return True


def _help(session: ChatSession, argument: str) -> None:
    width = max(len(usage) for usage, _ in USAGE.values())
    for usage_text, description in USAGE.values():
        session.out.info(f"{usage_text:<{width}}  {description}", "help")


HANDLERS: dict[str, Callable[[ChatSession, str], bool | None]] = {
    "join": _join,
    "create": _create,
    "msg": _msg,
    "rooms": lambda session, argument: session.list_rooms(),
    "members": _members,
    "topic": _topic,
    "invite": _on_user("invite", with_reason=False),
    "kick": _on_user("kick", with_reason=True),
    "ban": _on_user("ban", with_reason=True),
    "unban": _on_user("unban", with_reason=False),
    "leave": _leave,
    "say": _say,
    "help": _help,
}
