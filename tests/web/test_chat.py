"""A person in Chromium and a python-socketio client chat in one room, both ways."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from playwright.sync_api import expect

from tests.helpers import browser as web

pytestmark = pytest.mark.slow


def test_log_in_join_send_and_receive(server, logged_in, chat_client, name):
    room = name("lobby")
    page = logged_in(server)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    web.join(page, room)
    bob_name = name("bob")
    bob = chat_client(server, bob_name)
    assert bob.call("join", {"room": room})["ok"]

    web.send(page, "hello from the browser")
    got = bob.wait_for("message", lambda m: m["text"] == "hello from the browser")
    assert (got["user"], got["room"]) == (page.username, room)

    assert bob.call("send", {"room": room, "text": "hello from python"})["ok"]
    log = web.message_log(page)
    expect(log.get_by_text("hello from python")).to_have_count(1)
    expect(log.get_by_text(bob_name, exact=True).first).to_be_visible()
    # The browser's own message is shown once, though its ack and its echo both came.
    expect(log.get_by_text("hello from the browser")).to_have_count(1)
    assert web.occurrences(page, "hello from the browser") == 1
    # The composer is left empty, ready for the next line.
    expect(web.composer(page)).to_have_value("")
    assert page.errors == []


def test_times_are_shown_in_the_browsers_time_zone(server, logged_in, chat_client, name):
    """Kolkata is UTC+5:30: a time shown in UTC (or the machine's zone) is off by 30 minutes."""
    room = name("tz")
    page = logged_in(server, timezone_id="Asia/Kolkata")
    web.join(page, room)
    bob = chat_client(server, name("bob"))
    assert bob.call("join", {"room": room})["ok"]
    sent = bob.call("send", {"room": room, "text": "what time is it"})["message"]

    text = web.message_log(page).get_by_text("what time is it")
    expect(text).to_have_count(1)
    # The <time> of that message: the nearest one in its message element.
    stamp = web.message_log(page).locator("time").last
    expect(stamp).to_be_visible()
    utc = datetime.fromisoformat(sent["ts"].replace("Z", "+00:00"))
    shown = datetime.fromisoformat(stamp.get_attribute("datetime").replace("Z", "+00:00"))
    assert shown == utc, (shown, utc)
    local = utc.astimezone(timezone(timedelta(hours=5, minutes=30)))
    hour12 = local.hour % 12 or 12
    label = stamp.inner_text()
    hours = {f"{local.hour:02d}", str(local.hour), f"{hour12:02d}", str(hour12)}
    assert any(f"{h}:{local.minute:02d}" in label for h in hours), label


def test_a_direct_conversation_opens_as_at_user(server, logged_in, chat_client, name):
    bob_name = name("bob")
    bob = chat_client(server, bob_name)
    page = logged_in(server)

    box = page.get_by_label("Direct message", exact=True)
    box.fill(bob_name)
    box.press("Enter")
    expect(web.heading(page, f"@{bob_name}")).to_be_visible()
    web.send(page, "just between us")
    got = bob.wait_for("message", lambda m: m["text"] == "just between us")
    assert got["room"].startswith("~")
    bob.call("send", {"room": got["room"], "text": "indeed"})
    expect(web.message_log(page).get_by_text("indeed", exact=True)).to_have_count(1)
    expect(web.room_entry(page, f"@{bob_name}")).to_be_visible()


def test_log_out_ends_the_session(server, logged_in):
    page = logged_in(server)
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_label("Username", exact=True)).to_be_visible()
    # The cookie no longer logs anyone in: a reload shows the login form again.
    page.reload()
    expect(page.get_by_label("Username", exact=True)).to_be_visible()
    expect(web.composer(page)).to_have_count(0)


def test_register_through_the_form(server, new_page, name):
    username = name("newbie")
    page = new_page(server)
    page.goto("/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(web.PASSWORD)
    page.get_by_role("button", name="Register", exact=True).click()
    expect(web.status(page)).to_have_text("Connected")
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    # The account is real: the API logs it in with the same password.
    body = {"username": username, "password": web.PASSWORD}
    assert requests.post(f"{server.url}/api/auth/login", json=body, timeout=10).status_code == 200
