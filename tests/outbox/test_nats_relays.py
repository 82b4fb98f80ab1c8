"""Two server processes, two relays, one stream: no duplicates, even across a failover."""

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.helpers.realtime import ChatClient, login
from tests.helpers.server import ServerProcess, server_env
from tests.helpers.services import NatsServer, create_postgres_database
from tests.helpers.stream import wait_for_messages


@pytest.fixture
def stack(tmp_path):
    nats_server = NatsServer(tmp_path / "nats").start()
    database_url, drop = create_postgres_database("chatapp_relay")
    env = server_env(
        database_url,
        NATS_URL=nats_server.url,
        NATS_RECONNECT_WAIT="0.5",
        RATELIMIT_MESSAGES="1000 per 10 seconds",
        RATELIMIT_REGISTER="1000 per hour",
    )
    servers = [ServerProcess(env, log_path=tmp_path / f"s{n}.log").start() for n in range(2)]
    yield servers, nats_server, database_url
    for server in servers:
        server.stop()
    nats_server.stop()
    drop()


def count_messages(database_url):
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM messages")).scalar()
    engine.dispose()
    return count


def sender(server, username, room, count, acks):
    client = ChatClient(server.url, login(server.url, username)).connect()
    client.call("join", {"room": room})
    for n in range(count):
        reply = client.call("send", {"room": room, "text": f"{username} {n}"}, timeout=20)
        if reply and reply.get("ok"):
            acks.append(reply["message"]["id"])
    client.close()


def leader_index(servers, tmp_path):
    for n, _ in enumerate(servers):
        if "now relays the outbox" in (tmp_path / f"s{n}.log").read_text():
            return n
    return None


def test_two_relays_publish_each_event_once_in_order(stack):
    servers, nats_server, database_url = stack
    acks: list[int] = []
    threads = [
        threading.Thread(target=sender, args=(server, f"user{n}", "shared", 40, acks))
        for n, server in enumerate(servers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(acks) == 80
    events = wait_for_messages(nats_server.url, 80)
    ids = Counter(event["data"]["id"] for event in events)
    assert set(ids) == set(acks) and max(ids.values()) == 1
    assert [e["data"]["seq"] for e in events] == list(range(1, 81))
    assert count_messages(database_url) == len(events)


def test_the_other_relay_takes_over_when_the_leader_dies(stack, tmp_path):
    servers, nats_server, database_url = stack
    acks: list[int] = []
    sender(servers[0], "early", "failover", 10, acks)
    wait_for_messages(nats_server.url, 10)
    leader = leader_index(servers, tmp_path)
    assert leader is not None
    survivor = servers[1 - leader]
    servers[leader].kill()  # SIGKILL: its advisory lock goes with its connection
    sender(survivor, "late", "failover", 20, acks)
    events = wait_for_messages(nats_server.url, 30)
    ids = Counter(event["data"]["id"] for event in events)
    assert set(ids) == set(acks) and max(ids.values()) == 1
    assert count_messages(database_url) == 30
