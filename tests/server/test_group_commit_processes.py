"""Group commit across two server processes on one PostgreSQL database (and one Redis).

Clients of both processes pipeline sends into the same rooms, some sent twice
at once with one client_id (a retry racing its original): every send is
acknowledged, each client_id stored once, every room's seqs run 1..N with no
gap, and every member receives every message once.
"""

import threading
import uuid

import pytest
import requests

from tests.helpers.wait import wait_for

pytestmark = pytest.mark.slow

SERVER_SETTINGS = {
    # Correctness under concurrency, not backpressure: no send is refused `busy`
    # on a machine busy with other tests.
    "SEND_MAX_WAIT": "30",
    "SEND_QUEUE_LIMIT": "1000",
    "RATELIMIT_MESSAGES": "10000 per 10 seconds",
    "RATELIMIT_REGISTER": "1000 per hour",
    "RATELIMIT_ANONYMOUS": "1000 per minute",
}
PER_CLIENT = 30  # sends per client, every fifth twice at once


def send_all(client, rooms, prefix, acks, errors):
    """Emit every send without waiting for acks (so they meet in batches); collect the acks."""
    done = threading.Semaphore(0)
    expected = 0

    def record(sent):
        def callback(reply):
            acks.append((sent, reply))
            done.release()

        return callback

    for n in range(PER_CLIENT):
        sent = {"room": rooms[n % 2], "text": f"{prefix} {n}", "client_id": f"{prefix}-{n}"}
        for _ in range(2 if n % 5 == 0 else 1):
            client.sio.emit("send", sent, callback=record(sent))
            expected += 1
    for _ in range(expected):
        if not done.acquire(timeout=60):
            errors.append(f"{prefix}: an ack never came")
            return


def history(client, room):
    messages, after = [], 0
    while True:
        page = client.call("history", {"room": room, "after_seq": after, "limit": 100})
        assert page["ok"], page
        messages += page["messages"]
        if len(page["messages"]) < 100:
            return messages
        after = messages[-1]["seq"]


def heard(client, room):
    return [m for m in client.received("message") if m["room"] == room]


def batch_sizes(server):
    """(batches, sends) stored by this process, from its /metrics."""
    text = requests.get(f"{server.url}/metrics", timeout=5).text
    values = {}
    for line in text.splitlines():
        for name in ("chatapp_send_batch_size_count", "chatapp_send_batch_size_sum"):
            if line.startswith(name + " "):
                values[name] = float(line.split()[1])
    return values.get("chatapp_send_batch_size_count", 0), values.get(
        "chatapp_send_batch_size_sum", 0
    )


def test_concurrent_sends_on_two_processes_are_gap_free_and_stored_once(servers, clients):
    a, b = servers
    tag = uuid.uuid4().hex[:6]
    rooms = [f"gc{tag}one", f"gc{tag}two"]
    senders = [clients(server, f"gc{tag}{i}") for i, server in enumerate((a, b, a, b, a, b))]
    for client in senders:
        for room in rooms:
            assert client.call("join", {"room": room, "create": True})["ok"]
    acks, errors = [], []
    threads = [
        threading.Thread(target=send_all, args=(client, rooms, f"s{i}", acks, errors))
        for i, client in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not errors
    assert all(reply["ok"] for _, reply in acks), [r for _, r in acks if not r["ok"]][:3]

    # One message per client_id: the two answers of a doubled send are the same message.
    by_client_id = {}
    for sent, reply in acks:
        by_client_id.setdefault(sent["client_id"], set()).add(reply["message"]["id"])
    assert all(len(ids) == 1 for ids in by_client_id.values())
    assert len(by_client_id) == len(senders) * PER_CLIENT

    for room in rooms:
        stored = history(senders[0], room)
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
        assert len(stored) == len(senders) * PER_CLIENT // 2
        ids = {m["id"] for m in stored}
        # Every member, on either process, received each message once.
        for client in senders:
            wait_for(lambda c=client, r=room, n=len(ids): len(heard(c, r)) >= n, 30, message="all")
            # Once each. (In seq order per process; two processes' batches may
            # interleave by a message, so clients order by seq: docs/protocol.md.)
            assert sorted(m["id"] for m in heard(client, room)) == sorted(ids)
    print("batches, sends per process:", batch_sizes(a), batch_sizes(b))
