"""Team chat over REST: invites, kicks, bans and roles, each refused below its role."""

import pytest

from tests.helpers.errors import assert_error
from tests.helpers.sockets import drain, received


def member_roles(http, room="team"):
    answer = http.get(f"/api/rooms/{room}/members")
    assert answer.status_code == 200, answer.get_json()
    return {m["user"]: m["role"] for m in answer.get_json()["members"]}


def set_role(http, user, role, room="team"):
    return http.put(f"/api/rooms/{room}/members/{user}/role", json={"role": role})


@pytest.fixture
def team(login):
    """#team (public): alice owner, bob moderator, carol member; dave has an account."""
    alice, bob, carol = login("alice"), login("bob"), login("carol")
    login("dave")
    assert alice.post("/api/rooms", json={"room": "team"}).status_code == 201
    for http in (bob, carol):
        assert http.post("/api/rooms/team/join").status_code == 200
    assert set_role(alice, "bob", "moderator").get_json() == {"ok": True}
    return alice, bob, carol


def test_any_member_invites_to_a_public_room(team, login, connect):
    _, _, carol = team
    dave = connect("dave")
    drain(dave)
    invited = carol.post("/api/rooms/team/members/DAVE")
    assert (invited.status_code, invited.get_json()) == (201, {"room": "team", "user": "dave"})
    [added] = received(dave, "room_added")
    assert (added["room"]["name"], added["room"]["role"], added["by"]) == (
        "team",
        "member",
        "carol",
    )
    assert member_roles(carol)["dave"] == "member"
    assert_error(carol.post("/api/rooms/team/members/dave"), 409, "conflict")
    assert_error(carol.post("/api/rooms/team/members/nobody"), 404, "not_found")
    assert_error(carol.post("/api/rooms/team/members/x"), 422, "bad_request")
    assert_error(carol.post("/api/rooms/team/members/eve%0A"), 422, "bad_request")
    assert_error(carol.post("/api/rooms/bad%0A/members/dave"), 400, "bad_request")
    # Someone outside a public room may not add people to it.
    assert_error(login("eve").post("/api/rooms/team/members/eve"), 403, "not_in_room")


def test_only_moderators_invite_to_a_private_room(team):
    alice, bob, carol = team
    assert alice.patch("/api/rooms/team", json={"private": True}).status_code == 200
    assert_error(carol.post("/api/rooms/team/members/dave"), 403, "forbidden")
    assert bob.post("/api/rooms/team/members/dave").status_code == 201


def test_kick_by_role_with_a_reason(team, connect):
    alice, bob, carol = team
    live = connect("carol")
    drain(live)
    assert_error(carol.delete("/api/rooms/team/members/bob"), 403, "forbidden")
    # A moderator cannot remove an owner.
    assert_error(bob.delete("/api/rooms/team/members/alice"), 403, "forbidden")
    too_long = {"reason": "r" * 251}
    assert_error(bob.delete("/api/rooms/team/members/carol", json=too_long), 422)

    kicked = bob.delete("/api/rooms/team/members/carol", json={"reason": "spam"})
    assert (kicked.status_code, kicked.get_json()) == (200, {"ok": True})
    assert received(live, "removed") == [
        {"room": "team", "by": "bob", "reason": "spam", "banned": False}
    ]
    assert "carol" not in member_roles(alice)
    assert_error(bob.delete("/api/rooms/team/members/carol"), 404, "not_found")
    # Kicked, not banned: carol may come back. Without a body, no reason.
    assert carol.post("/api/rooms/team/join").status_code == 200
    assert alice.delete("/api/rooms/team/members/bob").status_code == 200
    assert set(member_roles(alice)) == {"alice", "carol"}


