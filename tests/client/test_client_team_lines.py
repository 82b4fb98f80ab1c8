"""Team chat in the client without a server: /commands, event lines, read marks."""

from __future__ import annotations

import threading

import pytest

from chatclient import announce
from chatclient.reading import ReadMarker
from chatclient.render import Output, format_command
from chatclient.rooms import Rooms
from chatclient.terminal import handle_line
from tests.helpers.wait import wait_for


def plain(me="alice"):
    out = Output(json_mode=False, color=False, me=me)
    out.current_room = "general"
    return out


class FakeSession:
    """What slash commands call on a ChatSession, recorded."""

    def __init__(self, current="general"):
        self.out = plain()
        self.current = current
        self.calls: list[tuple] = []
        self.refused = 0

    def count_refusal(self):
        self.refused += 1

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.calls.append((name, *args, *kwargs.items()))


@pytest.mark.parametrize(
    ("line", "call"),
    [
        ("/create ops --private", ("create_room", "ops", ("private", True))),
        ("/create --private #Ops", ("create_room", "Ops", ("private", True))),
        ("/create ops", ("create_room", "ops", ("private", False))),
        ("/join ops", ("join", "ops")),
        ("/join @bob", ("join", "@bob")),
        ("/msg bob hi  there", ("message_user", "bob", "hi  there")),
        ("/msg bob #not a command", ("message_user", "bob", "##not a command")),
        ("/msg @bob", ("join", "@bob")),
        ("/invite bob", ("moderate", "invite", "bob", None)),
        ("/kick bob", ("moderate", "kick", "bob", None)),
        ("/kick bob flooding the room", ("moderate", "kick", "bob", "flooding the room")),
        ("/BAN bob spam", ("moderate", "ban", "bob", "spam")),
        ("/unban bob", ("moderate", "unban", "bob", None)),
        ("/topic Release on Friday", ("set_topic", "Release on Friday")),
        ("/topic --clear", ("set_topic", "")),
        ("/topic", ("show_topic",)),
        ("/members", ("send", "#members")),
        ("/rooms", ("list_rooms",)),
    ],
)
def test_slash_commands_call_the_session(line, call):
    session = FakeSession()
    assert handle_line(session, line) is True
    assert session.calls == [call]
    assert session.refused == 0


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("/create", "! Usage: /create NAME [--private]"),
        ("/create a b", "! Usage: /create NAME [--private]"),
        ("/invite bob carol", "! Usage: /invite USER"),
        ("/unban", "! Usage: /unban USER"),
        ("/msg", "! Usage: /msg USER [TEXT]"),
        ("/nope", "! Unknown command /nope. /help lists the commands, #help the server's."),
    ],
)
def test_a_wrong_slash_command_says_how_and_counts_as_refused(line, said, capsys):
    session = FakeSession()
    handle_line(session, line)
    assert capsys.readouterr().out.splitlines() == [said]
    assert session.calls == [] and session.refused == 1


@pytest.mark.parametrize("line", ["/kick bob", "/topic new", "/members", "/invite bob"])
def test_room_commands_need_a_current_room(line, capsys):
    session = FakeSession(current=None)
    handle_line(session, line)
    assert capsys.readouterr().out == "! You are not in a room.\n"
    assert session.calls == [] and session.refused == 1


def test_help_lists_every_slash_command(capsys):
    session = FakeSession()
    handle_line(session, "/help")
    out = capsys.readouterr().out
    for usage in ("/create NAME [--private]", "/msg USER [TEXT]", "/kick USER [REASON]", "/quit"):
        assert usage in out
    assert handle_line(session, "/quit") is False


def event_lines(capsys, name, data):
    """What alice's terminal prints for server event `name`."""
    out = plain()
    lines = {
        "room_added": lambda: [announce.room_added(data, out.me, out.label)],
        "removed": lambda: [announce.removed(data, out.me, out.label)],
        "room_updated": lambda: announce.room_updated(None, data["room"], out.label),
    }[name]()
    out.event(name, data, lines)
    return capsys.readouterr().out.splitlines()


