"""How the client turns typed lines into messages, and events into lines, without a server."""

from chatclient.render import Output
from chatclient.terminal import say_text


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
