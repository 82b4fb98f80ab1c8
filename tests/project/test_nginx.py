"""The Compose topology natively: nginx (the project's config, TLS) before two processes and Redis.

Every limit test speaks from its own loopback source addresses (127.0.0.x),
because nginx counts per address; the fixture is shared by the module.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import uuid

import pytest
import requests
import socketio

from tests.helpers.nginx_site import SITE
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow


def test_nginx_accepts_the_shipped_config_without_warnings(site):
    result = subprocess.run([*site.argv, "-t"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr
    # Some checks only run at start, such as worker_connections against the
    # descriptor limit; the running nginx logged nothing of note (refusals by
    # the limits, logged at warn by design, are the other tests').
    logged = (site.directory / "logs/error.log").read_text().splitlines()
    assert [line for line in logged if "limiting" not in line] == []


def login(session: requests.Session, url: str, username: str) -> str:
    body = {"username": username, "password": "correct horse"}
    session.post(f"{url}/api/auth/register", json=body, timeout=10)
    response = session.post(f"{url}/api/auth/login", json=body, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


def test_clients_chat_through_nginx_over_tls_websocket_and_long_polling(site):
    url, http = site.url, site.session()
    ready = http.get(f"{url}/readyz", timeout=10)
    assert ready.json()["status"] == "ready"
    assert http.get(f"{url}/metrics", timeout=5).status_code == 404  # not public
    alice_seen, bob_seen = [], []
    # websocket (wss://, with the Origin a browser sends: Socket.IO's same-origin
    # check must see https through X-Forwarded-Proto).
    alice = socketio.Client(reconnection=False, http_session=site.session())
    alice.on("message", alice_seen.append)
    alice.connect(
        url, auth={"token": login(http, url, "alice")}, transports=["websocket"], wait_timeout=10
    )
    # Long-polling: many separate requests that must all reach one process.
    bob = socketio.Client(reconnection=False, http_session=site.session())
    bob.on("message", bob_seen.append)
    bob.connect(
        url, auth={"token": login(http, url, "bob")}, transports=["polling"], wait_timeout=10
    )
    try:
        assert alice.call("join", {"room": "general", "create": True}, timeout=10)["ok"]
        assert bob.call("join", {"room": "general", "create": True}, timeout=10)["online"] == 2
        for n in range(5):
            assert alice.call("send", {"room": "general", "text": f"over TLS {n}"}, timeout=10)[
                "ok"
            ]
        wait_for(lambda: len(bob_seen) >= 5, 20, 0.05, "bob's messages over long-polling")
        assert [m["text"] for m in bob_seen] == [f"over TLS {n}" for n in range(5)]
        reply = bob.call("send", {"room": "general", "text": "polling works"}, timeout=10)
        wait_for(
            lambda: any(m["id"] == reply["message"]["id"] for m in alice_seen), 10, 0.02, "reply"
        )
    finally:
        bob.disconnect()
        alice.disconnect()


def test_plain_http_redirects_to_https_except_acme_challenges(site):
    http = site.session()
    response = http.get(f"{site.http_url}/api/rooms?x=1", allow_redirects=False, timeout=5)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{site.url}/api/rooms?x=1"
    # Let's Encrypt's HTTP-01 challenge is answered over plain HTTP, from the webroot.
    challenge = site.directory / "acme/.well-known/acme-challenge"
    challenge.mkdir(parents=True, exist_ok=True)
    (challenge / "token123").write_text("token123.key")
    response = http.get(
        f"{site.http_url}/.well-known/acme-challenge/token123", allow_redirects=False, timeout=5
    )
    assert (response.status_code, response.text) == (200, "token123.key")


def test_https_sends_hsts_and_refuses_weak_ciphers(site):
    http = site.session()
    for path in ("/healthz", "/api/rooms", "/no-such-page"):
        response = http.get(site.url + path, timeout=5)
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert int(re.fullmatch(r"max-age=(\d+)", hsts).group(1)) >= 365 * 86400, path
    # TLS 1.2 gets a forward-secret AEAD cipher; a CBC one is refused.
    tls12 = ssl.create_default_context(cafile=site.ca)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", site.https_port), timeout=5) as raw:
        with tls12.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            name, version, _ = sock.cipher()
            assert version == "TLSv1.2" and name.startswith("ECDHE-ECDSA-")
            assert "GCM" in name or "CHACHA20" in name
    cbc = ssl.create_default_context(cafile=site.ca)
    cbc.maximum_version = ssl.TLSVersion.TLSv1_2
    cbc.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384")
    with socket.create_connection(("127.0.0.1", site.https_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            cbc.wrap_socket(raw, server_hostname="127.0.0.1").close()


def assert_json_refusal(status: int, headers: str | dict, body: bytes, code: str) -> None:
    """nginx's own refusals use the app's error shape, with Retry-After and HSTS."""
    assert json.loads(body)["error"]["code"] == code
    text = str(headers).lower()
    assert "strict-transport-security" in text
    if status in (429, 502, 503, 504):
        assert "retry-after" in text


def test_socketio_connections_per_address_are_capped(site):
    limit = int(re.search(r"limit_conn socketio_per_addr (\d+);", SITE.read_text()).group(1))
    held = []
    try:
        for _ in range(limit):
            sock, status, _ = site.websocket("127.0.0.20")
            held.append(sock)
            assert status == 101
        sock, status, body = site.websocket("127.0.0.20")
        sock.close()
        assert status == 429
        assert json.loads(body)["error"]["code"] == "rate_limited"
        # Another address is not affected...
        sock, status, _ = site.websocket("127.0.0.21")
        held.append(sock)
        assert status == 101
        # ...and the cap is on connections at once: one closed, one may open.
        held.pop(0).close()

        def reopened():
            sock, status, _ = site.websocket("127.0.0.20")
            held.append(sock)
            return status == 101

        wait_for(reopened, 10, 0.1, "a websocket after one closed")
    finally:
        for sock in held:
            sock.close()


def test_new_engineio_sessions_are_rate_limited_per_address(site):
    burst = int(re.search(r"zone=engineio_handshakes burst=(\d+)", SITE.read_text()).group(1))
    http = site.session("127.0.0.30")
    handshake = f"{site.url}/socket.io/?EIO=4&transport=polling"
    first = http.get(handshake, timeout=10)
    assert first.status_code == 200
    sid = json.loads(first.text[1:])["sid"]  # "0{...}": Engine.IO's open packet
    for _ in range(burst):  # with the rate at 1 a minute, the burst is all there is
        assert http.get(handshake, timeout=10).status_code == 200
    refused = http.get(handshake, timeout=10)
    assert refused.status_code == 429
    assert_json_refusal(429, refused.headers, refused.content, "rate_limited")
    # Requests of a session already open are not new sessions: never counted.
    posted = http.post(f"{handshake}&sid={sid}", data="40", timeout=10)
    assert posted.status_code == 200
    # Another address opens sessions as usual.
    assert site.session("127.0.0.31").get(handshake, timeout=10).status_code == 200


def test_logins_and_registrations_are_rate_limited_per_address(site):
    burst = int(re.search(r"zone=auth_posts burst=(\d+)", SITE.read_text()).group(1))
    http = site.session("127.0.0.40")

    def attempt(session):
        body = {"username": f"u{uuid.uuid4().hex[:10]}", "password": "wrong password"}
        return session.post(f"{site.url}/api/auth/login", json=body, timeout=10)

    for _ in range(burst + 1):
        assert attempt(http).status_code == 401  # the app's answer: bad credentials
    refused = attempt(http)
    assert refused.status_code == 429
    assert_json_refusal(429, refused.headers, refused.content, "rate_limited")
    # Reading who one is costs no hashing and is not counted here.
    assert http.get(f"{site.url}/api/auth/me", timeout=10).status_code == 401
    assert attempt(site.session("127.0.0.41")).status_code == 401


def test_oversized_bodies_are_refused_in_the_apps_error_shape(site):
    http = site.session("127.0.0.50")
    response = http.post(f"{site.url}/api/rooms/general/messages", data=b"x" * 70_000, timeout=10)
    assert response.status_code == 413
    assert_json_refusal(413, response.headers, response.content, "too_large")


def test_grafana_is_served_under_a_sub_path_only_through_nginx(site):
    http = site.session("127.0.0.60")
    response = http.get(f"{site.url}/grafana/api/health", timeout=10)
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/grafana/api/health"  # serve_from_sub_path wants the prefix
    assert seen["headers"]["X-Forwarded-Proto"] == "https"
    assert response.headers["Strict-Transport-Security"]
    moved = http.get(f"{site.url}/grafana", allow_redirects=False, timeout=10)
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/grafana/")
    # Grafana down: a 502 in the app's error shape, not nginx's HTML page.
    site.grafana.stop()
    down = http.get(f"{site.url}/grafana/api/health", timeout=10)
    assert down.status_code == 502
    assert_json_refusal(502, down.headers, down.content, "unavailable")


def seconds(directive: str) -> int:
    return int(re.search(rf"^\s*{directive} (\d+)s;", SITE.read_text(), re.M).group(1))


def test_timeouts_keep_live_connections_and_cut_dead_ones(site):
    # The heartbeat as the server announces it to every client (Engine.IO's open packet).
    handshake = f"{site.url}/socket.io/?EIO=4&transport=polling"
    opened = site.session("127.0.0.70").get(handshake, timeout=10)
    heartbeat = json.loads(opened.text[1:])
    interval, timeout = heartbeat["pingInterval"] / 1000, heartbeat["pingTimeout"] / 1000
    # A live websocket or long-poll carries data at least every ping interval;
    # nginx cuts a silent upstream only after both Socket.IO ends gave up on it
    # (interval + timeout), and not much later.
    assert interval + timeout < seconds("proxy_read_timeout") <= interval + timeout + 15
    # A client or an instance that takes nothing is dropped no later than
    # Socket.IO would drop it for a missing pong.
    assert seconds("send_timeout") <= timeout and seconds("proxy_send_timeout") <= timeout
    # Headers and bodies arrive at once from real clients; these never apply to
    # an open websocket.
    assert seconds("client_header_timeout") < interval
    assert seconds("client_body_timeout") < interval
