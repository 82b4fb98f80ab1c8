"""Two server processes, two relays, one stream: no duplicates, even across a failover."""

import threading
from collections import Counter

import pytest
import requests
import sqlalchemy as sa

from tests.helpers.realtime import ChatClient, login
from tests.helpers.stream import wait_for_messages

pytestmark = pytest.mark.slow


def count_messages(database_url):
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM messages")).scalar()
    engine.dispose()
    return count


def sender(server, username, room, count, acks):
    client = ChatClient(server.url, login(server.url, username)).connect()
    client.call("join", {"room": room, "create": True})
    for n in range(count):
        reply = client.call("send", {"room": room, "text": f"{username} {n}"}, timeout=20)
        if reply and reply.get("ok"):
            acks.append(reply["message"]["id"])
    client.close()


def leads(server) -> bool:
    """Whether the server's relay is the leader, as its /metrics say (chatapp_relay_leader)."""
    for line in requests.get(server.url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("chatapp_relay_leader "):
            return float(line.split()[1]) == 1
    raise AssertionError("no chatapp_relay_leader on /metrics")


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


def test_the_other_relay_takes_over_when_the_leader_dies(stack):
    servers, nats_server, database_url = stack
    acks: list[int] = []
    sender(servers[0], "early", "failover", 10, acks)
    wait_for_messages(nats_server.url, 10)
    leading = [leads(server) for server in servers]
    assert sorted(leading) == [False, True]  # one leader at a time
    leader = leading.index(True)
    survivor = servers[1 - leader]
    servers[leader].kill()  # SIGKILL: its advisory lock goes with its connection
    sender(survivor, "late", "failover", 20, acks)
    events = wait_for_messages(nats_server.url, 30)
    ids = Counter(event["data"]["id"] for event in events)
    assert set(ids) == set(acks) and max(ids.values()) == 1
    assert count_messages(database_url) == 30
    assert leads(survivor)
