"""Team chat over REST: creating, showing, changing, deleting and leaving rooms; members."""

import pytest

from tests.helpers.errors import assert_error
from tests.helpers.sockets import ack, drain, received

ROUTES = [
    ("POST", "/api/rooms"),
    ("GET", "/api/rooms/team"),
    ("PATCH", "/api/rooms/team"),
    ("DELETE", "/api/rooms/team"),
    ("POST", "/api/rooms/team/leave"),
    ("GET", "/api/rooms/team/members"),
    ("POST", "/api/rooms/team/members/bob"),
    ("DELETE", "/api/rooms/team/members/bob"),
    ("PUT", "/api/rooms/team/members/bob/role"),
    ("POST", "/api/rooms/team/bans/bob"),
    ("DELETE", "/api/rooms/team/bans/bob"),
    ("POST", "/api/direct/bob"),
    ("POST", "/api/rooms/team/read"),
]


def promote(http, user, role="moderator"):
    answer = http.put(f"/api/rooms/team/members/{user}/role", json={"role": role})
    assert answer.status_code == 200, answer.get_json()


@pytest.fixture
def team(login):
    """alice owns the public #team; bob is a member. Their HTTP clients."""
    alice, bob = login("alice"), login("bob")
    assert alice.post("/api/rooms", json={"room": "team"}).status_code == 201
    assert bob.post("/api/rooms/team/join").status_code == 200
    return alice, bob


def test_every_team_route_requires_login(client):
    for method, path in ROUTES:
        assert_error(client.open(path, method=method, json={}), 401, "unauthorized")


def test_create_answers_room_and_the_creator_is_owner(login):
    alice = login("alice")
    created = alice.post("/api/rooms", json={"room": "Ops", "private": True, "topic": " deploys "})
    assert created.status_code == 201
    room = created.get_json()["room"]
    assert room.pop("created").endswith("Z")
    assert room == {
        "name": "ops",
        "private": True,
        "kind": "room",
        "topic": "deploys",
        "members": 1,
    }
    shown = alice.get("/api/rooms/ops").get_json()["room"]
    assert (shown["role"], shown["seq"], shown["last_read_seq"], shown["unread"]) == (
        "owner",
        0,
        0,
        0,
    )
    assert {key: shown[key] for key in room} == room


def test_create_refuses_a_taken_name_and_bad_input(login):
    alice, bob = login("alice"), login("bob")
    assert alice.post("/api/rooms", json={"room": "ops", "private": True}).status_code == 201
    # Taken, even by a room bob cannot see: the one way a private name shows.
    assert_error(bob.post("/api/rooms", json={"room": "OPS"}), 409, "conflict")
    assert_error(bob.post("/api/rooms", json={"room": "no spaces"}), 400, "bad_request")
    assert_error(bob.post("/api/rooms", json={"room": "~1-2"}), 400, "bad_request")
    assert_error(bob.post("/api/rooms", json={}), 422, "bad_request")
    assert_error(bob.post("/api/rooms", json={"room": "x", "private": "yes"}), 422)
    too_long = {"room": "x", "topic": "t" * 251}
    assert_error(bob.post("/api/rooms", json=too_long), 422, "too_long")
    assert_error(bob.post("/api/rooms", data="room", content_type="text/plain"), 415)


def test_a_public_room_shows_its_room_to_a_non_member(team, login):
    carol = login("carol")
    room = carol.get("/api/rooms/TEAM").get_json()["room"]
    assert room["name"] == "team" and room["members"] == 2
    assert "role" not in room and "unread" not in room
    assert_error(carol.get("/api/rooms/missing"), 404, "not_found")
    assert_error(carol.get("/api/rooms/bad%20name"), 400, "bad_request")


def test_update_room_by_role_and_the_members_hear_it(team, connect):
    alice, bob = team
    live = connect("bob")
    drain(live)
    assert_error(bob.patch("/api/rooms/team", json={"topic": "mine"}), 403, "forbidden")
    changed = alice.patch("/api/rooms/team", json={"topic": "Standup at 10"})
    assert changed.status_code == 200
    room = changed.get_json()["room"]
    assert (room["topic"], room["private"]) == ("Standup at 10", False)
    assert received(live, "room_updated") == [{"room": room}]
    promote(alice, "bob")
    cleared = bob.patch("/api/rooms/team", json={"topic": "", "private": True}).get_json()["room"]
    assert (cleared["topic"], cleared["private"]) == (None, True)
    # Nothing given changes nothing.
    assert bob.patch("/api/rooms/team", json={}).get_json()["room"] == cleared
    assert_error(bob.patch("/api/rooms/team", json={"private": 1}), 422, "bad_request")
    assert_error(bob.patch("/api/rooms/team", json={"topic": "x" * 251}), 422, "too_long")


def test_delete_room_owner_only_and_members_are_told(team, connect, login):
    alice, bob = team
    live = connect("bob")
    drain(live)
    promote(alice, "bob")
    assert_error(bob.delete("/api/rooms/team"), 403, "forbidden")
    assert_error(login("carol").delete("/api/rooms/team"), 403, "forbidden")
    deleted = alice.delete("/api/rooms/team")
    assert (deleted.status_code, deleted.get_json()) == (200, {"ok": True})
    assert received(live, "removed") == [
        {"room": "team", "by": "alice", "reason": "deleted", "banned": False}
    ]
    assert_error(alice.get("/api/rooms/team"), 404, "not_found")
    assert_error(alice.delete("/api/rooms/team"), 404, "not_found")
    assert bob.get("/api/me/rooms").get_json() == {"rooms": []}


def test_leave_ends_the_membership_on_every_session(team, connect):
    alice, bob = team
    live = connect("bob")
    drain(live)
    left = bob.post("/api/rooms/team/leave")
    assert (left.status_code, left.get_json()) == (200, {"room": "team"})
    # No session sent it, so every one of bob's sessions is told.
    assert received(live, "removed") == [
        {"room": "team", "by": "bob", "reason": None, "banned": False}
    ]
    assert bob.get("/api/me/rooms").get_json() == {"rooms": []}
    assert_error(bob.post("/api/rooms/team/leave"), 403, "not_in_room")
    assert "role" not in bob.get("/api/rooms/team").get_json()["room"]


def test_deleting_ones_own_membership_is_a_leave(team):
    alice, bob = team
    gone = bob.delete("/api/rooms/team/members/BOB", json={"reason": "unused"})
    assert (gone.status_code, gone.get_json()) == (200, {"ok": True})
    assert [m["user"] for m in alice.get("/api/rooms/team/members").get_json()["members"]] == [
        "alice"
    ]
    # The leave rules hold: alice is the last owner, but now alone, so she may go too.
    assert alice.delete("/api/rooms/team/members/alice").status_code == 200
    assert alice.get("/api/me/rooms").get_json() == {"rooms": []}


def test_members_lists_roles_owners_first_for_members_only(team, login, connect):
    alice, bob = team
    carol = login("carol")
    assert carol.post("/api/rooms/team/join").status_code == 200
    promote(alice, "carol")
    live = connect("bob")
    assert ack(live, "join", {"room": "team"})["ok"]
    answer = carol.get("/api/rooms/team/members")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "room": "team",
        "members": [
            {"user": "alice", "role": "owner", "online": False},
            {"user": "carol", "role": "moderator", "online": False},
            {"user": "bob", "role": "member", "online": True},
        ],
    }
    assert_error(login("dave").get("/api/rooms/team/members"), 403, "not_in_room")
    assert_error(carol.get("/api/rooms/missing/members"), 404, "not_found")
