"""Every chat event on NATS JetStream, once, in order, through outages (real nats-server)."""

import json
import sqlite3
from collections import Counter, defaultdict

import pytest
import requests

from tests.helpers.realtime import ChatClient, login
from tests.helpers.services import NatsServer
from tests.helpers.stream import read_stream, wait_for_messages
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow


def stored_messages(tmp_path):
    with sqlite3.connect(tmp_path / "chat.db") as conn:
        return conn.execute("SELECT id, seq FROM messages ORDER BY id").fetchall()


def send_many(server, count, rooms=("alpha", "beta", "gamma"), username="alice"):
    client = ChatClient(server.url, login(server.url, username)).connect()
    for room in rooms:
        assert client.call("join", {"room": room, "create": True})["ok"]
    acks = []
    for n in range(count):
        reply = client.call("send", {"room": rooms[n % len(rooms)], "text": f"m{n}"})
        assert reply["ok"], reply
        acks.append(reply["message"])
    client.close()
    return acks


def assert_once_in_order(events, acks):
    """Each acknowledged message exactly once, and in seq order within each room."""
    ids = Counter(event["data"]["id"] for event in events)
    assert all(n == 1 for n in ids.values()), "duplicates in the stream"
    assert set(ids) == {ack["id"] for ack in acks}
    per_room = defaultdict(list)
    for event in events:
        per_room[event["data"]["room"]].append(event["data"]["seq"])
    for seqs in per_room.values():
        assert seqs == sorted(seqs)


def test_jetstream_gets_every_event_once_in_per_room_order(nats_server, chat_server):
    server = chat_server(NATS_URL=nats_server.url)
    acks = send_many(server, 30)
    events = wait_for_messages(nats_server.url, 30)
    assert_once_in_order(events, acks)
    # The NATS form of a message is the socket form, plus the envelope.
    by_id = {event["data"]["id"]: event for event in events}
    for ack in acks:
        event = by_id[ack["id"]]
        assert event["data"] == ack
        assert event["schema"] == 1 and event["type"] == "message.created"
        assert len(event["trace_id"]) >= 8 and len(event["id"]) == 36
    everything = read_stream(nats_server.url)
    subjects = {subject for subject, _ in everything}
    assert {"chat.room.alpha.message", "chat.room.beta.message", "chat.user.created"} <= subjects
    presence = [e for s, e in everything if s == "chat.room.alpha.presence"]
    assert presence and presence[0]["data"]["event"] == "join"
    users = [e["data"]["username"] for s, e in everything if s == "chat.user.created"]
    assert users == ["alice"]


def test_trace_id_of_a_rest_send_reaches_the_event(nats_server, chat_server):
    server = chat_server(NATS_URL=nats_server.url)
    token = login(server.url, "alice")
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "trace-abc-123456"}
    requests.post(
        f"{server.url}/api/rooms/ops/join", json={"create": True}, headers=headers, timeout=5
    )
    reply = requests.post(
        f"{server.url}/api/rooms/ops/messages", json={"text": "hi"}, headers=headers, timeout=5
    )
    assert reply.headers["X-Request-ID"] == "trace-abc-123456"
    [event] = wait_for_messages(nats_server.url, 1)
    assert event["trace_id"] == "trace-abc-123456"


@pytest.mark.parametrize(
    "server_args, chat_env",
    [
        (("--user", "chat", "--pass", "s3cret-pw"), {"url_auth": "chat:s3cret-pw@"}),
        (
            ("--user", "chat", "--pass", "s3cret-pw"),
            {"NATS_USER": "chat", "NATS_PASSWORD": "s3cret-pw"},
        ),
        (("--auth", "tok-123456"), {"NATS_TOKEN": "tok-123456"}),
        (("--auth", "tok-123456"), {"url_auth": "tok-123456@"}),
    ],
    ids=["user-password-url", "user-password-env", "token-env", "token-url"],
)
def test_authenticated_nats(tmp_path, chat_server, server_args, chat_env):
    nats_server = NatsServer(tmp_path / "nats", *server_args).start()
    try:
        env = dict(chat_env)
        prefix = env.pop("url_auth", "")
        url = nats_server.url.replace("nats://", f"nats://{prefix}")
        server = chat_server(NATS_URL=url, **env)
        acks = send_many(server, 3)
        auth = (
            {"user": "chat", "password": "s3cret-pw"}
            if "--user" in server_args
            else {"token": "tok-123456"}
        )
        assert_once_in_order(wait_for_messages(nats_server.url, 3, **auth), acks)
    finally:
        nats_server.stop()


