"""Unread counts in the sidebar, and read state shared by one user's browser sessions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import browser as web

pytestmark = pytest.mark.slow


def test_reading_in_one_session_clears_the_count_in_the_other(
    server, new_page, logged_in, rest, name
):
    busy, quiet = name("busy"), name("quiet")
    first = logged_in(server)
    web.join(first, busy)
    web.join(first, quiet)  # the current room: busy is in the sidebar only
    second = new_page(server)
    web.log_in(second, first.username)
    web.join(second, quiet)

    bob = rest(server, name("bob"))
    bob.join(busy)
    for n in range(3):
        bob.post(busy, f"news {n}")

    for page in (first, second):
        expect(web.room_entry(page, f"#{busy}", r".*\b3 unread")).to_be_visible()
        expect(web.room_entry(page, f"#{quiet}")).not_to_have_accessible_name(re.compile("unread"))

    web.room_entry(first, f"#{busy}").click()
    expect(web.heading(first, f"#{busy}")).to_be_visible()
    expect(web.message_log(first).get_by_text("news 2")).to_have_count(1)
    # Read where it was shown; the other session hears it and clears its count.
    for page in (first, second):
        expect(web.room_entry(page, f"#{busy}")).not_to_have_accessible_name(re.compile("unread"))
    # A new message counts again, in the session that is not looking at the room.
    bob.post(busy, "one more")
    expect(web.room_entry(second, f"#{busy}", r".*\b1 unread")).to_be_visible()
    expect(web.message_log(first).get_by_text("one more")).to_have_count(1)
    expect(web.room_entry(first, f"#{busy}")).not_to_have_accessible_name(re.compile("unread"))
