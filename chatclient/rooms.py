"""Rooms on screen: joining, leaving, and showing each message once, in order.

The rooms half of ChatSession. Per room it remembers the highest `seq` shown;
a live message that skips ahead first pulls the missing ones from `history`,
and messages that arrive while a join is under way wait for its history.

Rooms the user belongs to but has not opened in this run (rejoined quietly on
start, or added by someone else) show their live messages tagged; the unread
ones from before are shown when the user switches to the room, so the read
mark sent then covers only what was on the screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatclient.reading import ReadMarker
    from chatclient.render import Output

HISTORY_PAGE = 100
#: How many unread messages from before a quiet rejoin are shown on switching to the room.
UNREAD_PAGE = 50
#: Why a remembered room cannot be rejoined: deleted, private and left, or banned.
GONE = ("not_found", "forbidden")


class Rooms:
    """Needs from its subclass: out, reads, _call, error_reply, count_refusal, open_direct."""

    # Declared for the type checker; ChatSession (or Sender, Team) provides them.
    out: Output
    reads: ReadMarker
    _call: Callable[..., dict | None]
    error_reply: Callable[..., None]
    count_refusal: Callable[[], None]
    open_direct: Callable[[str], str | None]

    def __init__(self) -> None:
        self.rooms: dict[str, int] = {}  # room in view -> highest seq shown
        self.info: dict[str, dict] = {}  # room -> ROOM or MEMBERSHIP, as last heard
        self.current: str | None = None
        self._early: dict[str, list[dict]] = {}
        # room -> (last read seq, seq when it came into view): never shown yet
        self._unseen: dict[str, tuple[int, int]] = {}
        self._rejoin_all = False  # a terminal keeps every room of the user in view
        self._show_lock = threading.RLock()

    def room_names(self) -> list[str]:
        """The rooms in view, a copy: other threads add and remove rooms."""
        with self._show_lock:
            return list(self.rooms)

    def learn(self, room: dict) -> None:
        """Remember what the server said of a room (ROOM or MEMBERSHIP)."""
        name = room.get("name")
        if not isinstance(name, str):
            return
        with self._show_lock:
            self.info[name] = {**self.info.get(name, {}), **room}
        if room.get("kind") == "direct" and room.get("with"):
            self.out.labels[name] = f"@{room['with']}"

    def memberships(self) -> list[dict] | None:
        """The user's rooms as the server has them (`my_rooms`); None without an answer."""
        reply = self._call("my_rooms", {})
        if reply is None or not reply.get("ok"):
            return None
        for room in reply["rooms"]:
            self.learn(room)
        return reply["rooms"]

    def show_rooms(
        self, listed: list[dict] | None = None, public: list[dict] | None = None
    ) -> None:
        """One line of the user's rooms (those in view unless `listed`), with unread counts."""
        if listed is None:
            listed = [self.info.get(name, {"name": name}) for name in self.room_names()]
        self.out.rooms(listed, self.current, public)

    def enter(self, current: str, rejoin: bool) -> bool:
        """Join `current` (it becomes current); with `rejoin` (a terminal) every room of the
        user quietly, now and after each reconnect."""
        self._rejoin_all = rejoin
        if not self.join(current):
            return False
        if rejoin:
            self._rejoin(self.memberships() or [])
            if len(self.rooms) > 1:
                self.show_rooms()
        return True

    def catch_up(self) -> None:
        """After a reconnect: drop the rooms the user lost meanwhile, rejoin the rest."""
        listed = self.memberships()
        if listed is not None:
            mine = {room["name"] for room in listed}
            for room in self.room_names():
                if room not in mine:  # kicked, banned or deleted while away
                    self.out.info(f"You are no longer in {self.out.label(room)}.", "dropped")
                    self.forget(room)
        in_view = self.room_names()
        for room in in_view:
            self._join(room, quiet=True, create=False)  # fills the gap
        if self._rejoin_all and listed:
            # Rooms the user was added to while away (not those just dropped).
            self._rejoin([room for room in listed if room["name"] not in in_view])

    def _rejoin(self, memberships: list[dict]) -> None:
        """Bring the user's other rooms into view, live from now on (never created anew)."""
        for room in memberships:
            if room["name"] not in self.rooms:
                self._join(room["name"], quiet=True, history=False, create=False)

    def join(self, target: str) -> bool:
        """/join: NAME (created if nobody has made it, as on IRC) or @USER; it becomes current."""
        target = target.strip()
        if target.startswith("@"):
            name = self.open_direct(target[1:])
            return name is not None and self._join(name, quiet=False, create=False)
        return self._join(target.removeprefix("#").lower(), quiet=False)

    def _join(self, room: str, quiet: bool, history: bool = True, create: bool = True) -> bool:
        """Join `room`; `create` False for a room the user was in (a deleted one stays deleted)."""
        with self._show_lock:
            self._early.setdefault(room, [])
        reply = self._call("join", {"room": room, "create": create})
        if reply is None or not reply.get("ok"):
            with self._show_lock:
                self._early.pop(room, None)
            self._join_failed(room, reply, rejoining=quiet and not create)
            if not quiet:
                self.count_refusal()
            return False
        name = reply["room"]
        if "room_info" in reply:
            self.learn(reply["room_info"])
        if not quiet:
            self.current = name
            self.out.current_room = name  # before the history, so it shows without #room
        with self._show_lock:
            early = self._early.pop(room, []) + self._early.pop(name, [])
            if name not in self.rooms:
                # First join: the recent history (or none), then live from there on.
                self.rooms[name] = 0 if history else reply["seq"]
                if not history:
                    self._note_unseen(name, reply["seq"])
                self._show(name, reply["history"] if history else [])
                self.rooms[name] = max(self.rooms[name], reply["seq"])
            else:
                self._fill(name, reply["seq"])
            if not quiet:
                self._show_unseen(name)
            self._show(name, early)
        if not quiet:
            self.out.joined(name, reply["online"], reply["users"])
            self._seen(name)
        return True

    def _join_failed(self, room: str, reply: dict | None, rejoining: bool) -> None:
        label = self.out.label(room)
        if reply is None:
            self.out.error(f"No answer joining {label}; will retry after reconnecting.", "timeout")
        elif rejoining and reply.get("error", {}).get("code") in GONE:
            self.forget(room)
            why = reply["error"].get("message", "")
            self.out.info(f"Dropped {label} from your rooms: {why}", "dropped")
        else:
            self.error_reply(reply)

    def forget(self, room: str) -> None:
        """Stop showing `room` (left, removed, deleted); another room becomes current."""
        with self._show_lock:
            self.rooms.pop(room, None)
            self._unseen.pop(room, None)
            if self.current == room:
                self.current = next(iter(self.rooms), None)
                self.out.current_room = self.current

    def leave(self, room: str) -> bool:
        """/leave: the one way a membership ends; True once left."""
        reply = self._call("leave", {"room": room})
        if reply is not None and not reply.get("ok"):
            self.error_reply(reply)  # a direct conversation, the last owner...
            return False
        self.forget(room)
        return True

    def added(self, membership: dict) -> None:
        """A room the user was added to: its live messages show from now on."""
        self.learn(membership)
        name, seq = membership["name"], int(membership.get("seq", 0))
        with self._show_lock:
            if name not in self.rooms:
                self.rooms[name] = seq
                self._note_unseen(name, seq)

    # -- read state --

    def _note_unseen(self, room: str, seq: int) -> None:
        info = self.info.get(room, {})
        last_read = int(info.get("last_read_seq", seq))
        # Unread counts others' messages only: none means nothing new to show.
        if last_read < seq and info.get("unread") != 0:
            self._unseen[room] = (last_read, seq)

    def _show_unseen(self, room: str) -> None:
        """Switching to a room in view: its unread messages from before it came into view."""
        since, until = self._unseen.pop(room, (0, 0))
        if until <= since:
            return
        limit = min(UNREAD_PAGE, until - since)
        reply = self._call("history", {"room": room, "before_seq": until + 1, "limit": limit})
        if not reply or not reply.get("ok"):
            return
        backlog = [m for m in reply["messages"] if since < m["seq"] <= until]
        skipped = backlog[0]["seq"] - since - 1 if backlog else 0
        self.out.info(f"Unread in {self.out.label(room)}:", "unread")
        if skipped > 0:
            self.out.info(f"({skipped} older unread: #history {HISTORY_PAGE} {backlog[0]['seq']})")
        for message in backlog:
            self.out.message(message)

    def _seen(self, room: str) -> None:
        """The current room was shown up to its last seq: tell the server (coalesced)."""
        if room == self.current and room not in self._unseen and self.rooms.get(room):
            self.reads.mark(room, self.rooms[room])

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
        if messages:
            self._seen(room)

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
