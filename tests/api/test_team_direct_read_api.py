"""Team chat over REST: direct conversations, read state and unread counts in the room lists."""

import pytest

from tests.helpers.errors import assert_error
from tests.helpers.sockets import drain, received


def ids(http):
    return http.get("/api/auth/me").get_json()["user"]["id"]


def test_direct_is_created_once_and_found_from_both_sides(login, connect):
    alice, bob = login("alice"), login("bob")
    live = connect("bob")
    drain(live)
    name = f"~{min(ids(alice), ids(bob))}-{max(ids(alice), ids(bob))}"

    opened = alice.post("/api/direct/bob")
    assert opened.status_code == 201
    room = opened.get_json()["room"]
    assert room.pop("created").endswith("Z")
    assert room == {
        "name": name,
        "private": True,
        "kind": "direct",
        "topic": None,
        "members": 2,
        "with": "bob",
    }
    [added] = received(live, "room_added")
    assert (added["room"]["name"], added["room"]["with"], added["by"]) == (name, "alice", "alice")

    again = alice.post("/api/direct/BOB")
    assert again.status_code == 200 and again.get_json()["room"]["name"] == name
    other_side = bob.post("/api/direct/alice")
    assert other_side.status_code == 200
    assert (other_side.get_json()["room"]["name"], other_side.get_json()["room"]["with"]) == (
        name,
        "alice",
    )
    assert received(live, "room_added") == []
    assert [r["name"] for r in bob.get("/api/me/rooms").get_json()["rooms"]] == [name]
    # Messages go through the usual route.
    assert alice.post(f"/api/rooms/{name}/messages", json={"text": "psst"}).status_code == 201
    assert bob.get(f"/api/rooms/{name}").get_json()["room"]["unread"] == 1


def test_direct_refusals(login):
    alice = login("alice")
    login("bob")
    assert_error(alice.post("/api/direct/alice"), 400, "bad_request")
    assert_error(alice.post("/api/direct/nobody"), 404, "not_found")
    assert_error(alice.post("/api/direct/x"), 422, "bad_request")
    assert_error(alice.post("/api/direct/bob%0A"), 422, "bad_request")


def test_a_direct_conversation_has_no_roles_invites_or_leaving(login):
    alice, bob = login("alice"), login("bob")
    login("carol")
    name = alice.post("/api/direct/bob").get_json()["room"]["name"]
    refused = [
        alice.post(f"/api/rooms/{name}/members/carol"),
        alice.delete(f"/api/rooms/{name}/members/bob"),
        alice.post(f"/api/rooms/{name}/bans/bob"),
        alice.delete(f"/api/rooms/{name}/bans/bob"),
        alice.put(f"/api/rooms/{name}/members/bob/role", json={"role": "owner"}),
        alice.patch(f"/api/rooms/{name}", json={"topic": "us"}),
        alice.delete(f"/api/rooms/{name}"),
        alice.post(f"/api/rooms/{name}/leave"),
        bob.delete(f"/api/rooms/{name}/members/bob"),
    ]
    for response in refused:
        assert_error(response, 403, "forbidden")
    members = alice.get(f"/api/rooms/{name}/members").get_json()["members"]
    assert [(m["user"], m["role"]) for m in members] == [("alice", "member"), ("bob", "member")]


@pytest.fixture
def chatty(login):
    """#team with alice and bob; bob wrote three messages, alice one."""
    alice, bob = login("alice"), login("bob")
    assert alice.post("/api/rooms", json={"room": "team"}).status_code == 201
    assert bob.post("/api/rooms/team/join").status_code == 200
    for text in ("one", "two", "three"):
        assert bob.post("/api/rooms/team/messages", json={"text": text}).status_code == 201
    assert alice.post("/api/rooms/team/messages", json={"text": "mine"}).status_code == 201
    return alice, bob


def unread(http):
    """team's unread count in GET /api/me/rooms and in GET /api/rooms (which must agree)."""
    [mine] = http.get("/api/me/rooms").get_json()["rooms"]
    [listed] = [r for r in http.get("/api/rooms").get_json()["rooms"] if r["name"] == "team"]
    assert listed["unread"] == mine["unread"]
    return mine["unread"]


def test_read_moves_forward_only_and_unread_counts_follow(chatty, connect):
    alice, bob = chatty
    live = connect("alice")
    drain(live)
    # alice's own message does not count as unread for her.
    assert unread(alice) == 3 and unread(bob) == 1

    read = alice.post("/api/rooms/team/read", json={"seq": 2})
    assert (read.status_code, read.get_json()) == (200, {"room": "team", "last_read_seq": 2})
    assert unread(alice) == 1
    # Told to every live session: the HTTP request came from none of them.
    assert received(live, "read") == [{"room": "team", "last_read_seq": 2}]

    back = alice.post("/api/rooms/TEAM/read", json={"seq": 1})
    assert back.get_json() == {"room": "team", "last_read_seq": 2}
    assert received(live, "read") == []
    assert unread(alice) == 1

    past = alice.post("/api/rooms/team/read", json={"seq": 99})
    assert past.get_json() == {"room": "team", "last_read_seq": 4}
    assert unread(alice) == 0
    [mine] = alice.get("/api/me/rooms").get_json()["rooms"]
    assert (mine["seq"], mine["last_read_seq"], mine["role"]) == (4, 4, "owner")


def test_read_refusals(chatty, login):
    alice, _ = chatty
    assert_error(alice.post("/api/rooms/team/read", json={"seq": -1}), 422, "bad_request")
    assert_error(alice.post("/api/rooms/team/read", json={"seq": "3"}), 422, "bad_request")
    assert_error(alice.post("/api/rooms/team/read", json={}), 422, "bad_request")
    carol = login("carol")
    assert_error(carol.post("/api/rooms/team/read", json={"seq": 1}), 403, "not_in_room")
    assert_error(carol.post("/api/rooms/missing/read", json={"seq": 1}), 404, "not_found")


def test_me_rooms_lists_memberships(chatty, login):
    alice, _ = chatty
    assert alice.post("/api/rooms", json={"room": "hidden", "private": True}).status_code == 201
    rooms = alice.get("/api/me/rooms").get_json()["rooms"]
    assert [r["name"] for r in rooms] == ["hidden", "team"]
    team = rooms[1]
    assert team.pop("created").endswith("Z")
    assert team == {
        "name": "team",
        "private": False,
        "kind": "room",
        "topic": None,
        "members": 2,
        "role": "owner",
        "last_read_seq": 0,
        "seq": 4,
        "unread": 3,
    }
