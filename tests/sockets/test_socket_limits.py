"""Socket rate limits: budgets in the limiter's storage, caps, flood disconnects."""

from sqlalchemy import func, select

from chatapp.extensions import db
from chatapp.models import Message, Room
from tests.helpers.sockets import ack


def refusal(reply):
    assert reply["ok"] is False
    assert reply["error"]["code"] == "rate_limited"
    assert isinstance(reply["error"]["retry_after"], int) and reply["error"]["retry_after"] >= 1
    return reply["error"]


def test_message_budget_per_user(limited):
    connect = limited(RATELIMIT_MESSAGES="3 per 10 seconds")
    alice1, alice2, bob = connect("alice"), connect("alice"), connect("bob")
    for sock in (alice1, alice2, bob):
        ack(sock, "join", {"room": "general", "create": True})
    for n in range(3):
        assert ack(alice1, "send", {"room": "general", "text": f"m{n}"})["ok"]
    # The budget is the user's, not the socket's.
    assert refusal(ack(alice2, "send", {"room": "general", "text": "over"}))["retry_after"] <= 10
    assert ack(bob, "send", {"room": "general", "text": "bob is fine"})["ok"]


def test_retries_of_a_stored_message_are_answered_even_over_budget(limited):
    connect = limited(RATELIMIT_MESSAGES="2 per 10 seconds")
    alice = connect()
    ack(alice, "join", {"room": "general", "create": True})
    first = ack(alice, "send", {"room": "general", "text": "hi", "client_id": "c1"})
    for _ in range(3):  # the third is past the budget, and still answered
        assert ack(alice, "send", {"room": "general", "text": "hi", "client_id": "c1"}) == first
    refusal(ack(alice, "send", {"room": "general", "text": "new", "client_id": "c2"}))


def test_a_refused_send_stores_nothing_and_gives_its_seq_back(limited):
    connect = limited(RATELIMIT_MESSAGES="2 per 10 seconds")
    alice = connect()
    ack(alice, "join", {"room": "general", "create": True})
    for n in range(2):
        assert ack(alice, "send", {"room": "general", "text": f"m{n}", "client_id": f"c{n}"})["ok"]
    for _ in range(2):  # the refused client_id stays unused: its retry is refused too
        refusal(ack(alice, "send", {"room": "general", "text": "over", "client_id": "c2"}))
    with connect.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 2
        assert db.session.scalar(select(Room.last_seq).where(Room.name == "general")) == 2


def test_join_budget_per_user(limited):
    connect = limited(RATELIMIT_JOINS="2 per minute")
    alice = connect()
    assert ack(alice, "join", {"room": "a", "create": True})["ok"]
    assert ack(alice, "join", {"room": "b", "create": True})["ok"]
    refusal(ack(alice, "join", {"room": "c", "create": True}))
    # Re-joining a room this session is already in costs nothing.
    assert ack(alice, "join", {"room": "a", "create": True})["ok"]


def test_rooms_per_user_cap(limited):
    connect = limited(MAX_ROOMS_PER_USER=2)
    alice = connect()
    ack(alice, "join", {"room": "a", "create": True})
    ack(alice, "join", {"room": "b", "create": True})
    refusal(ack(alice, "join", {"room": "c", "create": True}))
    ack(alice, "leave", {"room": "a"})
    assert ack(alice, "join", {"room": "c", "create": True})["ok"]


def test_sessions_per_user_cap(limited):
    connect = limited(MAX_SESSIONS_PER_USER=2)
    first, second = connect(), connect()
    assert first.is_connected() and second.is_connected()
    third = connect()
    assert not third.is_connected()
    assert connect("bob").is_connected()
    second.disconnect()
    assert connect().is_connected()


def test_a_flooding_socket_is_disconnected(limited):
    connect = limited(RATELIMIT_MESSAGES="2 per minute", RATELIMIT_FLOOD="5 per minute")
    alice, bob = connect("alice"), connect("bob")
    for sock in (alice, bob):
        ack(sock, "join", {"room": "general", "create": True})
    replies = []
    for n in range(20):
        if not alice.is_connected():
            break
        replies.append(ack(alice, "send", {"room": "general", "text": f"flood {n}"}))
    assert not alice.is_connected()
    assert sum(1 for r in replies if r and r["ok"]) == 2
    assert bob.is_connected()  # only the offender is cut off


def test_ratelimit_enabled_false_turns_socket_limits_off(limited):
    connect = limited(
        RATELIMIT_ENABLED=False, RATELIMIT_MESSAGES="1 per minute", RATELIMIT_JOINS="1 per minute"
    )
    alice = connect()
    for room in ("a", "b", "c"):
        assert ack(alice, "join", {"room": room, "create": True})["ok"]
    for n in range(5):
        assert ack(alice, "send", {"room": "a", "text": f"m{n}"})["ok"]
