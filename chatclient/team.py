"""Team chat in the client: making rooms, moderating, direct conversations, read state.

The team half of ChatSession: the calls behind /create, /invite, /kick, /ban,
/unban, /topic, /msg and /rooms, and the server's events about the user's
rooms (`rooms`, `room_added`, `removed`, `room_updated`, `read`), each shown
as one readable line (chatclient.announce).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from chatclient import announce, rest
from chatclient.render import PUBLIC_PAGE

if TYPE_CHECKING:
    from chatclient.reading import ReadMarker
    from chatclient.render import Output


class Team:
    """Needs from its subclass: the Rooms and Sender halves, server, token."""

    # Declared for the type checker; ChatSession (with Rooms and Sender) provides them.
    out: Output
    server: str
    token: str
    current: str | None
    rooms: dict[str, int]
    info: dict[str, dict]
    reads: ReadMarker
    _unseen: dict[str, tuple[int, int]]
    _show_lock: threading.RLock
    _call: Callable[..., dict | None]
    error_reply: Callable[..., None]
    count_refusal: Callable[[], None]
    learn: Callable[[dict], None]
    added: Callable[[dict], None]
    forget: Callable[[str], None]
    memberships: Callable[[], list[dict] | None]
    show_rooms: Callable[..., None]
    room_names: Callable[[], list[str]]
    send: Callable[..., None]
    _join: Callable[..., bool]

    def _answered(self, reply: dict | None) -> dict | None:
        """A successful ack; otherwise None, after saying why and counting the refusal."""
        if reply is not None and reply.get("ok"):
            return reply
        if reply is None:
            self.out.error("No answer from the server; try again.", "timeout")
        else:
            self.error_reply(reply)
        self.count_refusal()
        return None

    # -- what the user asks for --

    def create_room(self, name: str, private: bool) -> None:
        """/create: a new room (`conflict` if the name is taken), then it becomes current."""
        reply = self._answered(self._call("create", {"room": name, "private": private}))
        if reply is None:
            return
        room = reply["room"]
        self.learn(room)
        kind = " (private: /invite USER lets people in)" if room.get("private") else ""
        self.out.info(f"Created {self.out.label(room['name'])}{kind}.", "created")
        self._join(room["name"], quiet=False, create=False)

    def moderate(self, event: str, user: str, reason: str | None = None) -> None:
        """/invite, /kick, /ban, /unban in the current room; the room's `member` event says it."""
        data = {"room": self.current, "user": user.removeprefix("@")}
        if reason:
            data["reason"] = reason
        self._answered(self._call(event, data))

    def set_topic(self, topic: str) -> None:
        """/topic TEXT ("" clears it); the room's `room_updated` event shows the new one."""
        reply = self._answered(self._call("update_room", {"room": self.current, "topic": topic}))
        if reply is not None:
            self.learn(reply["room"])

    def show_topic(self) -> None:
        """/topic alone: the current room's topic, as last heard from the server."""
        room = self.info.get(self.current or "", {"name": self.current})
        self.out.info(announce.topic(room, self.out.label), "topic")

    def open_direct(self, user: str) -> str | None:
        """The name of the direct conversation with `user` (made if need be); None if refused."""
        reply = self._answered(self._call("direct", {"user": user.removeprefix("@")}))
        if reply is None:
            return None
        self.learn(reply["room"])
        return reply["room"]["name"]

    def message_user(self, user: str, text: str) -> None:
        """/msg USER TEXT: send TEXT in the direct conversation, which stays in view."""
        name = self.open_direct(user)
        if name is None:
            return
        if name not in self.rooms:
            # Its replies show from now on (a new one is already in view: `room_added`).
            self._join(name, quiet=True, history=False, create=False)
        self.send(text, room=name)

    def list_rooms(self) -> None:
        """/rooms: every room of the user with unread counts, then other public rooms."""
        listed = self.memberships()
        if listed is None:
            listed = [self.info.get(name, {"name": name}) for name in self.room_names()]
        try:
            public = rest.public_rooms(self.server, self.token, PUBLIC_PAGE)
        except rest.Unreachable:
            public = None
        self.show_rooms(listed, public)

    # -- what the server tells --

    def _on_rooms(self, data: dict) -> None:
        """`rooms` on connect: the user's memberships (labels, topics, unread counts)."""
        for room in data.get("rooms", []) if isinstance(data, dict) else []:
            if isinstance(room, dict):
                self.learn(room)

    def _on_room_added(self, data: dict) -> None:
        """Invited, or in a new direct conversation: the room's messages show from now on."""
        membership = data.get("room") if isinstance(data, dict) else None
        if not isinstance(membership, dict) or not isinstance(membership.get("name"), str):
            return
        self.added(membership)
        line = announce.room_added(data, self.out.me, self.out.label)
        self.out.event("room_added", data, [line])

    def _on_removed(self, data: dict) -> None:
        """Kicked, banned, the room deleted, or left on another session."""
        if not isinstance(data, dict) or not isinstance(data.get("room"), str):
            return
        line = announce.removed(data, self.out.me, self.out.label)
        self.forget(data["room"])
        self.out.event("removed", data, [line])

    def _on_room_updated(self, data: dict) -> None:
        """A topic or privacy change in one of the user's rooms."""
        room = data.get("room") if isinstance(data, dict) else None
        if not isinstance(room, dict) or not isinstance(room.get("name"), str):
            return
        before = dict(self.info[room["name"]]) if room["name"] in self.info else None
        self.learn(room)
        self.out.event("room_updated", data, announce.room_updated(before, room, self.out.label))

    def _on_read(self, data: dict) -> None:
        """How far the user has read a room (another session's `read`, or our own ack): silent."""
        if not isinstance(data, dict) or not isinstance(data.get("room"), str):
            return
        room, seq = data["room"], int(data.get("last_read_seq") or 0)
        self.reads.confirmed(room, seq)
        with self._show_lock:
            info = self.info.get(room)
            if info is not None and seq >= int(info.get("last_read_seq", 0)):
                info["last_read_seq"] = seq
                left = max(0, int(info.get("seq", 0)) - seq)
                info["unread"] = min(int(info.get("unread", 0)), left)
            since, until = self._unseen.get(room, (0, 0))
            if seq >= until:
                self._unseen.pop(room, None)  # read elsewhere: nothing left to show here
            elif seq > since:
                self._unseen[room] = (seq, until)
