"""Showing events: readable lines (coloured on a terminal) or one JSON object each."""

from __future__ import annotations

import json
import threading
from datetime import datetime

from chatclient import announce
from chatclient.sanitize import inert

STYLES = {
    "time": "ansibrightblack",
    "user": "ansicyan bold",
    "me": "ansigreen bold",
    "notice": "ansiyellow",
    "error": "ansired bold",
    "info": "ansibrightblack italic",
    "room": "ansimagenta",
}


def clock(ts: str) -> str:
    """HH:MM in local time from the server's ISO 8601 UTC timestamp."""
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except (ValueError, AttributeError):
        return "--:--"


class Output:
    """Everything the client prints goes through here (thread-safe)."""

    def __init__(self, json_mode: bool, color: bool, me: str | None = None) -> None:
        self.json_mode = json_mode
        self.color = color and not json_mode
        self.me = me
        self.current_room: str | None = None
        # room name -> how it is shown when not "#name": "@bob" for a direct conversation
        self.labels: dict[str, str] = {}
        self._lock = threading.Lock()

    def label(self, room: object) -> str:
        """How a room is shown: `#ops`, or `@bob` for a direct conversation (never `~3-7`)."""
        name = str(room)
        return inert(self.labels.get(name) or f"#{name}")

    # -- low level --

    def _emit(self, parts: list[tuple[str, str]]) -> None:
        with self._lock:
            if self.color:
                from prompt_toolkit import print_formatted_text
                from prompt_toolkit.formatted_text import FormattedText

                print_formatted_text(FormattedText([(STYLES.get(s, ""), t) for s, t in parts]))
            else:
                print("".join(text for _, text in parts), flush=True)

    def _json(self, event: str, **fields) -> None:
        with self._lock:
            print(json.dumps({"event": event, **fields}, ensure_ascii=False), flush=True)

    # -- events --

    def message(self, message: dict) -> None:
        if self.json_mode:
            return self._json("message", data=message)
        user = inert(message.get("user") or "[deleted]")
        room = message.get("room", "")
        lines = inert(message.get("text", "")).split("\n")
        parts = [("time", clock(message.get("ts", "")) + " ")]
        if room != self.current_room:
            parts.append(("room", f"{self.label(room)} "))
        parts += [("me" if user == self.me else "user", f"<{user}>"), ("", " " + lines[0])]
        # Continuation lines are indented, so a message cannot pose as other lines.
        for line in lines[1:]:
            parts.append(("", "\n      | " + line))
        self._emit(parts)

    def presence(self, event: dict) -> None:
        if self.json_mode:
            return self._json("presence", data=event)
        if event.get("user") == self.me:
            # This very session (a session hears the rooms of its user from the
            # connect on, so its own arrival too): not news to the one typing.
            return
        verb = "joined" if event.get("event") == "join" else "left"
        room = "" if event.get("room") == self.current_room else f" {self.label(event.get('room'))}"
        text = f"* {inert(event.get('user'))} {verb}{room} ({int(event.get('online', 0))} online)"
        self._emit([("notice", text)])

    def member(self, event: dict) -> None:
        """A membership began, ended or changed: shown even when it came over REST (no presence)."""
        if self.json_mode:
            return self._json("member", data=event)
        self._emit([("notice", one_line(announce.member(event, self.label)))])

    def joined(self, room: str, online: int, users: list[str]) -> None:
        if self.json_mode:
            return self._json("joined", room=room, online=online, users=users)
        names = ", ".join(inert(user) for user in users)
        self._emit([("info", f"-- {self.label(room)}: {int(online)} online: {names}")])

    def rooms(
        self, rooms: list[dict], current: str | None, public: list[dict] | None = None
    ) -> None:
        """The user's rooms (ROOM or MEMBERSHIP each), at start and for /rooms.

        With `public` (a page of the server's list), also the public rooms the
        user is not in; a full page ends with "...".
        """
        if self.json_mode:
            return self._json(
                "rooms",
                rooms=[r["name"] for r in rooms],
                current=current,
                details=rooms,
                **({"public": public} if public is not None else {}),
            )
        self._emit([("info", "-- " + one_line(announce.my_rooms(rooms, current, self.label)))])
        if public:
            mine = {str(room.get("name")) for room in rooms}
            line = announce.public_rooms(public, mine, more=len(public) >= PUBLIC_PAGE)
            if line:
                self._emit([("info", "-- " + one_line(line))])

    def notice(self, event: dict) -> None:
        if self.json_mode:
            return self._json("notice", data=event)
        text = str(event.get("text"))
        room = str(event.get("room"))
        if room in self.labels:
            # The server names rooms "#name"; a direct conversation is "@partner" here.
            text = text.replace(f"#{room}", self.labels[room])
        self._emit([("notice", f"* {inert(text)}")])

    def event(self, name: str, data: dict, lines: list[str]) -> None:
        """A server event shown as readable lines (or as itself in JSON mode)."""
        if self.json_mode:
            return self._json(name, data=data)
        for line in lines:
            self._emit([("notice", one_line(line))])

    def error(self, text: str, code: str | None = None, **extra) -> None:
        if self.json_mode:
            return self._json("error", error={"code": code, "message": text, **extra})
        self._emit([("error", f"! {inert(text)}")])

    def info(self, text: str, status: str | None = None) -> None:
        if self.json_mode:
            return self._json("status", status=status or text)
        self._emit([("info", f"-- {inert(text)}")])

    def command(self, name: str, result: dict) -> None:
        if self.json_mode:
            return self._json("command", command=name, result=result)
        for line in format_command(name, result, self.label):
            self._emit([("", inert(line))])


#: How many public rooms /rooms asks for.
PUBLIC_PAGE = 50


def one_line(text: object) -> str:
    """Server text made inert and kept on one line (a topic or a reason may hold newlines)."""
    return inert(text).replace("\n", " / ")


def hash_label(room: str) -> str:
    return f"#{room}"


def format_command(name: str, result: dict, label: announce.Label = hash_label) -> list[str]:
    """A #command's result as readable lines: lists and small tables."""
    if name == "help":
        width = max(len(c["usage"]) for c in result["commands"])
        return [f"  {c['usage']:<{width}}  {c['description']}" for c in result["commands"]]
    if name == "users":
        users = ", ".join(result["users"]) or "nobody"
        return [f"  {label(result['room'])}: {result['online']} online: {users}"]
    if name == "members":
        return announce.members(result, label)
    if name == "rooms":
        rows = [f"  {'ROOM':<24} {'ONLINE':>6} {'UNREAD':>6}  CREATED"]
        for r in result["rooms"]:
            unread = str(r["unread"]) if "unread" in r else ""
            shown = announce.shown(r, label) + announce.marker(r)
            rows.append(f"  {shown:<24} {r['online']:>6} {unread:>6}  {r['created'][:10]}")
        if result.get("next_cursor"):
            rows.append(f"  (more: #rooms {len(result['rooms'])} {result['next_cursor']})")
        return rows
    messages = result.get("messages", [])
    rows = [
        f"  {clock(m['ts'])} {label(m['room'])} <{m.get('user') or '[deleted]'}> "
        + m["text"].replace("\n", " / ")
        for m in messages
    ] or ["  (no messages)"]
    if result.get("next_cursor"):
        # A cursor comes only with a full page, so its size is the N asked for.
        rows.append(f"  (older: #{name} {len(messages)} {result['next_cursor']})")
    return rows
