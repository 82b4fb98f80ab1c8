"""Screenshots of the web client's main screens, for docs/screenshots/ and the README.

`make screenshots` runs it: it builds the bundle if need be, starts a server on
a throwaway SQLite file, seeds a small team's conversation over the API, and
photographs what each person sees in Debian's headless Chromium: the login
form, a room, a direct conversation, a phone-sized screen and dark mode.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.helpers import browser as web
from tests.helpers.realtime import ChatClient
from tests.helpers.server import ROOT, ServerProcess, server_env

OUT = ROOT / "docs/screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

#: (author, text) of #general, oldest first: a team's morning.
GENERAL = [
    ("carol", "Morning all! Stand-up in 10 minutes, same room as usual."),
    ("bob", "On my way. I'll bring the release checklist."),
    ("dave", "Running 5 late, start without me."),
    ("alice", "The 2.4 build is green on CI; the changelog is in the pull request."),
    ("carol", "Great. Anyone seen the login latency graph since the hashing change?"),
    ("bob", "p99 went from 180 ms to 95 ms. Details in #design, I posted the profile."),
    ("alice", "Nice! Let's ship it after lunch then."),
    ("dave", "Back. +1 for after lunch; I'll watch the dashboards."),
    ("carol", "Reminder: the office is closed on Friday, remote day for everyone."),
    ("bob", "Thanks for the heads-up!"),
]
DESIGN = [
    ("bob", "Profile of the login path: most of the time was the hash, now off the hub."),
    ("carol", "Can we get the dark theme mockups in here too?"),
]
RANDOM = [
    ("dave", "Who took the last coffee beans?"),
    ("carol", "Guilty. New bag arrives tomorrow."),
    ("bob", "Lunch at the noodle place?"),
]
DIRECT = [
    ("bob", "Hey, do you have a minute to look at my pull request?"),
    ("alice", "Sure, sending comments in a few minutes."),
    ("bob", "Thanks! No rush, the release is after lunch anyway."),
]


def seed(url: str) -> None:
    """Four people, three rooms (one private) and a direct conversation, over the API."""
    people = {who: web.Rest(url, who) for who in ("alice", "bob", "carol", "dave")}
    people["carol"].create("general", topic="Company-wide announcements and chatter")
    people["carol"].create("random", topic="Coffee, lunch and cats")
    people["bob"].create("design", private=True, topic="Mockups and profiles")
    for who in ("alice", "bob", "dave"):
        people[who].join("general")
        people[who].join("random")
    people["bob"].call("POST", "/rooms/design/members/alice")
    people["bob"].call("POST", "/rooms/design/members/carol")
    for room, lines in (("general", GENERAL), ("design", DESIGN), ("random", RANDOM)):
        for who, text in lines:
            people[who].post(room, text)
    direct = people["bob"].direct("alice")
    for who, text in DIRECT:
        people[who].post(direct, text)
    # alice has read #general and the conversation; #design and #random wait for her.
    for room in ("general", direct):
        people["alice"].call("POST", f"/rooms/{room}/read", seq=1_000_000)
    for person in people.values():
        person.close()


def open_room(page: Page, room: str) -> None:
    """Choose `room` in the sidebar (on a phone, behind the "Menu" button)."""
    entry = web.room_entry(page, room)
    if not entry.is_visible():
        page.get_by_role("button", name="Menu", exact=True).click()
    entry.click()
    expect(web.heading(page, room)).to_be_visible()


def shoot(page: Page, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=path)
    print(path.relative_to(ROOT))


def take(url: str) -> None:
    with sync_playwright() as driver:
        chromium = web.launch(driver)

        def new_page(**options) -> Page:
            context = chromium.new_context(base_url=url, locale="en-US", **options)
            return context.new_page()

        page = new_page(viewport=DESKTOP)
        page.goto("/")
        expect(page.get_by_label("Username", exact=True)).to_be_visible()
        shoot(page, "login")
        web.log_in(page, "alice")
        open_room(page, "#general")
        shoot(page, "room")
        open_room(page, "@bob")
        shoot(page, "direct")

        phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
        web.log_in(phone, "alice")
        open_room(phone, "#general")
        shoot(phone, "phone")

        dark = new_page(viewport=DESKTOP, color_scheme="dark")
        web.log_in(dark, "alice")
        open_room(dark, "#general")
        shoot(dark, "dark")
        chromium.close()


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    if web.bundle_is_stale():
        web.build_bundle()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as work:
        database = Path(work) / "chat.db"
        server = ServerProcess(
            server_env(f"sqlite:///{database}", **web.RELAXED), log_path=Path(work) / "server.log"
        ).start()
        online = []
        try:
            seed(server.url)
            # bob and carol are online in #general, as a team is in the morning.
            for who in ("bob", "carol"):
                online.append(ChatClient(server.url, web.account(server.url, who)).connect())
                online[-1].call("join", {"room": "general"})
            take(server.url)
        finally:
            for client in online:
                client.close()
            server.stop()


if __name__ == "__main__":
    main()
