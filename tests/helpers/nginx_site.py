"""The project's nginx config, run natively: rendering it for local ports, and clients for it.

tests/project/test_nginx.py runs deploy/nginx/nginx.conf and deploy/nginx/chatapp.conf
with only their addresses and paths moved (see `render`), behind a certificate
made by the nginx image's own deploy/nginx/self-signed-cert.sh.
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from tests.helpers.server import ROOT
from tests.helpers.services import SourceAddress, require

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
