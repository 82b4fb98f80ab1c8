"""The Compose topology natively: nginx (the project's config, TLS) before two processes and Redis.

nginx runs deploy/nginx/nginx.conf and deploy/nginx/chatapp.conf with only their
addresses and paths moved (see `render`), behind a certificate made by the
image's own deploy/nginx/self-signed-cert.sh. Every limit test speaks from its
own loopback source addresses (127.0.0.x), because nginx counts per address.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import ssl
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import socketio
from requests.adapters import HTTPAdapter

from tests.server import ROOT, ServerProcess, server_env, wait_for
from tests.services import RedisServer, free_port, port_open, require

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy/nginx/chatapp.conf"


def nginx_version() -> tuple[int, ...]:
    out = subprocess.run([NGINX, "-v"], capture_output=True, text=True, timeout=10).stderr
    return tuple(int(n) for n in re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out).groups())


def replace(text: str, old: str, new: str) -> str:
    """`text` with `old` replaced; `old` must be there, so a drifting config fails loudly."""
    assert old in text, f"{old!r} is no longer in the nginx config"
    return text.replace(old, new)


def render(directory: Path, *, apps, grafana: int, http: int, https: int) -> list[str]:
    """Write the project's nginx config for local ports into `directory`; return nginx's argv.

    Changed from the shipped files: upstream and listen addresses, file paths,
    the descriptor numbers if this machine's hard limit is lower, and the two
    request rates, lowered to 1 a minute so that the tests measure the bursts
    exactly, whatever the machine's speed.
    """
    public_url = f"https://127.0.0.1:{https}"
    for sub in ("conf.d", "logs", "certs", "acme"):
        (directory / sub).mkdir(exist_ok=True)
    # The certificate, made as the nginx image makes it when none is mounted.
    require("openssl (the CLI)", shutil.which("openssl") is not None)
    subprocess.run(
        ["sh", str(ROOT / "deploy/nginx/self-signed-cert.sh")],
        env={**os.environ, "CERTS_DIR": str(directory / "certs"), "PUBLIC_URL": public_url},
        check=True,
        capture_output=True,
        timeout=60,
    )
    main = replace(
        (ROOT / "deploy/nginx/nginx.conf").read_text(), "/var/log/nginx/", f"{directory}/logs/"
    )
    # Compose raises the container's descriptor limit for nginx (ulimits); here
    # nothing can raise the hard limit, so a lower one scales both numbers down.
    wanted = int(re.search(r"worker_rlimit_nofile (\d+);", main).group(1))
    connections = int(re.search(r"worker_connections (\d+);", main).group(1))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < wanted:
        main = replace(main, f"worker_rlimit_nofile {wanted};", f"worker_rlimit_nofile {hard};")
        fewer = f"worker_connections {hard * connections // wanted};"
        main = replace(main, f"worker_connections {connections};", fewer)
    (directory / "nginx.conf").write_text(main)
    site = SITE.read_text()
    # What the image's envsubst step does at container start.
    site = replace(site, "${PUBLIC_URL}", public_url)
    site = replace(site, "server app1:8000", f"server 127.0.0.1:{apps[0]}")
    site = replace(site, "server app2:8000", f"server 127.0.0.1:{apps[1]}")
    site = replace(site, "server grafana:3000", f"server 127.0.0.1:{grafana}")
    site = replace(site, "listen 80;", f"listen 127.0.0.1:{http};")
    if nginx_version() >= (1, 25, 1):
        site = replace(site, "listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;")
    else:  # Debian 12's nginx 1.22 predates the `http2` directive of the image's 1.27.
        site = replace(site, "listen 443 ssl;", f"listen 127.0.0.1:{https} ssl http2;")
        site = replace(site, "http2 on;", "")
    site = replace(site, "/etc/nginx/certs/", f"{directory}/certs/")
    site = replace(site, "root /var/www/acme;", f"root {directory}/acme;")
    site = replace(site, "rate=10r/s;", "rate=1r/m;")
    site = replace(site, "rate=2r/s;", "rate=1r/m;")
    (directory / "conf.d/chatapp.conf").write_text(site)
    temp = "".join(
        f"{kind}_temp_path {directory}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (directory / "conf.d/test-paths.conf").write_text(temp)
    settings = f"pid {directory}/nginx.pid;"
    if os.geteuid() == 0:  # workers must reach pytest's private (0700) directories
        settings += " user root;"
    return [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g", settings]


class SourceAddress(HTTPAdapter):
    """Connections from a chosen loopback address, which nginx's limits count separately."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class GrafanaStub(ThreadingHTTPServer):
    """Stands in for Grafana: answers every GET with the path and headers it saw."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.shutdown()
            self.server_close()


class Site:
    """The running topology: where nginx listens and how to reach it like a client."""

    def __init__(self, directory: Path, argv: list[str], http: int, https: int) -> None:
        self.directory = directory
        self.argv = argv
        self.http_url = f"http://127.0.0.1:{http}"
        self.url = f"https://127.0.0.1:{https}"
        self.https_port = https
        self.ca = str(directory / "certs/fullchain.pem")
        self.tls = ssl.create_default_context(cafile=self.ca)

    def session(self, address: str = "127.0.0.1") -> requests.Session:
        """requests that trust the test certificate and speak from `address`."""
        session = requests.Session()
        # Not the environment's: REQUESTS_CA_BUNDLE would override `verify`.
        session.trust_env = False
        session.verify = self.ca
        session.mount("https://", SourceAddress(address))
        session.mount("http://", SourceAddress(address))
        return session

    def websocket(self, address: str) -> tuple[ssl.SSLSocket, int, bytes]:
        """Open an Engine.IO websocket through nginx by hand: (socket, status, body)."""
        raw = socket.create_connection(
            ("127.0.0.1", self.https_port), timeout=10, source_address=(address, 0)
        )
        sock = self.tls.wrap_socket(raw, server_hostname="127.0.0.1")
        sock.sendall(
            b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            + f"Host: 127.0.0.1:{self.https_port}\r\n".encode()
            + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            assert chunk, f"connection closed after {data!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        while length and len(body) < int(length.group(1)):
            body += sock.recv(4096)
        return sock, int(head.split()[1]), body


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require("nginx (apt-get install nginx-light)", os.path.exists(NGINX))
    directory = tmp_path_factory.mktemp("nginx")
    redis_server = RedisServer(directory).start()
    http, https = free_port(), free_port()
    env = server_env(
        f"sqlite:///{directory / 'chat.db'}",
        REDIS_URL=redis_server.url,
        PROXY_FIX_X_FOR="1",
        PUBLIC_URL=f"https://127.0.0.1:{https}",
        # The apps' own per-address limits stay out of the way of nginx's.
        RATELIMIT_REGISTER="1000 per hour",
        RATELIMIT_ANONYMOUS="1000 per minute",
    )
    apps = [ServerProcess(env, log_path=directory / "a.log").start()]
    apps.append(ServerProcess(env, log_path=directory / "b.log").start())
    grafana = GrafanaStub()
    argv = render(
        directory,
        apps=[app.port for app in apps],
        grafana=grafana.server_address[1],
        http=http,
        https=https,
    )
    with open(directory / "nginx.stderr", "wb") as stderr:
        process = subprocess.Popen(
            [*argv[:-1], argv[-1] + f" error_log {directory}/logs/error.log warn; daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_for(lambda: port_open("127.0.0.1", https, 0.2), 15, 0.05, "nginx")
        site = Site(directory, argv, http, https)
        site.apps = apps
        site.grafana = grafana
        yield site
    finally:
        process.terminate()
        process.wait(10)
        grafana.stop()
        for app in apps:
            app.stop()
        redis_server.stop()


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
        assert alice.call("join", {"room": "general"}, timeout=10)["ok"]
        assert bob.call("join", {"room": "general"}, timeout=10)["online"] == 2
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


def make_certificate(directory: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(ROOT / "deploy/nginx/self-signed-cert.sh")],
        env={**os.environ, "CERTS_DIR": str(directory), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_image_makes_a_certificate_only_when_none_was_brought(tmp_path):
    require("openssl (the CLI)", shutil.which("openssl") is not None)
    made = tmp_path / "made"
    assert make_certificate(made, PUBLIC_URL="https://chat.example.org:8443").returncode == 0
    names = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", made / "fullchain.pem"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    assert "DNS:chat.example.org" in names and "IP Address:127.0.0.1" in names
    assert (made / "privkey.pem").stat().st_mode & 0o077 == 0  # the key is private
    # A certificate someone brought is never replaced, even one about to expire.
    brought = tmp_path / "brought"
    brought.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "5", "-subj", "/CN=mine", "-keyout", brought / "privkey.pem",
         "-out", brought / "fullchain.pem"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    before = (brought / "fullchain.pem").read_bytes()
    assert make_certificate(brought).returncode == 0
    assert (brought / "fullchain.pem").read_bytes() == before
    # The image's own one is made again when it nears its end.
    (brought / ".self-signed").touch()
    assert make_certificate(brought).returncode == 0
    renewed = brought / "fullchain.pem"
    assert renewed.read_bytes() != before
    valid = ["openssl", "x509", "-checkend", str(300 * 86400), "-noout", "-in", renewed]
    assert subprocess.run(valid, capture_output=True, timeout=10).returncode == 0


FAKE_APT_GET = """#!/bin/sh
# Stands in for `apt-get install nginx-light`: Debian's postinst starts the
# service unless policy-rc.d forbids it (101), as invoke-rc.d does.
[ "$1" = install ] || exit 0
answer=0
if [ -x "$POLICY_RC_D" ]; then "$POLICY_RC_D" nginx start; answer=$?; fi
echo "$answer" > "$WORK/policy-answer"
[ "$answer" = 0 ] || exit 0
exec "$NGINX_BIN" -c "$WORK/service.conf"
"""


def small_nginx_conf(directory: Path, name: str, port: int, pid_file: Path) -> Path:
    temp = " ".join(f"{k}_temp_path {directory}/{name}-{k};" for k in ("client_body", "proxy"))
    conf = directory / f"{name}.conf"
    conf.write_text(
        f"pid {pid_file}; error_log {directory}/{name}-error.log;\n"
        "worker_processes 1; events { worker_connections 64; }\n"
        f"http {{ access_log off; {temp} fastcgi_temp_path {directory}/{name}-f;"
        f" uwsgi_temp_path {directory}/{name}-u; scgi_temp_path {directory}/{name}-s;"
        f" server {{ listen 127.0.0.1:{port}; return 200 '{name}'; }} }}\n"
    )
    return conf


@pytest.mark.parametrize("machine_policy", [None, "allows"])
def test_installing_nginx_stops_only_the_service_it_started(tmp_path, machine_policy):
    require("nginx (apt-get install nginx-light)", os.path.exists(NGINX))
    script = ROOT / "scripts/install-nginx"
    assert subprocess.run(["bash", "-n", str(script)], timeout=10).returncode == 0
    # Someone else's nginx, which must outlive the install.
    unrelated_port = free_port()
    conf = small_nginx_conf(tmp_path, "unrelated", unrelated_port, tmp_path / "unrelated.pid")
    unrelated = subprocess.Popen([NGINX, "-c", str(conf), "-g", "daemon off;"])
    try:
        wait_for(lambda: port_open("127.0.0.1", unrelated_port, 0.2), 15, 0.05, "nginx")
        service_port, pid_file = free_port(), tmp_path / "run-nginx.pid"
        small_nginx_conf(tmp_path, "service", service_port, pid_file)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "apt-get").write_text(FAKE_APT_GET)
        (bin_dir / "apt-get").chmod(0o755)
        policy = tmp_path / "policy-rc.d"
        if machine_policy == "allows":  # the machine's own policy, which lets services start
            policy.write_text("#!/bin/sh\nexit 0\n")
            policy.chmod(0o755)
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "APT_GET": "apt-get",
            "POLICY_RC_D": str(policy),
            "NGINX_PID_FILE": str(pid_file),
            "WORK": str(tmp_path),
            "NGINX_BIN": NGINX,  # not NGINX: nginx reads that one (inherited sockets)
        }
        result = subprocess.run(["bash", str(script)], env=env, capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        answer = (tmp_path / "policy-answer").read_text().strip()
        if machine_policy is None:
            # A policy of its own kept the service from starting, and is gone again.
            assert answer == "101" and not policy.exists() and not pid_file.exists()
        else:
            # The machine's policy let it start: that one nginx, by its pid file, is stopped.
            assert answer == "0" and policy.read_text() == "#!/bin/sh\nexit 0\n"
            wait_for(
                lambda: not port_open("127.0.0.1", service_port, 0.2),
                15,
                0.05,
                "the service to stop",
            )
        assert unrelated.poll() is None
        assert requests.get(f"http://127.0.0.1:{unrelated_port}/", timeout=5).text == "unrelated"
    finally:
        unrelated.terminate()
        unrelated.wait(10)
