"""Another user's private rooms and direct conversations never show in the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import browser as web

pytestmark = pytest.mark.slow


def public_list_shown(page):
    """Open the list of public rooms if the page has it behind a button, and return the page."""
    opener = page.get_by_role("button", name=re.compile(r"public rooms|browse|all rooms", re.I))
    if opener.count():
        opener.first.click()
    return page


def test_a_private_room_of_someone_else_never_appears(server, logged_in, rest, name):
    secret, public, later = name("secret"), name("open"), name("hidden")
    carol = rest(server, name("carol"))
    dave_name = name("dave")
    rest(server, dave_name)
    carol.create(secret, private=True, topic="not for you")
    carol.post(secret, "private words")
    carol.create(public, topic="everyone welcome")
    carol.post(public, "public words")
    direct = carol.direct(dave_name)
    carol.post(direct, "between carol and dave")

    page = logged_in(server)
    public_list_shown(page)
    # The public list works (a room of carol's shows) ...
    expect(page.get_by_text(public).first).to_be_visible()
    web.join(page, public)
    expect(web.message_log(page).get_by_text("public words")).to_have_count(1)
    # ... and a private room made while the page is open stays out of it too.
    carol.create(later, private=True)
    carol.post(later, "more private words")
    carol.post(public, "sentinel after the private room")
    expect(web.message_log(page).get_by_text("sentinel after the private room")).to_have_count(1)
    public_list_shown(page)

    shown = page.locator("body").inner_text() + page.content()
    for hidden in (secret, later, "private words", "not for you", dave_name, direct):
        assert hidden not in shown, hidden
    expect(web.room_entry(page, f"#{secret}")).to_have_count(0)
    expect(web.room_entry(page, f"#{public}")).to_be_visible()
