"""Older messages load when the person scrolls up the log (`history` with `before_seq`)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import browser as web
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

COUNT = 200


def lines_shown(page) -> list[int]:
    """The numbers of the seeded lines in the log, in the order shown."""
    return [
        int(n) for n in re.findall(r"seeded line (\d{3})\b", web.message_log(page).text_content())
    ]


def test_older_history_loads_on_scroll(server, logged_in, rest, name):
    room = name("history")
    seeder = rest(server, name("seeder"))
    seeder.join(room)
    for n in range(1, COUNT + 1):
        seeder.post(room, f"seeded line {n:03d}")

    page = logged_in(server)
    web.join(page, room)
    log = web.message_log(page)
    expect(log.get_by_text("seeded line 200")).to_have_count(1)
    first_page = lines_shown(page)
    # A join shows the latest page, not the whole room.
    assert 1 not in first_page and first_page == sorted(first_page), first_page

    def scroll_up_until_the_first_line():
        log.hover()
        page.mouse.wheel(0, -20_000)
        return 1 in lines_shown(page)

    wait_for(scroll_up_until_the_first_line, 30, 0.25, "seeded line 001 after scrolling up")
    # Every line once, in order: pages were stitched without gaps or repeats.
    assert lines_shown(page) == list(range(1, COUNT + 1))
    # Scrolled to the top, the first line is where the person is looking.
    page.mouse.wheel(0, -20_000)
    expect(log.get_by_text("seeded line 001")).to_be_in_viewport()
