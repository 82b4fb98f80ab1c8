"""Driving the web client in Debian's Chromium through Playwright, as a person would.

Every step finds what it touches by its accessible name (issue 15's contract:
labels "Username", "Password", "Join room", "Message"; the `log` of messages;
the "Rooms" navigation; the `status` line), never by CSS classes or ids, so
the tests, the screenshots and the benchmark read the page a screen reader
reads. The browser is the machine's own (/usr/bin/chromium, installed by
scripts/install-chromium): nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import requests
from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from tests.helpers.realtime import login
from tests.helpers.server import ROOT

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse"
WEB = ROOT / "web"
BUNDLE = ROOT / "chatapp/static/app/app.js"

#: Real-server settings for browser work: the budgets a person never reaches,
#: but a test seeding hundreds of messages and logging in many times does.
RELAXED = {
    "RATELIMIT_REGISTER": "10000 per hour",
    "RATELIMIT_ANONYMOUS": "10000 per minute",
    "RATELIMIT_USER": "100000 per minute",
    "RATELIMIT_MESSAGES": "100000 per 10 seconds",
    "RATELIMIT_JOINS": "10000 per minute",
    "RATELIMIT_HISTORY": "10000000 per minute",
    "RATELIMIT_HANDSHAKES": "10000 per minute",
    "RATELIMIT_LOGIN_FAILURES": "1000 per 15 minutes",
    "RATELIMIT_LOGIN_ADDRESS": "1000 per 15 minutes",
    "MAX_SESSIONS_PER_USER": "100",
    "LOG_LEVEL": "WARNING",
}


def launch(playwright: Playwright, **options) -> Browser:
    """Headless Debian Chromium (never a browser of Playwright's own)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), **options)


# -- the bundle ---------------------------------------------------------------


def bundle_is_stale() -> bool:
    """True when app.js is missing or older than any of its sources (the Makefile's rule)."""
    if not BUNDLE.exists():
        return True
    files = ("package.json", "package-lock.json", "build.mjs", "tsconfig.json")
    sources = [*(WEB / name for name in files), *(WEB / "src").rglob("*")]
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)
    return BUNDLE.stat().st_mtime < newest


def node_major() -> int:
    """The major version of the machine's node, 0 without one."""
    node = shutil.which("node")
    if node is None:
        return 0
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    match = re.fullmatch(r"v(\d+)\..*", out.stdout.strip())
    return int(match.group(1)) if match else 0


def build_bundle() -> None:
    """`make web` (npm ci && npm run build); raises with its output's tail on failure."""
    out = subprocess.run(
        ["make", "web"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    if out.returncode != 0 or not BUNDLE.exists():
        raise RuntimeError(
            f"make web failed ({out.returncode}):\n{(out.stdout + out.stderr)[-4000:]}"
        )


# -- accounts and rooms over the API -------------------------------------------


def account(url: str, username: str) -> str:
    """Register `username` (if new) and log in over the API; the bearer token."""
    return login(url, username, PASSWORD)


class Rest:
    """One user's calls to the REST API (bearer token), raising on any error status."""

    def __init__(self, url: str, username: str) -> None:
        self.url = url
        self.username = username
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {account(url, username)}"

    def call(self, method: str, path: str, **body) -> dict:
        response = self.http.request(method, f"{self.url}/api{path}", json=body or None, timeout=30)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def join(self, room: str) -> dict:
        return self.call("POST", f"/rooms/{room}/join", create=True)

    def create(self, room: str, private: bool = False, topic: str | None = None) -> dict:
        body: dict = {"room": room, "private": private}
        if topic is not None:
            body["topic"] = topic
        return self.call("POST", "/rooms", **body)

    def post(self, room: str, text: str) -> dict:
        return self.call("POST", f"/rooms/{room}/messages", text=text)["message"]

    def direct(self, user: str) -> str:
        """Open the direct conversation with `user`; its room name (~low-high)."""
        return self.call("POST", f"/direct/{user}")["room"]["name"]

    def messages(self, room: str, **query) -> list[dict]:
        """Every message of `room`, oldest first (paging back from the newest)."""
        found: list[dict] = []
        before = None
        while True:
            params = {"limit": 100, **({"before_seq": before} if before else {}), **query}
            response = self.http.get(
                f"{self.url}/api/rooms/{room}/messages", params=params, timeout=30
            )
            response.raise_for_status()
            page = response.json()["messages"]
            found = page + found
            if len(page) < 100:
                return found
            before = page[0]["seq"]

    def close(self) -> None:
        self.http.close()


# -- the page, by its accessible names ------------------------------------------


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Open `/`, fill the login form by its labels, and wait until connected."""
    page.goto("/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(status(page)).to_have_text("Connected")


def join(page: Page, room: str) -> None:
    """Type `room` into "Join room", press Enter, and wait for its heading."""
    box = page.get_by_label("Join room", exact=True)
    box.fill(room)
    box.press("Enter")
    expect(heading(page, f"#{room}")).to_be_visible()


def heading(page: Page, name: str) -> Locator:
    return page.get_by_role("heading", name=name, exact=True)


def status(page: Page) -> Locator:
    return page.get_by_role("status").filter(
        has_text=re.compile(r"^\s*(Connected|Reconnecting…|Offline)\s*$")
    )


def composer(page: Page) -> Locator:
    return page.get_by_label("Message", exact=True)


def message_log(page: Page) -> Locator:
    return page.get_by_role("log")


def send(page: Page, text: str) -> None:
    """Type `text` into the composer and press Enter."""
    box = composer(page)
    box.fill(text)
    box.press("Enter")


def rooms_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Rooms", exact=True)


def room_entry(page: Page, display_name: str, rest: str = "") -> Locator:
    """The sidebar's link or button whose name starts with `display_name` (then matches `rest`)."""
    name = re.compile("^" + re.escape(display_name) + r"(?![\w-])" + rest)
    nav = rooms_nav(page)
    return nav.get_by_role("link", name=name).or_(nav.get_by_role("button", name=name))


def occurrences(page: Page, text: str) -> int:
    """How many times `text` appears in the message log's text."""
    return message_log(page).evaluate("(log, text) => log.textContent.split(text).length - 1", text)


def foreign_requests(page: Page, url: str) -> list[str]:
    """The URLs `page` asked for on any host but `url`'s (data: and blob: URLs have none)."""
    own = urlsplit(url).netloc
    return [seen for seen in page.requests if urlsplit(seen).netloc not in ("", own)]
