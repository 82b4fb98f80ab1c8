"""Fixtures of the browser tests: the built bundle, a real server, Debian's Chromium, pages.

Every module here is `slow` (it starts a server and a browser). The bundle is
built once per session by `make web` when it is missing or stale; under CI a
missing browser, Node.js or build is a failure, never a skip.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.helpers import browser as web
from tests.helpers.realtime import ChatClient
from tests.helpers.server import ServerProcess, server_env
from tests.helpers.services import IN_CI

# A real server and a real browser answer in milliseconds, but two cores are
# shared with other work: ten seconds before any expectation gives up.
expect.set_options(timeout=10_000)


def unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message + " -- under CI the browser tests must run", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def bundle():
    """The web client's bundle, built once by `make web` if it is missing or stale."""
    if not (web.WEB / "package.json").exists():
        unavailable("web/ has no client yet (package.json)")
    if web.bundle_is_stale():
        if web.node_major() < 20:
            unavailable("the web client's bundle is missing or stale and Node.js >= 20 is not here")
        web.build_bundle()
    return web.BUNDLE


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright):
    """Headless Debian Chromium, one per module."""
    if not web.CHROMIUM.exists():
        unavailable(f"{web.CHROMIUM} is missing (scripts/ensure-services installs it)")
    chromium = web.launch(playwright)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def server(bundle, tmp_path_factory):
    """One `cli.py serve` on a SQLite file of its own, shared by a module's tests."""
    directory = tmp_path_factory.mktemp("web-server")
    env = server_env(f"sqlite:///{directory / 'chat.db'}", **web.RELAXED)
    process = ServerProcess(env, log_path=directory / "server.log").start()
    yield process
    process.stop()


@pytest.fixture
def serve(bundle, tmp_path):
    """serve(port=None, **settings) -> a server of this test's own, which it may stop and restart.

    Every one started by a test runs on the same SQLite file, so a restart on
    the same port is the same server coming back.
    """
    started: list[ServerProcess] = []

    def start(port: int | None = None, **settings: str) -> ServerProcess:
        env = server_env(f"sqlite:///{tmp_path / 'chat.db'}", **{**web.RELAXED, **settings})
        process = ServerProcess(env, port=port, log_path=tmp_path / f"server{len(started)}.log")
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.kill()  # a test may leave one frozen (SIGSTOP), which SIGTERM would not end


@pytest.fixture
def name():
    """name(prefix) -> a fresh lowercase name for a user or a room of this test's own."""

    def fresh(prefix: str) -> str:
        return f"{prefix}{uuid.uuid4().hex[:8]}"

    return fresh


@pytest.fixture
def new_page(browser, request):
    """new_page(server, **context_options) -> a page in a new browser context (its own cookies).

    Each page records what a test asserts on afterwards: `page.requests` (every
    URL it asked for, websockets included), `page.failed` (answers >= 400),
    `page.dialogs` (alert/confirm messages, dismissed), `page.errors` (uncaught
    exceptions and console errors) and, in the page, `window.__csp` (the
    Content-Security-Policy violations it reported).
    """
    contexts = []

    def open_page(server: ServerProcess, **options):
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.requests = []
        page.dialogs = []
        page.errors = []
        context.on("request", lambda r: page.requests.append(r.url))
        page.on("websocket", lambda ws: page.requests.append(ws.url))
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
        page.failed = []
        page.on("console", lambda m: console_error(page, m))
        page.on(
            "response",
            lambda r: page.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        # Added before any of the page's own scripts, which CSP does not block.
        page.add_init_script(
            "window.__csp = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


def console_error(page, message) -> None:
    # A failed load is in page.failed with its URL; the console line has none.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        page.errors.append(f"console: {message.text}")


@pytest.fixture
def logged_in(new_page, name):
    """logged_in(server, username=None, **context_options) -> a page logged in through the UI."""

    def open_logged_in(server: ServerProcess, username: str | None = None, **options):
        username = username or name("web")
        web.account(server.url, username)
        page = new_page(server, **options)
        web.log_in(page, username)
        page.username = username
        return page

    return open_logged_in


@pytest.fixture
def chat_client():
    """chat_client(server, username) -> a connected python-socketio ChatClient, closed after."""
    opened: list[ChatClient] = []

    def open_client(server: ServerProcess, username: str) -> ChatClient:
        client = ChatClient(server.url, web.account(server.url, username)).connect()
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture
def rest():
    """rest(server, username) -> a web.Rest for that user, closed after."""
    opened: list[web.Rest] = []

    def open_rest(server: ServerProcess, username: str) -> web.Rest:
        client = web.Rest(server.url, username)
        opened.append(client)
        return client

    yield open_rest
    for client in opened:
        client.close()
