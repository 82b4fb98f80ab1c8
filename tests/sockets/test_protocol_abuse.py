"""Raw protocol abuse over real sockets: each attack hits only the offending connection."""

import json
import socket as pysocket
import uuid

import pytest
import websocket

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ServerProcess, server_env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("abuse")
    env = server_env(
        f"sqlite:///{tmp / 'abuse.db'}",
        RATELIMIT_REGISTER="1000 per hour",
        RATELIMIT_ANONYMOUS="10000 per minute",
        # These attacks come from one address; the handshake budget has its own tests.
        RATELIMIT_HANDSHAKES="100000 per minute",
    )
    proc = ServerProcess(env, log_path=tmp / "server.log").start()
    yield proc
    proc.stop()


@pytest.fixture
def bystander(server):
    """Someone chatting normally; after every attack they must still be served."""
    # A user per test: the message budget is per user.
    client = ChatClient(server.url, login(server.url, f"by{uuid.uuid4().hex[:8]}")).connect()
    assert client.call("join", {"room": "lobby"})["ok"]
    yield client
    reply = client.call("send", {"room": "lobby", "text": "still fine"})
    assert reply["ok"], reply
    client.close()


OPEN: list = []


@pytest.fixture(autouse=True)
def close_raw_sockets():
    yield
    while OPEN:
        ws = OPEN.pop().ws
        ws.close()
        # close() does nothing once the server has dropped the connection;
        # shutdown() always releases the OS socket.
        ws.shutdown()


class Raw:
    """A hand-driven Engine.IO 4 / Socket.IO 5 websocket (closed after each test)."""

    def __init__(self, server, token=None):
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=10)
        OPEN.append(self)
        assert self.ws.recv().startswith("0{")  # Engine.IO open
        if token:
            self.ws.send("40" + json.dumps({"token": token}))
            assert self.ws.recv().startswith("40{")

    def call(self, ack_id, event, data):
        self.ws.send(f"42{ack_id}" + json.dumps([event, data]))
        while True:
            frame = self.ws.recv()
            if frame.startswith(f"43{ack_id}"):
                return json.loads(frame[len(f"43{ack_id}") :])[0]

    def closed(self):
        """True once the server has closed the connection (after any backlog)."""
        try:
            for _ in range(100_000):
                if self.ws.recv() == "":
                    return True
        except (websocket.WebSocketException, ConnectionError, OSError):
            # Closed, timed out, or a torn last frame (the server cut the
            # connection while writing to it): the connection is gone.
            return True
        return False


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
def test_malformed_packets(server, bystander, frame):
    raw = Raw(server, login(server.url, "malformed"))
    raw.ws.send(frame)
    # Either ignored or that one connection is closed; the server lives on.
    try:
        raw.ws.send("3")
    except (websocket.WebSocketConnectionClosedException, OSError):
        pass
    raw.ws.close()


def test_binary_attachments_that_never_arrive(server, bystander):
    raw = Raw(server, login(server.url, "binary"))
    raw.ws.send('451-["send",{"room":"lobby","text":{"_placeholder":true,"num":0}}]')
    raw.ws.close()


def test_frame_above_the_size_limit_closes_only_that_connection(server, bystander):
    raw = Raw(server, login(server.url, "bigframe"))
    raw.ws.send("42" + json.dumps(["send", {"room": "lobby", "text": "x" * 200_000}]))
    assert raw.closed()


def test_unauthenticated_namespace_connect_is_refused(server, bystander):
    raw = Raw(server)
    raw.ws.send('40{"token":"forged"}')
    reply = raw.ws.recv()
    assert reply.startswith("44") and '"unauthorized"' in reply
    raw.ws.close()


def test_ten_thousand_joins_from_one_user_are_cut_off(server, bystander):
    raw = Raw(server, login(server.url, "joiner"))
    refused = 0
    for n in range(10_000):
        try:
            reply = raw.call(n, "join", {"room": f"r{n}"})
        except (websocket.WebSocketException, ConnectionError, OSError):
            break
        refused += not reply["ok"]
    else:
        pytest.fail("10,000 joins went through")
    assert refused >= 1 and n < 200  # the join budget, then the flood disconnect


def test_a_message_flood_is_cut_off(server, bystander):
    raw = Raw(server, login(server.url, "flooder"))
    assert raw.call(0, "join", {"room": "lobby"})["ok"]
    for n in range(1, 5_000):
        try:
            raw.ws.send(f"42{n}" + json.dumps(["send", {"room": "lobby", "text": f"f{n}"}]))
        except (websocket.WebSocketException, ConnectionError, OSError):
            break
    assert raw.closed()
    # The flood put at most the budget (10 per 10 s) into the room.
    texts = [m["text"] for m in bystander.received("message") if m["user"] == "flooder"]
    assert len(texts) <= 10


def test_five_hundred_sessions_for_one_user(server, bystander):
    token = login(server.url, "manysessions")
    opened, refused = [], 0
    for _ in range(500):
        raw = Raw(server)
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


def test_a_client_that_never_reads(server, bystander):
    """Requests answered into a socket nobody reads: only that socket stalls."""
    token = login(server.url, "sleeper")
    raw = Raw(server, token)
    raw.call(0, "join", {"room": "lobby"})
    raw.ws.sock.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_RCVBUF, 4096)
    big = {"room": "lobby", "limit": 100}
    for n in range(1, 2000):
        try:
            raw.ws.send(f"42{n}" + json.dumps(["history", big]))
        except (websocket.WebSocketTimeoutException, OSError):
            break  # our own send buffer is full too: the server stopped reading us
    # Meanwhile everybody else is served (the bystander fixture checks it again).
    assert bystander.call("history", {"room": "lobby", "limit": 5})["ok"]
    raw.ws.sock.close()
