"""Host names, Origins and origin settings: what a hostile page cannot make a browser do."""

from __future__ import annotations

import secrets

import pytest

from chatapp import create_app
from chatapp.config import SettingsError, check_secret_key
from tests.helpers.config import BASE_CONFIG
from tests.helpers.errors import assert_error
from tests.helpers.server import ROOT


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "localhost.evil.example"])
def test_requests_naming_a_foreign_host_are_refused(client, host):
    # DNS rebinding: the attacker's name now resolves to 127.0.0.1.
    response = client.get("/healthz", headers={"Host": host})
    assert_error(response, 421, "unknown_host")
    handshake = client.get("/socket.io/?EIO=4&transport=polling", headers={"Host": host})
    assert_error(handshake, 421, "unknown_host")


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:5000", "127.0.0.1:5000", "[::1]:5000", "10.1.2.3", "a.localhost"],
)
def test_ip_literals_and_localhost_are_answered(client, host):
    assert client.get("/healthz", headers={"Host": host}).status_code == 200


def test_server_names_and_the_public_url_are_answered(make_app):
    app = make_app(SERVER_NAMES=["chat.internal"], PUBLIC_URL="https://chat.example.com")
    client = app.test_client()
    for host in ("chat.internal", "CHAT.INTERNAL:8000", "chat.example.com"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200
    assert client.get("/healthz", headers={"Host": "other.example.com"}).status_code == 421


def test_a_foreign_page_cannot_log_a_user_out(client, auth):
    auth.signup()
    refused = client.post("/api/auth/logout", headers={"Origin": "https://evil.example"})
    assert_error(refused, 403, "forbidden")
    assert client.get("/api/auth/me").status_code == 200  # still logged in
    assert (
        client.post("/api/auth/logout", headers={"Origin": "http://localhost"}).status_code == 200
    )


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost:1"])
def test_a_foreign_page_cannot_join_or_post(client, auth, origin):
    auth.signup()
    headers = {"Origin": origin}
    assert_error(client.post("/api/rooms/general/join", headers=headers), 403, "forbidden")
    posted = client.post("/api/rooms/general/messages", json={"text": "hi"}, headers=headers)
    assert_error(posted, 403, "forbidden")
    assert client.get("/api/me/messages").get_json()["messages"] == []


def test_scripts_without_an_origin_and_configured_origins_pass(make_app):
    app = make_app(CORS_ORIGINS=["https://chat.example.com"])
    client = app.test_client()
    body = {"username": "alice", "password": "correct horse"}
    assert client.post("/api/auth/register", json=body).status_code == 201
    login = client.post(
        "/api/auth/login", json=body, headers={"Origin": "https://chat.example.com"}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    "origins",
    [
        ["*"],
        ["null"],
        ["https://chat.example.com/"],
        ["https://chat.example.com/app"],
        ["https://*.example.com"],
        ["chat.example.com"],
        ["ftp://chat.example.com"],
        ["https://user@chat.example.com"],
        ["https://chat.example.com", "*"],
    ],
)
def test_cors_settings_that_are_not_exact_origins_refuse_to_start(origins):
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        create_app({**BASE_CONFIG, "CORS_ORIGINS": origins})


def example_secret_key() -> str:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("SECRET_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError(".env.example has no SECRET_KEY line")


@pytest.mark.parametrize(
    "key",
    ["", "a" * 32, "ab" * 24, "x" * 31, "change-me-" + secrets.token_hex(16), example_secret_key()],
)
def test_weak_and_placeholder_secret_keys_are_refused_in_production(key):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        check_secret_key(key)


def test_a_random_secret_key_is_accepted():
    check_secret_key(secrets.token_urlsafe(48))


def test_placeholder_service_passwords_are_refused_in_production():
    config = {
        **BASE_CONFIG,
        "CHATAPP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "REDIS_URL": "redis://:replace-me@redis:6379/0",
    }
    with pytest.raises(SettingsError, match="REDIS_URL"):
        create_app(config)


def test_an_https_public_url_makes_the_session_cookie_secure(make_app):
    app = make_app(PUBLIC_URL="https://chat.example.com")
    client = app.test_client()
    body = {"username": "alice", "password": "correct horse"}
    client.post("/api/auth/register", json=body)
    login = client.post("/api/auth/login", json=body, base_url="https://chat.example.com")
    cookie = login.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
