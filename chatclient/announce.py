"""One readable line for each team-chat event: rooms added and removed, members, topics.

Pure functions of the event's data, so they are tested without a server.
`label(name)` is how a room is shown: `#ops`, or `@bob` for a direct
conversation. The lines are made inert (and kept to one line) by Output.
"""

from __future__ import annotations

from collections.abc import Callable

Label = Callable[[str], str]

#: The `reason` of the `removed` event that tells the members of a deleted room.
DELETED = "deleted"


def _who(by: object) -> str:
    """Who did it: the admin CLI acts with `by` null."""
    return str(by) if by else "an admin"


def _because(reason: object) -> str:
    return f": {reason}" if reason else ""


def room_added(event: dict, me: str | None, label: Label) -> str:
    """`room_added` {"room": MEMBERSHIP, "by"}: an invitation or a new direct conversation."""
    room = event.get("room") or {}
    by = event.get("by")
    if room.get("kind") == "direct":
        partner = room.get("with") or "someone"
        if by == me:
            return f"* You opened a direct conversation with @{partner}."
        reply = f"/join @{partner} to reply there"
        return f"* {_who(by)} opened a direct conversation with you: {reply}."
    private = " (private)" if room.get("private") else ""
    name = label(str(room.get("name")))
    if by is not None and by == me:
        # The server tells a user's other sessions of a room they joined or made.
        return f"* You joined {name}{private} on another session."
    return f"* {_who(by)} added you to {name}{private}."


def removed(event: dict, me: str | None, label: Label) -> str:
    """`removed` {"room", "by", "reason", "banned"}: this user's membership ended."""
    room = label(str(event.get("room")))
    by, reason = event.get("by"), event.get("reason")
    if event.get("banned"):
        return f"* You were banned from {room} by {_who(by)}{_because(reason)}"
    if reason == DELETED:
        return f"* {room} was deleted by {_who(by)}."
    if by is not None and by == me:
        return f"* You left {room} (on another session)."
    return f"* You were removed from {room} by {_who(by)}{_because(reason)}"


def member(event: dict, label: Label) -> str:
    """`member` {"room", "user", "event", "by", "role"?}: someone else's membership changed."""
    room, user = label(str(event.get("room"))), event.get("user")
    by, kind = _who(event.get("by")), event.get("event")
    lines = {
        "joined": f"{user} is now a member of {room}",
        "left": f"{user} is no longer in {room}",
        "added": f"{by} added {user} to {room}",
        "removed": f"{by} removed {user} from {room}",
        "banned": f"{by} banned {user} from {room}",
        "unbanned": f"{by} lifted the ban of {user} from {room}",
        "role": f"{by} made {user} {event.get('role')} of {room}",
    }
    return "* " + lines.get(str(kind), f"{user}: {kind} in {room}")


def room_updated(before: dict | None, after: dict, label: Label) -> list[str]:
    """`room_updated` {"room": ROOM}: what changed, one line each (the topic when unsure)."""
    room = label(str(after.get("name")))
    changes = []
    if before is None or before.get("topic") != after.get("topic"):
        changes.append("* " + topic(after, label))
    if before is not None and before.get("private") != after.get("private"):
        changes.append(f"* {room} is now {'private' if after.get('private') else 'public'}.")
    return changes


def topic(room: dict, label: Label) -> str:
    """A room's topic, or that it has none."""
    name = label(str(room.get("name")))
    return f"{name} topic: {room['topic']}" if room.get("topic") else f"{name} has no topic."


def shown(room: dict, label: Label) -> str:
    """A ROOM's name as shown: `@partner` for a direct conversation, else `label(name)`."""
    if room.get("kind") == "direct" and room.get("with"):
        return f"@{room['with']}"
    return label(str(room.get("name")))


def marker(room: dict) -> str:
    """` [private]` for a private room; a direct conversation's `@name` says it already."""
    return " [private]" if room.get("private") and room.get("kind") != "direct" else ""


def my_rooms(rooms: list[dict], current: str | None, label: Label) -> str:
    """The user's rooms on one line: markers, the current one, unread counts."""
    names = []
    for room in rooms:
        name = str(room.get("name"))
        extra = " (current)" if name == current else ""
        if room.get("unread"):
            extra += f" ({int(room['unread'])} unread)"
        names.append(shown(room, label) + marker(room) + extra)
    return f"Your rooms: {', '.join(names) or 'none'}. /join NAME switches."


def public_rooms(rooms: list[dict], mine: set[str], more: bool) -> str | None:
    """The public rooms the user is not in, on one line; None when there are none."""
    others = [room for room in rooms if room.get("name") not in mine and not room.get("private")]
    if not others:
        return None
    names = [f"#{room['name']} ({int(room.get('online', 0))} online)" for room in others]
    return f"Other public rooms: {', '.join(names)}{', ...' if more else ''}."


def members(result: dict, label: Label) -> list[str]:
    """`#members`: a room's members, owners first, with their roles and who is online."""
    people = result.get("members", [])
    width = max((len(str(m.get("user"))) for m in people), default=4)
    rows = [f"  {label(str(result.get('room')))}: {len(people)} member(s)"]
    for person in people:
        online = "  online" if person.get("online") else ""
        rows.append(f"  {str(person.get('user')):<{width}}  {str(person.get('role')):<9}{online}")
    return [row.rstrip() for row in rows]