def readiness(server):
    return requests.get(f"{server.url}/readyz", timeout=10)


def test_wrong_credentials_chat_goes_on_and_backlog_follows_the_fix(tmp_path, chat_server):
    nats_server = NatsServer(tmp_path / "nats", "--user", "chat", "--pass", "right-pw").start()
    try:
        server = chat_server(NATS_URL=nats_server.url, NATS_USER="chat", NATS_PASSWORD="wrong-pw")
        acks = send_many(server, 5)  # chat works while NATS refuses us
        ready = readiness(server)
        assert ready.status_code == 200  # NATS is not required for readiness...
        nats = ready.json()["checks"]["nats"]
        assert nats == {**nats, "status": "down", "error": "unavailable"}  # ...but reported down
        assert "uthorization" not in ready.text  # the why is for the logs, not the public
        log = server.log_path.read_text()
        entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert any(
            e["level"] == "ERROR" and "NATS" in e["msg"] and "Authorization Violation" in e["msg"]
            for e in entries
        )
        assert "wrong-pw" not in log  # no secrets in logs
        # The operator fixes the credentials on the NATS side; chatapp catches up alone.
        nats_server.stop()
        nats_server.start("--user", "chat", "--pass", "wrong-pw")
        events = wait_for_messages(nats_server.url, 5, user="chat", password="wrong-pw")
        assert_once_in_order(events, acks)
        wait_for(lambda: readiness(server).json()["checks"]["nats"]["status"] == "up", 15)
    finally:
        nats_server.stop()


def test_outage_mid_run_then_every_message_exactly_once(nats_server, chat_server, tmp_path):
    server = chat_server(NATS_URL=nats_server.url)
    before = send_many(server, 10)
    wait_for_messages(nats_server.url, 10)
    nats_server.stop()
    during = send_many(server, 100, username="bob")  # acked while NATS is down
    nats_server.start()
    events = wait_for_messages(nats_server.url, 110)
    assert_once_in_order(events, before + during)
    assert len(events) == len(stored_messages(tmp_path)) == 110


def test_nats_absent_at_startup(tmp_path, chat_server):
    nats_server = NatsServer(tmp_path / "nats")  # not started yet
    server = chat_server(NATS_URL=nats_server.url)
    acks = send_many(server, 10)
    assert readiness(server).json()["checks"]["nats"]["status"] == "down"
    nats_server.start()
    try:
        assert_once_in_order(wait_for_messages(nats_server.url, 10), acks)
    finally:
        nats_server.stop()


def test_plain_nats_without_jetstream_delivers_at_least_once(nats_server, chat_server):
    import asyncio

    import nats

    received = []

    async def on_message(msg):
        received.append(msg.subject)

    async def listen_while_sending():
        nc = await nats.connect(nats_server.url)
        await nc.subscribe("chat.room.>", cb=on_message)
        await nc.flush()
        await asyncio.to_thread(send_many, server, 5, ("plain",))
        for _ in range(200):
            if sum(1 for s in received if s.endswith(".message")) >= 5:
                break
            await asyncio.sleep(0.05)
        await nc.close()

    server = chat_server(NATS_URL=nats_server.url, NATS_JETSTREAM="false")
    asyncio.run(listen_while_sending())
    assert sum(1 for s in received if s == "chat.room.plain.message") >= 5


def make_tls_files(directory):
    """A throwaway CA and a server certificate for 127.0.0.1, made with openssl."""
    import shutil
    import subprocess

    from tests.helpers.services import require

    require("openssl", shutil.which("openssl") is not None)
    d = str(directory)

    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=chatapp test CA",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "1",
        "-extfile",
        "san.ext",
    )
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


