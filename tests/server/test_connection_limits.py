"""What a client may hold before logging in, and `serve`'s own deadlines.

Real `cli.py serve` processes: the door (connect deadline, per-address caps),
header and idle timeouts, and a refused second server on the same port. Most
tests share the module's server (each from loopback addresses of its own);
those that need other settings start their own.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time

import pytest
import websocket

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ROOT, server_env
from tests.helpers.services import free_port
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

SERVER_SETTINGS = {
    "CONNECT_TIMEOUT": "1",
    "MAX_PENDING_PER_ADDRESS": "3",
    "RATELIMIT_HANDSHAKES": "1000 per minute",
    "HEADER_TIMEOUT": "1",
    "MAX_CONNECTIONS": "8",
}


def bound_socket(server, source: str) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", server.port))
    return sock


def raw_websocket(server, source="127.0.0.1") -> websocket.WebSocket:
    """An Engine.IO websocket that never sends the Socket.IO connect (never logs in)."""
    url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
    raw = bound_socket(server, source)
    ws = websocket.create_connection(url, socket=raw, timeout=5)
    ws.raw = raw  # websocket-client forgets it once the peer closes: closed in finish()
    assert ws.recv().startswith("0{")  # the Engine.IO open packet
    return ws


def finish(ws: websocket.WebSocket) -> None:
    ws.close()
    ws.raw.close()


def closed_by_server(ws: websocket.WebSocket, within: float) -> bool:
    """True once the server closes `ws` (pings answered meanwhile, as a live client would)."""
    deadline = time.monotonic() + within
    ws.settimeout(0.5)
    try:
        while time.monotonic() < deadline:
            try:
                frame = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (
                websocket.WebSocketConnectionClosedException,
                websocket.WebSocketProtocolException,
                OSError,
            ):
                return True
            if frame == "2":
                ws.send("3")
            elif not frame:
                return True
        return False
    finally:
        finish(ws)


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def polling_handshake(server, source: str) -> Answer:
    conn = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=5, source_address=(source, 0)
    )
    try:
        conn.request("GET", "/socket.io/?EIO=4&transport=polling")
        response = conn.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


def test_a_socket_that_never_logs_in_is_closed_after_the_deadline(server):
    ws = raw_websocket(server)
    assert closed_by_server(ws, within=15)


def test_unauthenticated_sockets_cannot_hold_every_slot(server):
    # As many never-authenticating sockets as the server has slots, from
    # several addresses (so the per-address cap is not what saves it).
    squatters = [raw_websocket(server, f"127.0.0.{2 + i // 3}") for i in range(8)]
    assert all(closed_by_server(ws, within=15) for ws in squatters)
    client = ChatClient(server.url, login(server.url, "latecomer")).connect()
    assert client.call("join", {"room": "general", "create": True})["ok"]
    client.close()


def test_a_socket_that_logs_out_of_the_namespace_is_back_at_the_door(server):
    ws = raw_websocket(server, "127.0.0.30")
    ws.send("40" + json.dumps({"token": login(server.url, "hopper")}))
    assert ws.recv().startswith("40{")  # logged in
    ws.send("41")  # leave the namespace, keep the connection (and answer pings)
    assert closed_by_server(ws, within=15)


def test_one_address_may_hold_only_a_few_pending_sessions(server):
    held = [raw_websocket(server, "127.0.0.9") for _ in range(3)]
    refused = polling_handshake(server, "127.0.0.9")
    assert refused.status == 429
    assert refused.headers.get("Retry-After")
    body = json.loads(refused.body)
    assert body["error"]["code"] == "rate_limited" and body["error"]["retry_after"] >= 1
    assert polling_handshake(server, "127.0.0.10").status == 200  # another address
    for ws in held:
        finish(ws)


def test_a_polling_client_that_never_polls_again_does_not_stop_the_deadline(serve):
    # Closing its session used to wait for it to poll (engineio's disconnect
    # waits for the client to read), and every later deadline was missed.
    server = serve(**SERVER_SETTINGS)
    assert polling_handshake(server, "127.0.0.40").status == 200  # and never again
    first = raw_websocket(server, "127.0.0.41")
    assert closed_by_server(first, within=15)
    later = raw_websocket(server, "127.0.0.42")
    assert closed_by_server(later, within=15)


def test_handshakes_per_address_are_rate_limited(serve):
    proc = serve(RATELIMIT_HANDSHAKES="5 per minute", CONNECT_TIMEOUT="1")
    statuses = [polling_handshake(proc, "127.0.0.11").status for _ in range(8)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 3
    assert polling_handshake(proc, "127.0.0.12").status == 200


def test_a_request_head_trickled_slowly_is_cut_off(server):
    sock = bound_socket(server, "127.0.0.1")
    sock.settimeout(0.5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    deadline = time.monotonic() + 15
    closed = False
    while time.monotonic() < deadline and not closed:
        try:
            sock.sendall(b"X-Slow: 1\r\n")  # a header line every ~0.5 s, never the end
            closed = sock.recv(1024) == b""
        except TimeoutError:
            continue
        except OSError:  # reset by the server
            closed = True
    sock.close()
    assert closed


def test_a_long_request_head_and_body_are_read_whole(server):
    """The connection's read and write buffers are 1 KiB (memory per idle websocket).

    A header line of 3 KiB, 7 KiB of headers in all, a 5 KB body and a chunked
    one of 3 KB: each read to its end, and the connection kept for the next.
    """
    token = login(server.url, "long-head")
    host, port = server.url.removeprefix("http://").split(":")
    padding = {f"X-Pad-{i}": "p" * 500 for i in range(8)}
    headers = {"Authorization": f"Bearer {token}", "X-Long": "l" * 3000, **padding}
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        body = json.dumps({"password": "x" * 5000})  # refused, but read to its end
        json_headers = {**headers, "Content-Type": "application/json"}
        conn.request("POST", "/api/auth/login", body=body, headers=json_headers)
        reply = conn.getresponse()
        assert reply.status == 422 and json.loads(reply.read())["error"]["code"] == "bad_request"
        sock = conn.sock
        chunks = iter([body[:1500].encode(), body[1500:3000].encode()])
        conn.request("POST", "/api/auth/login", body=chunks, headers=json_headers)
        reply = conn.getresponse()
        assert reply.status in (400, 422) and json.loads(reply.read())["error"]
        conn.request("GET", "/api/auth/me", headers=headers)
        reply = conn.getresponse()
        assert reply.status == 200 and json.loads(reply.read())["user"]["username"] == "long-head"
        assert conn.sock is sock  # one connection throughout: nothing left unread on it
    finally:
        conn.close()


def serve_once(env: dict[str, str], port: int) -> subprocess.CompletedProcess:
    """Run `cli.py serve` expecting it to refuse to start (bounded by a timeout)."""
    return subprocess.run(
        [sys.executable, "cli.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_server_on_the_same_port_is_refused(server, tmp_path):
    second = serve_once(server_env(f"sqlite:///{tmp_path / 'second.db'}"), server.port)
    assert second.returncode == 1
    assert "already in use" in second.stderr
    assert not (tmp_path / "second.db").exists()  # refused before touching anything
    wait_for(server._ready, 5, 0.1, "the first server")  # still serving


def test_a_second_server_on_the_same_sqlite_database_is_refused(server):
    # Another port, the same embedded database: it would split the chat too.
    second = serve_once(dict(server.env), free_port())
    assert second.returncode == 1
    assert "already serves" in second.stderr
    wait_for(server._ready, 5, 0.1, "the first server")


def test_sharing_a_port_needs_redis(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'reuse.db'}", SERVE_REUSE_PORT="1")
    refused = serve_once(env, free_port())
    assert refused.returncode == 1
    assert "--reuse-port needs REDIS_URL" in refused.stderr


GARBAGE = ["4x", "4{", '42["send"', "49999999", "4\x00\x01", "zzz", "4-1", '4[{"a"', "45-"]


def test_protocol_garbage_is_one_warning_not_a_traceback_per_frame(server):
    log = server.log_path
    before = log.stat().st_size
    sent = 0
    for round_ in range(12):  # ~600 bytes of garbage in all, as in the audit
        for frame in GARBAGE:
            ws = raw_websocket(server, f"127.0.1.{round_ + 1}")
            try:
                ws.send(frame)
                sent += len(frame)
            except (websocket.WebSocketConnectionClosedException, OSError):
                pass
            closed_by_server(ws, within=5)
    # The server still serves, and wrote a few lines, not a page per frame.
    client = ChatClient(server.url, login(server.url, "after-garbage")).connect()
    assert client.call("join", {"room": "general", "create": True})["ok"]
    client.close()
    written = log.read_text()[before:]
    assert "Traceback" not in written
    lines = [line for line in written.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    garbage = [r for r in records if r["level"] in ("WARNING", "ERROR")]
    assert len(garbage) <= 5, garbage
    assert len(written) < 20 * sent