def test_a_ban_keeps_out_of_join_and_invite_until_unban(team, login, connect):
    alice, bob, carol = team
    live = connect("carol")
    drain(live)
    assert_error(carol.post("/api/rooms/team/bans/dave"), 403, "forbidden")
    assert_error(bob.post("/api/rooms/team/bans/alice"), 403, "forbidden")
    assert_error(bob.post("/api/rooms/team/bans/bob"), 403, "forbidden")

    banned = bob.post("/api/rooms/team/bans/carol", json={"reason": "flooding"})
    assert (banned.status_code, banned.get_json()) == (201, {"ok": True})
    assert received(live, "removed") == [
        {"room": "team", "by": "bob", "reason": "flooding", "banned": True}
    ]
    assert_error(bob.post("/api/rooms/team/bans/carol"), 409, "conflict")
    assert_error(carol.post("/api/rooms/team/join"), 403, "forbidden")
    assert_error(alice.post("/api/rooms/team/members/carol"), 403, "forbidden")
    assert_error(carol.delete("/api/rooms/team/bans/carol"), 403, "forbidden")
    # A non-member can be banned before they ever come.
    assert bob.post("/api/rooms/team/bans/dave").status_code == 201
    assert_error(login("dave").post("/api/rooms/team/join"), 403, "forbidden")

    lifted = bob.delete("/api/rooms/team/bans/carol")
    assert (lifted.status_code, lifted.get_json()) == (200, {"ok": True})
    assert_error(bob.delete("/api/rooms/team/bans/carol"), 404, "not_found")
    assert carol.post("/api/rooms/team/join").status_code == 200
    assert bob.delete("/api/rooms/team/bans/dave").status_code == 200
    assert alice.post("/api/rooms/team/members/dave").status_code == 201


def test_set_role_is_for_owners(team, connect):
    alice, bob, carol = team
    live = connect("carol")
    drain(live)
    assert_error(set_role(bob, "carol", "moderator"), 403, "forbidden")
    assert_error(set_role(carol, "carol", "owner"), 403, "forbidden")
    assert_error(set_role(alice, "carol", "admin"), 422, "bad_request")
    assert_error(alice.put("/api/rooms/team/members/carol/role", json={}), 422)
    assert_error(set_role(alice, "dave", "moderator"), 404, "not_found")
    assert set_role(alice, "carol", "owner").get_json() == {"ok": True}
    assert received(live, "member") == [
        {"room": "team", "user": "carol", "event": "role", "by": "alice", "role": "owner"}
    ]
    assert member_roles(alice) == {"alice": "owner", "carol": "owner", "bob": "moderator"}
    # An owner can now act on another owner.
    assert set_role(carol, "alice", "member").status_code == 200
    assert member_roles(alice)["alice"] == "member"


def test_the_last_owner_stays_until_another_is_named(team, login, runner):
    alice, bob, _ = team
    assert_error(set_role(alice, "alice", "moderator"), 403, "forbidden")
    assert_error(alice.post("/api/rooms/team/leave"), 403, "forbidden")
    assert_error(alice.delete("/api/rooms/team/members/alice"), 403, "forbidden")
    assert member_roles(alice)["alice"] == "owner"

    assert set_role(alice, "bob", "owner").status_code == 200
    assert alice.post("/api/rooms/team/leave").get_json() == {"room": "team"}
    assert_error(set_role(bob, "bob", "member"), 403, "forbidden")

    # A server admin ranks as owner: they may take the last owner's role away.
    assert runner.invoke(args=["users", "promote", "dave"]).exit_code == 0
    dave = login("dave")
    assert set_role(dave, "bob", "member").status_code == 200
    assert member_roles(bob)["bob"] == "member"


def test_a_server_admin_moderates_a_private_room_without_being_in_it(team, login, runner):
    alice, _, carol = team
    assert alice.patch("/api/rooms/team", json={"private": True}).status_code == 200
    assert runner.invoke(args=["users", "promote", "dave"]).exit_code == 0
    dave = login("dave")
    shown = dave.get("/api/rooms/team").get_json()["room"]
    assert shown["name"] == "team" and "role" not in shown
    assert dave.delete("/api/rooms/team/members/alice").status_code == 200
    assert dave.patch("/api/rooms/team", json={"topic": "admin was here"}).status_code == 200
    # Seen by name, never listed unless a member.
    assert "team" not in [r["name"] for r in dave.get("/api/rooms").get_json()["rooms"]]
    assert dave.delete("/api/rooms/team").status_code == 200
    assert_error(carol.get("/api/rooms/team"), 404, "not_found")
