"""The keyboard alone: log in, join, and send, with Tab, typing and Enter."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import browser as web

pytestmark = pytest.mark.slow


def tab_to(page, target, presses: int = 60) -> None:
    """Press Tab until `target` has the focus (a person counts the stops; we allow 60)."""
    for _ in range(presses):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_keyboard_only(server, new_page, chat_client, name):
    username, room = name("keys"), name("keys")
    web.account(server.url, username)
    bob = chat_client(server, name("bob"))
    page = new_page(server)
    page.goto("/")

    tab_to(page, page.get_by_label("Username", exact=True))
    page.keyboard.type(username)
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type(web.PASSWORD)
    page.keyboard.press("Enter")
    expect(web.status(page)).to_have_text("Connected")

    tab_to(page, page.get_by_label("Join room", exact=True))
    page.keyboard.type(room)
    page.keyboard.press("Enter")
    expect(web.heading(page, f"#{room}")).to_be_visible()
    assert bob.call("join", {"room": room})["ok"]

    tab_to(page, web.composer(page))
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    bob.wait_for("message", lambda m: m["text"] == "typed without a mouse")
    # Shift+Enter adds a line; Enter sends both lines as one message.
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    page.keyboard.press("Enter")
    got = bob.wait_for("message", lambda m: m["text"].startswith("first line"))
    assert got["text"] == "first line\nsecond line"
    expect(web.message_log(page).get_by_text("typed without a mouse")).to_have_count(1)
    # The focus stays in the composer for the next line.
    assert web.composer(page).evaluate("el => el === document.activeElement")
