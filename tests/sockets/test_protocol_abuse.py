"""Raw protocol abuse over real sockets: each attack hits only the offending connection.

Every test ends by checking that a bystander, chatting on the same server
all along, is still served.
"""

import json
import socket as pysocket

import pytest
import websocket

from tests.helpers.realtime import login

pytestmark = pytest.mark.slow

SERVER_SETTINGS = {
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "10000 per minute",
    # These attacks come from one address; the handshake budget has its own tests.
    "RATELIMIT_HANDSHAKES": "100000 per minute",
}


def assert_still_served(bystander):
    """The bystander's next message goes through: the attack hurt no one else."""
    reply = bystander.call("send", {"room": "lobby", "text": "still fine"})
    assert reply["ok"], reply


@pytest.mark.parametrize(
    "frame",
    [
        "garbage",
        "4",
        "42",
        "42[",
        "42{}",
        '42["join"',
        "4x[]",
        "9",
        "42abc[]",
        "40{",
        "0",
        "",
        '42["join",' + "[" * 5000 + "]" * 5000 + "]",
        "\x00\xff",
    ],
)
def test_malformed_packets(server, bystander, raw_socket, frame):
    raw = raw_socket(login(server.url, "malformed"))
    raw.ws.send(frame)
    # Either ignored or that one connection is closed; the server lives on.
    try:
        raw.ws.send("3")
    except (websocket.WebSocketConnectionClosedException, OSError):
        pass
    raw.ws.close()
    assert_still_served(bystander)


def test_binary_attachments_that_never_arrive(server, bystander, raw_socket):
    raw = raw_socket(login(server.url, "binary"))
    raw.ws.send('451-["send",{"room":"lobby","text":{"_placeholder":true,"num":0}}]')
    raw.ws.close()
    assert_still_served(bystander)


def test_frame_above_the_size_limit_closes_only_that_connection(server, bystander, raw_socket):
    raw = raw_socket(login(server.url, "bigframe"))
    raw.ws.send("42" + json.dumps(["send", {"room": "lobby", "text": "x" * 200_000}]))
    assert raw.closed()
    assert_still_served(bystander)


def test_unauthenticated_namespace_connect_is_refused(server, bystander, raw_socket):
    raw = raw_socket()
    raw.ws.send('40{"token":"forged"}')
    reply = raw.ws.recv()
    assert reply.startswith("44") and '"unauthorized"' in reply
    raw.ws.close()
    assert_still_served(bystander)


def test_ten_thousand_joins_from_one_user_are_cut_off(server, bystander, raw_socket):
    raw = raw_socket(login(server.url, "joiner"))
    refused = 0
    for n in range(10_000):
        try:
            reply = raw.call(n, "join", {"room": f"r{n}", "create": True})
        except (websocket.WebSocketException, ConnectionError, OSError):
            break
        refused += not reply["ok"]
    else:
        pytest.fail("10,000 joins went through")
    assert refused >= 1 and n < 200  # the join budget, then the flood disconnect
    assert_still_served(bystander)


def test_a_message_flood_is_cut_off(server, bystander, raw_socket):
    raw = raw_socket(login(server.url, "flooder"))
    assert raw.call(0, "join", {"room": "lobby", "create": True})["ok"]
    for n in range(1, 5_000):
        try:
            raw.ws.send(f"42{n}" + json.dumps(["send", {"room": "lobby", "text": f"f{n}"}]))
        except (websocket.WebSocketException, ConnectionError, OSError):
            break
    assert raw.closed()
    # The flood put at most the budget (10 per 10 s) into the room.
    texts = [m["text"] for m in bystander.received("message") if m["user"] == "flooder"]
    assert len(texts) <= 10
    assert_still_served(bystander)


def test_five_hundred_sessions_for_one_user(server, bystander, raw_socket):
    token = login(server.url, "manysessions")
    opened, refused = [], 0
    for _ in range(500):
        raw = raw_socket()
        raw.ws.send("40" + json.dumps({"token": token}))
        reply = raw.ws.recv()
        if reply.startswith("40{"):
            opened.append(raw)
        else:
            assert '"rate_limited"' in reply
            refused += 1
            raw.ws.close()
    assert len(opened) == 20 and refused == 480  # MAX_SESSIONS_PER_USER
    for raw in opened:
        raw.ws.close()
    assert_still_served(bystander)


def test_a_client_that_never_reads(server, bystander, raw_socket):
    """Requests answered into a socket nobody reads: only that socket stalls."""
    token = login(server.url, "sleeper")
    raw = raw_socket(token)
    raw.call(0, "join", {"room": "lobby", "create": True})
    raw.ws.sock.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_RCVBUF, 4096)
    big = {"room": "lobby", "limit": 100}
    for n in range(1, 2000):
        try:
            raw.ws.send(f"42{n}" + json.dumps(["history", big]))
        except (websocket.WebSocketTimeoutException, OSError):
            break  # our own send buffer is full too: the server stopped reading us
    # Meanwhile everybody else is served.
    assert bystander.call("history", {"room": "lobby", "limit": 5})["ok"]
    raw.ws.sock.close()
    assert_still_served(bystander)