def test_tls_to_nats(tmp_path, chat_server):
    ca, cert, key = make_tls_files(tmp_path)
    nats_server = NatsServer(
        tmp_path / "nats", "--tls", "--tlscert", str(cert), "--tlskey", str(key)
    ).start()
    try:
        server = chat_server(NATS_URL=f"tls://127.0.0.1:{nats_server.port}", NATS_TLS_CA=str(ca))
        acks = send_many(server, 3)
        import ssl

        context = ssl.create_default_context(cafile=str(ca))
        events = wait_for_messages(f"tls://127.0.0.1:{nats_server.port}", 3, tls=context)
        assert_once_in_order(events, acks)
    finally:
        nats_server.stop()


def test_outage_longer_than_the_default_reconnect_budget(nats_server, chat_server, tmp_path):
    """nats-py gives up after 60 attempts by default; chatapp must keep trying."""
    server = chat_server(NATS_URL=nats_server.url, NATS_RECONNECT_WAIT="0.02")
    send_many(server, 1)
    wait_for_messages(nats_server.url, 1)
    nats_server.stop()
    acks = send_many(server, 5, username="bob")
    log = server.log_path

    def attempts():
        return sum(1 for line in log.read_text().splitlines() if "NATS error" in line)

    wait_for(lambda: attempts() > 80, 120, 0.2, "more than 80 failed reconnect attempts")
    nats_server.start()
    events = wait_for_messages(nats_server.url, 6)
    assert {e["data"]["id"] for e in events} >= {a["id"] for a in acks}


def test_credentials_file(tmp_path, chat_server):
    from tests.helpers.natsjwt import make_operator_setup

    config, creds = make_operator_setup(tmp_path)
    nats_server = NatsServer(tmp_path / "nats", "-c", config).start()
    try:
        server = chat_server(NATS_URL=nats_server.url, NATS_CREDS=creds)
        acks = send_many(server, 3)
        events = wait_for_messages(nats_server.url, 3, user_credentials=creds)
        assert_once_in_order(events, acks)
    finally:
        nats_server.stop()


def relay_stuck_metric(server):
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    [line] = [line for line in text.splitlines() if line.startswith("chatapp_relay_stuck ")]
    return float(line.split()[1])


def test_readyz_and_metrics_report_a_stuck_relay_until_it_moves(nats_server, chat_server):
    server = chat_server(
        NATS_URL=nats_server.url, NATS_RELAY_STUCK_AFTER="1", RATELIMIT_READYZ="1000 per minute"
    )
    send_many(server, 1)
    wait_for_messages(nats_server.url, 1)
    wait_for(lambda: readiness(server).json()["checks"]["relay"]["status"] == "idle", 15)
    nats_server.stop()
    acks = send_many(server, 3, username="bob")  # chat goes on; the events wait

    def stuck():
        response = readiness(server)
        relay = response.json()["checks"]["relay"]
        return relay["status"] == "stuck" and (response, relay)

    response, relay = wait_for(stuck, 30, 0.2, "the relay reported stuck")
    assert response.status_code == 200  # reported, never a reason to leave the load balancer
    assert relay["backlog"] >= 3 and relay["oldest_age_s"] >= 1 and relay["stuck_after_s"] == 1
    assert relay_stuck_metric(server) == 1
    nats_server.start()
    events = wait_for_messages(nats_server.url, 4)
    assert {a["id"] for a in acks} <= {e["data"]["id"] for e in events}
    wait_for(lambda: readiness(server).json()["checks"]["relay"]["status"] == "idle", 30, 0.2)
    assert relay_stuck_metric(server) == 0


def test_memberships_are_published_joins_over_rest_included(nats_server, chat_server):
    server = chat_server(NATS_URL=nats_server.url)
    token = login(server.url, "scripter")
    headers = {"Authorization": f"Bearer {token}"}
    joined = requests.post(
        server.url + "/api/rooms/ops/join", json={"create": True}, headers=headers, timeout=10
    )
    assert joined.status_code == 200

    def member_events():
        found = [e for subject, e in read_stream(nats_server.url) if subject.endswith(".member")]
        return found or None

    events = wait_for(member_events, 60, 0.25, "a member event in the stream")
    assert [(e["type"], e["data"]["room"], e["data"]["user"]) for e in events] == [
        ("member.joined", "ops", "scripter")
    ]
