"""The page's Content-Security-Policy, its other headers, and every request it makes."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import browser as web

pytestmark = pytest.mark.slow

DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

TOKEN_START = "eyJzaWQi"


def policy(header: str) -> dict[str, str]:
    pairs = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}


def test_the_page_is_the_client_under_a_strict_csp(server):
    response = requests.get(server.url + "/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert policy(response.headers["Content-Security-Policy"]) == DIRECTIVES
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    # The shell loads the bundle and has no inline script or style to allow.
    assert "/static/app/app.js" in response.text
    assert "<script>" not in response.text and "<style" not in response.text
    assert " style=" not in response.text and "onload=" not in response.text


def test_the_page_asks_no_other_host_for_anything(server, logged_in, chat_client, name):
    room = name("hosts")
    page = logged_in(server)
    web.join(page, room)
    bob = chat_client(server, name("bob"))
    assert bob.call("join", {"room": room})["ok"]
    web.send(page, "is anyone else listening?")
    bob.wait_for("message", lambda m: m["text"] == "is anyone else listening?")
    bob.call("send", {"room": room, "text": "only us"})
    page.get_by_role("log").get_by_text("only us").wait_for()

    assert page.requests, "no request was recorded"
    assert any("/socket.io/" in url for url in page.requests), page.requests
    assert web.foreign_requests(page, server.url) == []
    # The page ran whole under the policy: nothing it tried was blocked.
    assert page.evaluate("window.__csp") == []
    assert page.errors == []
    # Nothing it asked for was refused or missing (a browser asks for /favicon.ico itself).
    assert [f for f in page.failed if not f.endswith("/favicon.ico")] == []
    # The login is an HttpOnly cookie, never a bearer token kept in storage
    # (tokens are itsdangerous payloads: base64 of '{"sid":' comes first).
    stored = page.evaluate(
        "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert bob.token.startswith(TOKEN_START)
    assert TOKEN_START not in stored, stored
    assert any(cookie["httpOnly"] for cookie in page.context.cookies())
