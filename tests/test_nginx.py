"""The Compose topology natively: nginx (the project's config) before two processes and Redis."""

import shutil
import subprocess

import pytest
import requests
import socketio

from tests.realtime import ChatClient, login
from tests.server import ROOT, ServerProcess, server_env, wait_for
from tests.services import RedisServer, free_port, port_open, require


@pytest.fixture
def topology(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    require("nginx (apt-get install nginx-light)", shutil.os.path.exists(nginx))
    redis_server = RedisServer(tmp_path).start()
    env = server_env(
        f"sqlite:///{tmp_path / 'chat.db'}",
        REDIS_URL=redis_server.url,
        PROXY_FIX_X_FOR="1",
        RATELIMIT_REGISTER="1000 per hour",
    )
    apps = [ServerProcess(env, log_path=tmp_path / "a.log").start()]
    apps.append(ServerProcess(env, log_path=tmp_path / "b.log").start())
    port = free_port()
    site = (ROOT / "deploy/nginx/chatapp.conf").read_text()
    site = site.replace("server app1:8000", f"server 127.0.0.1:{apps[0].port}")
    site = site.replace("server app2:8000", f"server 127.0.0.1:{apps[1].port}")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
events {{ worker_connections 512; }}
http {{
    access_log {tmp_path}/nginx-access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: port_open("127.0.0.1", port, 0.2), 15, 0.05, "nginx")
    yield f"http://127.0.0.1:{port}", apps
    process.terminate()
    process.wait(10)
    for app in apps:
        app.stop()
    redis_server.stop()


def test_clients_chat_through_nginx_over_websocket_and_long_polling(topology):
    url, apps = topology
    assert requests.get(f"{url}/readyz", timeout=10).json()["status"] == "ready"
    assert requests.get(f"{url}/metrics", timeout=5).status_code == 404  # not public
    alice = ChatClient(url, login(url, "alice")).connect()  # websocket through nginx
    bob_token = login(url, "bob")
    bob = socketio.Client(reconnection=False)
    seen = []
    bob.on("message", seen.append)
    # Long-polling: many separate requests that must all reach one process.
    bob.connect(url, auth={"token": bob_token}, transports=["polling"], wait_timeout=10)
    assert alice.call("join", {"room": "general"})["ok"]
    assert bob.call("join", {"room": "general"}, timeout=10)["online"] == 2
    for n in range(5):
        sent = alice.call("send", {"room": "general", "text": f"through nginx {n}"})
        assert sent["ok"]
    wait_for(lambda: len(seen) >= 5, 20, 0.05, "bob's messages over long-polling")
    assert [m["text"] for m in seen] == [f"through nginx {n}" for n in range(5)]
    reply = bob.call("send", {"room": "general", "text": "polling works"}, timeout=10)
    assert alice.wait_for("message", lambda m: m["id"] == reply["message"]["id"])
    bob.disconnect()
    alice.close()
