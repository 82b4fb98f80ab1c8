"""A room left open in a busy channel keeps a bounded log; scrolling up still reaches every message.

While the person follows the newest messages, the client keeps at most
KEEP_LATEST entries (web/src/state.ts) and drops the oldest; paging back
with `history` brings them back, each once and in order.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import browser as web
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

COUNT = 1200
#: The client's bound, read from its source so the two cannot drift apart.
KEEP = int(
    re.search(r"export const KEEP_LATEST = (\d+);", (web.WEB / "src/state.ts").read_text())[1]
)

#: One local calendar day per message shown, as the log's own day separators should be.
DAYS_SHOWN = """log => new Set(
  Array.from(log.querySelectorAll('article time'),
             (t) => new Date(t.dateTime).toDateString())
).size"""


def lines_shown(page) -> list[int]:
    """The numbers of the bot's lines in the log, in the order shown."""
    return [int(n) for n in re.findall(r"bot line (\d{4})\b", web.message_log(page).text_content())]


def at_the_bottom(page) -> bool:
    return web.message_log(page).evaluate(
        "log => log.scrollHeight - log.scrollTop - log.clientHeight < 2"
    )


def test_a_followed_room_keeps_a_bounded_log(serve, logged_in, rest, name):
    assert 50 < KEEP < COUNT
    server = serve(RATELIMIT_ENABLED="false")
    room = name("busy")
    page = logged_in(server)
    web.join(page, room)
    log = web.message_log(page)
    messages = log.get_by_role("article")
    bot = rest(server, name("bot"))
    bot.join(room)

    for n in range(1, COUNT + 1):
        bot.post(room, f"bot line {n:04d}")
        if n % 200 == 0:
            # Never more than the bound, whenever one looks.
            assert messages.count() <= KEEP, n
    expect(log.get_by_text("bot line 1200")).to_have_count(1)
    assert at_the_bottom(page)
    shown = lines_shown(page)
    # The newest, once each and in order; the oldest (and their days) went.
    assert KEEP - 5 <= len(shown) <= KEEP, len(shown)
    assert shown == list(range(COUNT - len(shown) + 1, COUNT + 1))
    assert messages.count() == len(shown)
    assert log.get_by_role("separator").count() == log.evaluate(DAYS_SHOWN)
    expect(log.get_by_text("This is the start of")).to_have_count(0)

    def scroll_up_until_the_first_line():
        log.hover()
        page.mouse.wheel(0, -20_000)
        return 1 in lines_shown(page)

    wait_for(scroll_up_until_the_first_line, 60, 0.25, "bot line 0001 after scrolling up")
    # Dropped was not missing: paging back fetched every line again, once, in order.
    assert lines_shown(page) == list(range(1, COUNT + 1))
    assert log.get_by_role("separator").count() == log.evaluate(DAYS_SHOWN)
    # Still scrolled up (reading): a new line leaves the log as it is.
    bot.post(room, "bot line 1201")
    expect(log.get_by_text("bot line 1201")).to_have_count(1)
    assert lines_shown(page) == list(range(1, COUNT + 2))

    def scroll_down_to_the_newest():
        log.hover()
        page.mouse.wheel(0, 1_000_000)
        return at_the_bottom(page)

    wait_for(scroll_down_to_the_newest, 30, 0.1, "the log scrolled down to the newest")
    # Back down and following: the next line trims the log to the bound again.
    bot.post(room, "bot line 1202")
    expect(log.get_by_text("bot line 1202")).to_have_count(1)
    expect(messages).to_have_count(len(shown))
    assert lines_shown(page) == list(range(COUNT + 3 - len(shown), COUNT + 3))
    assert at_the_bottom(page)

    # Scrolled all the way up again, then off to another room: the one left
    # keeps the bound too, and shows its newest on coming back.
    wait_for(scroll_up_until_the_first_line, 60, 0.25, "bot line 0001 after scrolling up again")
    elsewhere = name("elsewhere")
    web.join(page, elsewhere)
    web.room_entry(page, f"#{room}").click()
    expect(web.heading(page, f"#{room}")).to_be_visible()
    expect(messages).to_have_count(len(shown))
    assert lines_shown(page) == list(range(COUNT + 3 - len(shown), COUNT + 3))
    # A line that comes while the room is off screen takes an old one's place.
    web.room_entry(page, f"#{elsewhere}").click()
    expect(web.heading(page, f"#{elsewhere}")).to_be_visible()
    bot.post(room, "bot line 1203")
    expect(web.room_entry(page, f"#{room}", ", 1 unread")).to_have_count(1)
    web.room_entry(page, f"#{room}").click()
    expect(web.heading(page, f"#{room}")).to_be_visible()
    expect(log.get_by_text("bot line 1203")).to_have_count(1)
    expect(messages).to_have_count(len(shown))
    assert lines_shown(page) == list(range(COUNT + 4 - len(shown), COUNT + 4))
    wait_for(lambda: at_the_bottom(page), 10, 0.1, "the room shown at its newest")
    assert page.errors == []
