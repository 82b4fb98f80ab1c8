"""How the client turns typed lines into messages, and events into lines, without a server."""

from chatclient.render import Output
from chatclient.slash import say_text


def test_say_doubles_a_leading_hash_only():
    assert say_text("#help") == "##help"
    assert say_text("##x") == "###x"
    assert say_text("a #tag") == "a #tag"
    assert say_text("/join x") == "/join x"


def test_member_events_are_rendered_as_quiet_lines(capsys):
    out = Output(json_mode=False, color=False, me="alice")
    out.current_room = "general"
    out.member({"room": "general", "user": "bot\x1b[2J", "event": "joined", "by": "bot"})
    out.member({"room": "general", "user": "bot", "event": "left", "by": "bot"})
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["* bot is now a member of #general", "* bot is no longer in #general"]


def test_the_next_page_hint_keeps_the_page_size_asked_for():
    from chatclient.render import format_command

    page = [
        {"ts": "2026-11-30T10:00:00.000Z", "room": "general", "user": "a", "text": f"m{n}"}
        for n in range(4)
    ]
    lines = format_command("history", {"room": "general", "messages": page, "next_cursor": 10})
    assert lines[-1] == "  (older: #history 4 10)"
    rooms = [
        {"name": f"r{n}", "online": 0, "created": "2026-11-30T10:00:00.000Z"} for n in range(3)
    ]
    assert format_command("rooms", {"rooms": rooms, "next_cursor": "r2"})[-1] == (
        "  (more: #rooms 3 r2)"
    )
