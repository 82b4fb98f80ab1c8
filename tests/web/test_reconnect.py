"""Never losing a message in the browser: the server goes away and comes back.

Each test has a server of its own on a SQLite file; "coming back" is a new
process on the same port and database, as after a restart or a crash.
"""

from __future__ import annotations

import re
import signal

import pytest
from playwright.sync_api import expect

from tests.helpers import browser as web
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

AWAY = re.compile(r"^\s*(Reconnecting…|Offline)\s*$")


def texts(rest, room: str, marker: str) -> list[str]:
    """The texts of `room`'s stored messages that contain `marker`, in seq order."""
    return [m["text"] for m in rest.messages(room) if marker in m["text"]]


def test_a_message_sent_while_the_browser_was_away_arrives_once(serve, logged_in, rest, name):
    server = serve()
    room = name("away")
    page = logged_in(server)
    web.join(page, room)
    bob = rest(server, name("bob"))
    bob.join(room)
    bob.post(room, "before the outage")
    expect(web.message_log(page).get_by_text("before the outage")).to_have_count(1)

    server.stop()
    expect(web.status(page)).to_have_text(AWAY)
    # Kept offline while the server is back, so the message can only reach
    # the page by the client's catching up (history after its last seq).
    page.context.set_offline(True)
    server = serve(port=server.port)
    bob.post(room, "written while you were away")
    page.context.set_offline(False)

    log = web.message_log(page)
    expect(log.get_by_text("written while you were away")).to_have_count(1)
    expect(web.status(page)).to_have_text("Connected")
    bob.post(room, "and after you came back")
    expect(log.get_by_text("and after you came back")).to_have_count(1)
    for text in ("before the outage", "written while you were away", "and after you came back"):
        assert web.occurrences(page, text) == 1, text
    content = log.text_content()
    assert (
        content.index("before the outage")
        < content.index("written while you were away")
        < content.index("and after you came back")
    )


def test_unacknowledged_sends_are_stored_once_after_a_crash(serve, logged_in, rest, name):
    """The server hangs (SIGSTOP) while the browser sends, then dies: nothing was acked."""
    server = serve()
    room = name("crash")
    page = logged_in(server)
    web.join(page, room)
    bob = rest(server, name("bob"))
    bob.join(room)

    server.process.send_signal(signal.SIGSTOP)
    try:
        web.send(page, "unacked one")
        web.send(page, "unacked two")
        # Shown at once (as pending), never lost while no ack comes.
        expect(web.message_log(page).get_by_text("unacked two")).to_have_count(1)
    finally:
        server.kill()  # SIGKILL ends a stopped process too: what it had not read is gone
    server = serve(port=server.port)

    wait_for(lambda: len(texts(bob, room, "unacked")) >= 2, 30, 0.2, "the resent messages")
    assert texts(bob, room, "unacked") == ["unacked one", "unacked two"]
    bob.post(room, "all caught up")
    log = web.message_log(page)
    expect(log.get_by_text("all caught up")).to_have_count(1)
    assert web.occurrences(page, "unacked one") == 1
    assert web.occurrences(page, "unacked two") == 1
    assert texts(bob, room, "unacked") == ["unacked one", "unacked two"]


def test_a_line_written_while_offline_is_sent_once_when_the_server_returns(
    serve, logged_in, rest, name
):
    server = serve()
    room = name("offline")
    page = logged_in(server)
    web.join(page, room)
    bob = rest(server, name("bob"))
    bob.join(room)

    server.stop()
    expect(web.status(page)).to_have_text(AWAY)
    web.send(page, "typed while offline")
    expect(web.message_log(page).get_by_text("typed while offline")).to_have_count(1)
    server = serve(port=server.port)

    wait_for(lambda: texts(bob, room, "typed while offline"), 30, 0.2, "the queued message")
    expect(web.status(page)).to_have_text("Connected")
    bob.post(room, "welcome back")
    expect(web.message_log(page).get_by_text("welcome back")).to_have_count(1)
    assert texts(bob, room, "typed while offline") == ["typed while offline"]
    assert web.occurrences(page, "typed while offline") == 1