def test_room_added_and_removed_are_one_readable_line_each(capsys):
    ops = {"name": "ops", "private": True, "kind": "room"}
    direct = {"name": "~1-2", "private": True, "kind": "direct", "with": "bob"}
    assert event_lines(capsys, "room_added", {"room": ops, "by": "carol"}) == [
        "* carol added you to #ops (private)."
    ]
    assert event_lines(capsys, "room_added", {"room": ops, "by": "alice"}) == [
        "* You joined #ops (private) on another session."
    ]
    assert event_lines(capsys, "room_added", {"room": direct, "by": "bob"}) == [
        "* bob opened a direct conversation with you: /join @bob to reply there."
    ]
    assert event_lines(capsys, "room_added", {"room": {**direct}, "by": "alice"}) == [
        "* You opened a direct conversation with @bob."
    ]
    removed = {"room": "ops", "by": "carol", "reason": "spam\x1b[2J\nfake line", "banned": False}
    assert event_lines(capsys, "removed", removed) == [
        "* You were removed from #ops by carol: spam / fake line"
    ]
    banned = {**removed, "reason": None, "banned": True}
    assert event_lines(capsys, "removed", banned) == ["* You were banned from #ops by carol"]
    deleted = {"room": "ops", "by": None, "reason": "deleted", "banned": False}
    assert event_lines(capsys, "removed", deleted) == ["* #ops was deleted by an admin."]
    left = {"room": "ops", "by": "alice", "reason": None, "banned": False}
    assert event_lines(capsys, "removed", left) == ["* You left #ops (on another session)."]


def test_topic_changes_are_announced_inert(capsys):
    room = {"name": "ops", "private": False, "kind": "room", "topic": "ship\u202e it\x07"}
    assert event_lines(capsys, "room_updated", {"room": room}) == ["* #ops topic: ship it"]
    label = plain().label
    was = {**room, "topic": "old", "private": False}
    assert announce.room_updated(was, {**was, "private": True}, label) == ["* #ops is now private."]
    assert announce.room_updated(was, {**was, "topic": None}, label) == ["* #ops has no topic."]


def test_member_events_name_who_did_what(capsys):
    out = plain()
    for event, extra in [
        ("added", {}),
        ("removed", {}),
        ("banned", {}),
        ("unbanned", {}),
        ("role", {"role": "moderator"}),
    ]:
        out.member({"room": "ops", "user": "bob", "event": event, "by": "carol", **extra})
    out.member({"room": "ops", "user": "bob", "event": "removed", "by": None})
    assert capsys.readouterr().out.splitlines() == [
        "* carol added bob to #ops",
        "* carol removed bob from #ops",
        "* carol banned bob from #ops",
        "* carol lifted the ban of bob from #ops",
        "* carol made bob moderator of #ops",
        "* an admin removed bob from #ops",
    ]


def test_a_direct_conversation_is_shown_as_the_other_person_everywhere(capsys):
    out = plain()
    out.labels["~1-2"] = "@bob"
    message = {"room": "~1-2", "seq": 1, "user": "bob", "text": "hi", "ts": "x"}
    out.message(message)
    out.presence({"room": "~1-2", "user": "bob", "event": "join", "online": 2})
    out.notice({"room": "~1-2", "text": "Welcome to #~1-2, alice. 2 users online."})
    out.rooms(
        [
            {"name": "general", "kind": "room", "private": False, "unread": 0},
            {"name": "ops", "kind": "room", "private": True, "unread": 3},
            {"name": "~1-2", "kind": "direct", "private": True, "with": "bob", "unread": 1},
        ],
        "general",
        public=[{"name": "general", "online": 2}, {"name": "lobby", "online": 1}],
    )
    assert capsys.readouterr().out.splitlines() == [
        "--:-- @bob <bob> hi",
        "* bob joined @bob (2 online)",
        "* Welcome to @bob, alice. 2 users online.",
        "-- Your rooms: #general (current), #ops [private] (3 unread), @bob (1 unread)."
        " /join NAME switches.",
        "-- Other public rooms: #lobby (1 online).",
    ]


def test_room_and_member_tables_mark_private_direct_and_unread():
    rooms = [
        {"name": "ops", "online": 1, "created": "2026-11-30T10:00:00.000Z", "private": True,
         "kind": "room", "unread": 4},
        {"name": "~1-2", "online": 0, "created": "2026-11-30T10:00:00.000Z", "private": True,
         "kind": "direct", "with": "bob", "unread": 0},
        {"name": "pub", "online": 2, "created": "2026-11-30T10:00:00.000Z", "private": False,
         "kind": "room"},
    ]  # fmt: skip
    lines = format_command("rooms", {"rooms": rooms, "next_cursor": None})
    assert [line.split() for line in lines[1:]] == [
        ["#ops", "[private]", "1", "4", "2026-11-30"],
        ["@bob", "0", "0", "2026-11-30"],
        ["#pub", "2", "2026-11-30"],
    ]
    members = {
        "room": "ops",
        "members": [
            {"user": "carol", "role": "owner", "online": True},
            {"user": "bob", "role": "member", "online": False},
        ],
    }
    assert format_command("members", members) == [
        "  #ops: 2 member(s)",
        "  carol  owner      online",
        "  bob    member",
    ]


