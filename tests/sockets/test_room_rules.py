"""Room rules the audit found missing: visible joins, members-only commands,
honest client_id reuse, '#' text the same on both transports, read budgets."""

from __future__ import annotations

from tests.helpers.sockets import ack, received


def test_a_join_over_rest_is_announced_to_the_room(app, alice, auth, client):
    auth.signup("mallory")
    assert client.post("/api/rooms/general/join", json={"create": True}).status_code == 200
    assert received(alice, "member") == [
        {"room": "general", "user": "mallory", "event": "joined", "by": "mallory"}
    ]
    # Joining again is not news.
    assert client.post("/api/rooms/general/join", json={"create": True}).status_code == 200
    assert received(alice, "member") == []


def test_a_new_member_joining_by_socket_is_announced_too(alice, connect):
    bob = connect("bob")
    assert ack(bob, "join", {"room": "general", "create": True})["ok"]
    events = received(alice, "member")
    assert events == [{"room": "general", "user": "bob", "event": "joined", "by": "bob"}]


def test_users_of_a_room_are_for_its_members_only(alice, connect):
    bob = connect("bob")
    reply = ack(bob, "send", {"room": "general", "text": "#users"})
    assert reply["ok"] is False and reply["error"]["code"] == "not_in_room"
    assert ack(alice, "send", {"room": "general", "text": "#users"})["result"]["users"] == ["alice"]


def test_users_of_a_room_that_does_not_exist_is_not_found(alice):
    reply = ack(alice, "send", {"room": "nowhere", "text": "#users"})
    assert reply["error"]["code"] == "not_found"


def test_a_client_id_reused_for_other_text_is_a_conflict(alice):
    first = ack(alice, "send", {"room": "general", "text": "one", "client_id": "c-1"})
    assert first["ok"]
    again = ack(alice, "send", {"room": "general", "text": "one", "client_id": "c-1"})
    assert again["message"] == first["message"]  # a retry: the original
    other = ack(alice, "send", {"room": "general", "text": "two", "client_id": "c-1"})
    assert other["ok"] is False and other["error"]["code"] == "conflict"


def test_a_client_id_reused_in_another_room_is_a_conflict(alice):
    assert ack(alice, "join", {"room": "random", "create": True})["ok"]
    assert ack(alice, "send", {"room": "general", "text": "one", "client_id": "c-2"})["ok"]
    other = ack(alice, "send", {"room": "random", "text": "one", "client_id": "c-2"})
    assert other["error"]["code"] == "conflict"


def test_a_conflicting_client_id_over_rest_is_409(client, auth):
    auth.signup()
    client.post("/api/rooms/general/join", json={"create": True})
    url = "/api/rooms/general/messages"
    assert client.post(url, json={"text": "one", "client_id": "r-1"}).status_code == 201
    assert client.post(url, json={"text": "one", "client_id": "r-1"}).status_code == 200
    refused = client.post(url, json={"text": "two", "client_id": "r-1"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "conflict"


def test_a_double_hash_posts_text_that_starts_with_a_hash(alice, client, auth):
    sent = ack(alice, "send", {"room": "general", "text": "##hashtag of the day"})
    assert sent["message"]["text"] == "#hashtag of the day"
    auth.signup("bob")
    client.post("/api/rooms/general/join", json={"create": True})
    posted = client.post("/api/rooms/general/messages", json={"text": "##general is busy"})
    assert posted.status_code == 201
    assert posted.get_json()["message"]["text"] == "#general is busy"


def test_commands_over_rest_are_answered_like_over_a_socket(alice, client, auth):
    auth.signup("bob")
    client.post("/api/rooms/general/join", json={"create": True})
    url = "/api/rooms/general/messages"
    answer = client.post(url, json={"text": "#users"})
    assert answer.status_code == 200
    assert answer.get_json()["command"] == "users"
    assert set(answer.get_json()["result"]["users"]) == {"alice"}  # bob has no socket
    unknown = client.post(url, json={"text": "#frobnicate"})
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["code"] == "unknown_command"
    history = client.get("/api/rooms/general/messages").get_json()["messages"]
    assert history == []  # nothing of it was posted


def test_history_pages_spend_a_budget_by_their_size(make_app):
    app = make_app(RATELIMIT_HISTORY="120 per minute")
    from chatapp.extensions import socketio

    sock = socketio.test_client(app, auth={"token": _token(app)})
    assert ack(sock, "join", {"room": "general", "create": True})["ok"]  # 50 of 120
    assert ack(sock, "history", {"room": "general", "limit": 50})["ok"]  # 100
    refused = ack(sock, "history", {"room": "general", "limit": 50})
    assert refused["error"]["code"] == "rate_limited" and refused["error"]["retry_after"] >= 1
    assert ack(sock, "history", {"room": "general", "limit": 20})["ok"]  # 120: small pages fit
    again = ack(
        sock, "join", {"room": "general", "create": True}
    )  # a repeated join costs a page too
    assert again["error"]["code"] == "rate_limited"
    sock.disconnect()


def _token(app) -> str:
    http = app.test_client()
    body = {"username": "reader", "password": "correct horse"}
    http.post("/api/auth/register", json=body)
    return http.post("/api/auth/login", json=body).get_json()["token"]
