"""The REST mirror: the same rules, payloads and broadcast as the socket protocol."""

import pytest

from tests.helpers.errors import assert_error
from tests.helpers.sockets import ack, drain, received


def test_rest_requires_login(client):
    for path in ("/api/rooms", "/api/rooms/general/messages", "/api/me/messages"):
        assert_error(client.get(path), 401, "unauthorized")
    assert_error(client.post("/api/rooms/general/messages", json={"text": "x"}), 401)


def test_post_message_is_stored_broadcast_and_idempotent(alice_http, connect):
    sock, http = alice_http
    bob = connect("bob")
    ack(bob, "join", {"room": "general", "create": True})
    drain(bob)
    body = {"text": "over http", "client_id": "h1"}
    first = http.post("/api/rooms/general/messages", json=body)
    assert first.status_code == 201
    message = first.get_json()["message"]
    assert (message["room"], message["seq"], message["user"]) == ("general", 1, "alice")
    # The same payload a socket sender gets, delivered live to every session.
    assert received(bob, "message") == [message]
    assert received(sock, "message") == [message]
    again = http.post("/api/rooms/general/messages", json=body)
    assert again.status_code == 200 and again.get_json()["message"] == message
    assert received(bob, "message") == []


def test_post_message_applies_the_socket_rules(alice_http):
    _, http = alice_http
    assert_error(http.post("/api/rooms/general/messages", json={"text": " "}), 422, "bad_request")
    too_long = {"text": "x" * 4001}
    assert_error(http.post("/api/rooms/general/messages", json=too_long), 422, "too_long")
    assert_error(
        http.post("/api/rooms/BAD%20NAME/messages", json={"text": "x"}), 400, "bad_request"
    )
    assert_error(http.post("/api/rooms/missing/messages", json={"text": "x"}), 404, "not_found")


def test_post_to_a_room_one_is_not_a_member_of(alice_http, connect):
    bob = connect("bob")
    ack(bob, "join", {"room": "private", "create": True})
    _, http = alice_http
    response = http.post("/api/rooms/private/messages", json={"text": "hi"})
    assert_error(response, 403, "not_in_room")


def test_join_over_http_then_post(connect, app):
    bob = connect("bob")
    ack(bob, "join", {"room": "ops", "create": True})
    drain(bob)
    http = app.test_client()
    body = {"username": "script", "password": "correct horse"}
    http.post("/api/auth/register", json=body)
    token = http.post("/api/auth/login", json=body).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    scripted = app.test_client()
    joined = scripted.post("/api/rooms/ops/join", json={"create": True}, headers=headers)
    assert joined.get_json() == {"room": "ops", "seq": 0}
    posted = scripted.post("/api/rooms/ops/messages", json={"text": "deploy done"}, headers=headers)
    assert posted.status_code == 201
    [message] = received(bob, "message")
    assert (message["user"], message["text"]) == ("script", "deploy done")


def test_room_messages_pagination(alice_http):
    sock, http = alice_http
    for n in range(1, 8):
        ack(sock, "send", {"room": "general", "text": f"m{n}"})
    latest = http.get("/api/rooms/general/messages?limit=3").get_json()
    assert [m["seq"] for m in latest["messages"]] == [5, 6, 7]
    assert latest["seq"] == 7
    older = http.get("/api/rooms/general/messages?limit=3&before_seq=5").get_json()
    assert [m["seq"] for m in older["messages"]] == [2, 3, 4]
    resumed = http.get("/api/rooms/general/messages?after_seq=4").get_json()
    assert [m["seq"] for m in resumed["messages"]] == [5, 6, 7]
    window = http.get("/api/rooms/general/messages?after_seq=2&before_seq=5").get_json()
    assert [m["seq"] for m in window["messages"]] == [3, 4]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=x", "before_seq=-1", "after_seq=1.5"]
)
def test_room_messages_bad_queries(alice_http, query):
    _, http = alice_http
    assert_error(http.get(f"/api/rooms/general/messages?{query}"), 422, "bad_request")


def test_rooms_list_with_online_counts(alice_http, connect):
    _, http = alice_http
    bob = connect("bob")
    ack(bob, "join", {"room": "general", "create": True})
    ack(bob, "join", {"room": "quiet", "create": True})
    body = http.get("/api/rooms").get_json()
    assert [(r["name"], r["online"]) for r in body["rooms"]] == [("general", 2), ("quiet", 1)]
    assert all(r["created"].endswith("Z") for r in body["rooms"])
    page = http.get("/api/rooms?limit=1&after=general").get_json()
    assert [r["name"] for r in page["rooms"]] == ["quiet"]


def test_me_messages_match_the_commands(alice_http, connect):
    sock, http = alice_http
    bob = connect("bob")
    ack(bob, "join", {"room": "general", "create": True})
    ack(sock, "join", {"room": "side", "create": True})
    ack(sock, "send", {"room": "general", "text": "a1"})
    ack(bob, "send", {"room": "general", "text": "b1"})
    ack(sock, "send", {"room": "side", "text": "a2"})
    sent = http.get("/api/me/messages").get_json()
    assert [m["text"] for m in sent["messages"]] == ["a1", "a2"]
    command = ack(sock, "send", {"room": "general", "text": "#all_messages"})["result"]
    assert command["messages"] == sent["messages"]
    rooms = http.get("/api/me/rooms/messages").get_json()
    assert [m["text"] for m in rooms["messages"]] == ["a1", "b1", "a2"]
    paged = http.get("/api/me/rooms/messages?limit=2").get_json()
    assert [m["text"] for m in paged["messages"]] == ["b1", "a2"]
    cursor = paged["next_cursor"]
    older = http.get(f"/api/me/rooms/messages?limit=2&before_id={cursor}").get_json()
    assert [m["text"] for m in older["messages"]] == ["a1"]
    assert older["next_cursor"] is None
