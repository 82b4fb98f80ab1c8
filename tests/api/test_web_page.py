"""`/`: the web client's page under a strict Content-Security-Policy, or, before
the client is built (`make web`), the landing page saying how to build it."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.helpers.server import ROOT

#: The policy the page must carry, directive by directive.
POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


@pytest.fixture
def static(app, tmp_path):
    """A static folder of the test's own, without the web client until a test builds one."""
    folder = tmp_path / "static"
    folder.mkdir()
    shutil.copy(ROOT / "chatapp/static/landing.css", folder)
    app.static_folder = str(folder)
    return folder


def build(static, js="console.log('chatapp');", css="body { margin: 0; }"):
    """A stand-in for `make web`'s output."""
    (static / "app").mkdir(exist_ok=True)
    (static / "app/app.js").write_text(js)
    (static / "app/app.css").write_text(css)


def assert_strict_headers(page):
    directives = {part.strip() for part in page.headers["Content-Security-Policy"].split(";")}
    assert directives == POLICY
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"


def test_the_root_is_the_web_client_shell_with_nothing_inline(client, static):
    build(static)
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert_strict_headers(page)
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == html.count("<script") == 1
    attributes, body = scripts[0]
    assert body.strip() == ""  # no inline script: the CSP allows none
    script = re.fullmatch(r'\s*defer src="(/static/app/app\.js\?v=\d+)"', attributes)
    assert script is not None, attributes
    assert "<style" not in html and "style=" not in html and not re.search(r"\son\w+=", html)
    stylesheet = re.search(r'<link rel="stylesheet" href="(/static/app/app\.css\?v=\d+)">', html)
    assert stylesheet is not None
    assert '<div id="app">' in html and 'data-registration="open"' in html
    assert "data-username" not in html  # nobody is logged in: the client shows its login form
    served = client.get(script.group(1))
    assert served.status_code == 200 and served.mimetype == "text/javascript"
    assert served.get_data(as_text=True) == "console.log('chatapp');"
    served.close()
    styles = client.get(stylesheet.group(1))
    assert styles.status_code == 200 and styles.mimetype == "text/css"
    styles.close()


def test_the_shell_tells_the_client_who_is_logged_in(client, auth, static):
    """So the client starts without asking /api/auth/me (whose 401 a browser logs as an error)."""
    build(static)
    auth.signup("alice")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'data-user-id="\d+" data-username="alice" data-admin="false"', html)
    assert auth.logout().status_code == 200
    assert "data-username" not in client.get("/").get_data(as_text=True)


def test_the_shell_names_a_new_bundle_by_a_new_url(client, static):
    """A rebuilt client is never taken from the browser's cache."""
    build(static)
    first = re.search(r"app\.js\?v=(\d+)", client.get("/").get_data(as_text=True))
    bundle = static / "app/app.js"
    stat = bundle.stat()
    os.utime(bundle, (stat.st_atime, stat.st_mtime + 60))
    second = re.search(r"app\.js\?v=(\d+)", client.get("/").get_data(as_text=True))
    assert first and second and int(second.group(1)) == int(first.group(1)) + 60


def test_the_shell_tells_the_client_when_registering_needs_an_invite(make_app, tmp_path):
    app = make_app(REGISTRATION="invite")
    app.static_folder = str(tmp_path)
    build(tmp_path)
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'data-registration="invite"' in html


@pytest.mark.parametrize("built", [[], ["app.js"], ["app.css"]])
def test_without_the_bundle_the_root_is_the_landing_page_saying_how_to_build_it(
    client, static, built
):
    (static / "app").mkdir()
    for name in built:
        (static / "app" / name).write_text("/* half a build */")
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert_strict_headers(page)
    html = page.get_data(as_text=True)
    assert "<script" not in html and "style=" not in html  # nothing inline: the CSP holds
    assert 'href="/api/docs"' in html and "cli.py chat" in html
    assert "<code>make web</code>" in html and "Node.js 20 or newer" in html
    css = client.get("/static/landing.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    css.close()
