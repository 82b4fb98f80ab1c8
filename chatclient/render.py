"""Showing events: readable lines (coloured on a terminal) or one JSON object each."""

from __future__ import annotations

import json
import threading
from datetime import datetime

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
        self._lock = threading.Lock()

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
        room = inert(message.get("room", ""))
        lines = inert(message.get("text", "")).split("\n")
        parts = [("time", clock(message.get("ts", "")) + " ")]
        if room != self.current_room:
            parts.append(("room", f"#{room} "))
        parts += [("me" if user == self.me else "user", f"<{user}>"), ("", " " + lines[0])]
        # Continuation lines are indented, so a message cannot pose as other lines.
        for line in lines[1:]:
            parts.append(("", "\n      | " + line))
        self._emit(parts)

    def presence(self, event: dict) -> None:
        if self.json_mode:
            return self._json("presence", data=event)
        verb = "joined" if event.get("event") == "join" else "left"
        room = "" if event.get("room") == self.current_room else f" #{inert(event.get('room'))}"
        text = f"* {inert(event.get('user'))} {verb}{room} ({int(event.get('online', 0))} online)"
        self._emit([("notice", text)])

    def member(self, event: dict) -> None:
        """A membership began or ended: shown even when it came over REST (no presence)."""
        if self.json_mode:
            return self._json("member", data=event)
        verb = "is now a member of" if event.get("event") == "joined" else "is no longer in"
        text = f"* {inert(event.get('user'))} {verb} #{inert(event.get('room'))}"
        self._emit([("notice", text)])

    def joined(self, room: str, online: int, users: list[str]) -> None:
        if self.json_mode:
            return self._json("joined", room=room, online=online, users=users)
        names = ", ".join(inert(user) for user in users)
        self._emit([("info", f"-- #{inert(room)}: {int(online)} online: {names}")])

    def rooms(self, rooms: list[str], current: str | None) -> None:
        """The rooms this client is in (at start, and for /rooms)."""
        if self.json_mode:
            return self._json("rooms", rooms=rooms, current=current)
        names = [f"#{inert(r)}" + (" (current)" if r == current else "") for r in rooms]
        self._emit([("info", f"-- Your rooms: {', '.join(names) or 'none'}. /join NAME switches.")])

    def notice(self, event: dict) -> None:
        if self.json_mode:
            return self._json("notice", data=event)
        self._emit([("notice", f"* {inert(event.get('text'))}")])

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
        for line in format_command(name, result):
            self._emit([("", inert(line))])


def format_command(name: str, result: dict) -> list[str]:
    """A #command's result as readable lines: lists and small tables."""
    if name == "help":
        width = max(len(c["usage"]) for c in result["commands"])
        return [f"  {c['usage']:<{width}}  {c['description']}" for c in result["commands"]]
    if name == "users":
        users = ", ".join(result["users"]) or "nobody"
        return [f"  #{result['room']}: {result['online']} online: {users}"]
    if name == "rooms":
        rows = [f"  {'ROOM':<24} {'ONLINE':>6}  CREATED"]
        rows += [
            f"  #{r['name']:<23} {r['online']:>6}  {r['created'][:10]}" for r in result["rooms"]
        ]
        if result.get("next_cursor"):
            rows.append(f"  (more: #rooms {len(result['rooms'])} {result['next_cursor']})")
        return rows
    messages = result.get("messages", [])
    rows = [
        f"  {clock(m['ts'])} #{m['room']} <{m.get('user') or '[deleted]'}> "
        + m["text"].replace("\n", " / ")
        for m in messages
    ] or ["  (no messages)"]
    if result.get("next_cursor"):
        # A cursor comes only with a full page, so its size is the N asked for.
        rows.append(f"  (older: #{name} {len(messages)} {result['next_cursor']})")
    return rows