def test_read_marks_are_coalesced_one_in_flight_at_a_time():
    calls: list[dict] = []
    in_flight = []
    release = threading.Event()
    stop = threading.Event()

    def call(event, data, timeout):
        in_flight.append(data)
        calls.append(data)
        release.wait(10)  # the first answer waits until the test has marked more
        in_flight.remove(data)
        return {"ok": True, "room": data["room"], "last_read_seq": data["seq"]}

    acked = []
    marker = ReadMarker(call, lambda: True, stop, acked.append)
    marker.start()
    try:
        for seq in range(1, 41):  # a burst of lines shown
            marker.mark("general", seq)
        wait_for(lambda: calls, 5, message="the first read")
        for seq in range(41, 61):  # more shown while that read is unanswered
            marker.mark("general", seq)
        assert len(in_flight) == 1
        release.set()
        wait_for(lambda: len(acked) == 2, 5, message="the second read")
    finally:
        stop.set()
    assert calls == [{"room": "general", "seq": 40}, {"room": "general", "seq": 60}]


class RecordedMarks(list):
    """A ReadMarker that only records what it was asked to send."""

    def mark(self, room, seq):
        self.append((room, seq))


class ScriptedRooms(Rooms):
    """Rooms whose calls the test answers: `answers[(event, room)]`, recorded in `calls`."""

    def __init__(self, answers, out):
        super().__init__()
        self.out = out
        self.answers = answers
        self.calls: list[tuple[str, dict]] = []
        self.reads = self.marks = RecordedMarks()

    def _call(self, event, data, timeout=10):
        self.calls.append((event, data))
        return self.answers[(event, data.get("room"))]

    def error_reply(self, reply, prefix="Error"):
        self.out.error(f"{prefix}: {reply['error']['message']}", reply["error"]["code"])

    def count_refusal(self):
        pass


def joined(room, seq=0):
    return {"ok": True, "room": room, "seq": seq, "history": [], "online": 1, "users": ["alice"]}


def membership(name, seq=0, last_read=0, unread=0):
    return {"name": name, "kind": "room", "private": False, "seq": seq,
            "last_read_seq": last_read, "unread": unread}  # fmt: skip


def test_a_reconnect_drops_rooms_lost_meanwhile_and_never_recreates_one(capsys):
    gone = {"ok": False, "error": {"code": "not_found", "message": "No room called #ops."}}
    answers = {
        ("my_rooms", None): {"ok": True, "rooms": [membership("general"), membership("ops"),
                                                   membership("new")]},
        ("join", "general"): joined("general"),
        ("join", "ops"): gone,  # deleted between the list and the join
        ("join", "new"): joined("new"),  # added while away
    }  # fmt: skip
    rooms = ScriptedRooms(answers, plain())
    rooms._rejoin_all = True
    rooms.rooms = {"general": 0, "ops": 0, "kicked": 0}
    rooms.current = "kicked"
    rooms.catch_up()
    assert capsys.readouterr().out.splitlines() == [
        "-- You are no longer in #kicked.",
        "-- Dropped #ops from your rooms: No room called #ops.",
    ]
    assert [data.get("create") for event, data in rooms.calls if event == "join"] == [
        False, False, False
    ]  # fmt: skip
    assert list(rooms.rooms) == ["general", "new"]
    assert rooms.current == "general"


def test_switching_to_a_room_rejoined_quietly_first_shows_its_unread(capsys):
    page = [{"room": "ops", "seq": n, "user": "bob", "text": f"m{n}", "ts": "x"} for n in (6, 7)]
    answers = {
        ("my_rooms", None): {"ok": True, "rooms": [membership("ops", 7, last_read=5, unread=2)]},
        ("join", "general"): joined("general"),
        ("join", "ops"): joined("ops", seq=7),
        ("history", "ops"): {"ok": True, "messages": page},
    }
    rooms = ScriptedRooms(answers, plain())
    assert rooms.enter("general", rejoin=True)
    capsys.readouterr()
    assert rooms.marks == []  # ops was not shown: it is not read
    assert rooms.join("ops")
    assert capsys.readouterr().out.splitlines() == [
        "-- Unread in #ops:",
        "--:-- <bob> m6",
        "--:-- <bob> m7",
        "-- #ops: 1 online: alice",
    ]
    assert rooms.marks == [("ops", 7)]
    [history] = [data for event, data in rooms.calls if event == "history"]
    assert history == {"room": "ops", "before_seq": 8, "limit": 2}
