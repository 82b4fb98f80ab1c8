"""Rooms on screen: joining, leaving, and showing each message once, in order.

The rooms half of ChatSession. Per room it remembers the highest `seq` shown;
a live message that skips ahead first pulls the missing ones from `history`,
and messages that arrive while a join is under way wait for its history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatclient.render import Output

HISTORY_PAGE = 100


class Rooms:
    """Needs from its subclass: out, _call, error_reply, count_refusal."""

    # Declared for the type checker; ChatSession (or Sender) provides them.
    out: Output
    _call: Callable[..., dict | None]
    error_reply: Callable[..., None]
    count_refusal: Callable[[], None]

    def __init__(self) -> None:
        self.rooms: dict[str, int] = {}  # joined room -> highest seq shown
        self.current: str | None = None
        self._early: dict[str, list[dict]] = {}
        self._show_lock = threading.RLock()

    def room_names(self) -> list[str]:
        """The joined rooms, a copy: other threads add and remove rooms."""
        with self._show_lock:
            return list(self.rooms)

    def enter(self, current: str, others: list[str]) -> bool:
        """Join `current` (it becomes current), then rejoin the user's other rooms quietly."""
        if not self.join(current):
            return False
        for room in others:
            if room != self.current:
                self._join(room, quiet=True, history=False)
        if len(self.rooms) > 1:
            self.out.rooms(self.room_names(), self.current)
        return True

    def join(self, room: str) -> bool:
        """Join `room` and make it current; True on success."""
        return self._join(room.strip().lower(), quiet=False)

    def _join(self, room: str, quiet: bool, history: bool = True) -> bool:
        with self._show_lock:
            self._early.setdefault(room, [])
        reply = self._call("join", {"room": room, "create": True})
        if reply is None or not reply.get("ok"):
            with self._show_lock:
                self._early.pop(room, None)
            if reply is None:
                self.out.error(
                    f"No answer joining #{room}; will retry after reconnecting.", "timeout"
                )
            else:
                self.error_reply(reply)
            if not quiet:
                self.count_refusal()
            return False
        name = reply["room"]
        if not quiet:
            self.current = name
            self.out.current_room = name  # before the history, so it shows without #room
        with self._show_lock:
            early = self._early.pop(room, []) + self._early.pop(name, [])
            if name not in self.rooms:
                # First join: the recent history (or none), then live from there on.
                self.rooms[name] = 0 if history else reply["seq"]
                self._show(name, reply["history"] if history else [])
                self.rooms[name] = max(self.rooms[name], reply["seq"])
            else:
                self._fill(name, reply["seq"])
            self._show(name, early)
        if not quiet:
            self.out.joined(name, reply["online"], reply["users"])
        return True

    def leave(self, room: str) -> None:
        """/leave: the one way a membership ends."""
        reply = self._call("leave", {"room": room})
        with self._show_lock:
            self.rooms.pop(room, None)
            if self.current == room:
                self.current = next(iter(self.rooms), None)
                self.out.current_room = self.current
        if reply is not None and not reply.get("ok"):
            self.error_reply(reply)

    # -- showing messages once, in order --

    def _on_message(self, message: dict) -> None:
        room = message.get("room")
        with self._show_lock:
            if room in self._early:
                self._early[room].append(message)  # joining: shown after the history
                return
            if room in self.rooms:
                self._show(room, [message])

    def _show(self, room: str, messages: list[dict]) -> None:
        for message in sorted(messages, key=lambda m: m["seq"]):
            last = self.rooms.get(room, 0)
            if message["seq"] <= last:
                continue  # already shown (our own ack, a replay, a duplicate)
            if message["seq"] > last + 1:
                self._fill(room, message["seq"] - 1)
                if message["seq"] <= self.rooms[room]:
                    continue
            self.out.message(message)
            self.rooms[room] = message["seq"]

    def _fill(self, room: str, up_to: int) -> None:
        """Show the messages after the last shown one, up to seq `up_to`, from history."""
        while self.rooms.get(room, 0) < up_to:
            reply = self._call(
                "history", {"room": room, "after_seq": self.rooms[room], "limit": HISTORY_PAGE}
            )
            if not reply or not reply.get("ok") or not reply["messages"]:
                return
            for message in reply["messages"]:
                if message["seq"] > self.rooms[room]:
                    self.out.message(message)
                    self.rooms[room] = message["seq"]
