"""A private room or a direct conversation is, to anyone outside it, a name nobody has.

Every route answers an outsider with the same bytes before the room exists
and after, so not even a status, a code or a message tells it apart.
"""

import pytest

from tests.helpers.errors import assert_error


def requests_on(name):
    """Every room route, as the outsider carol would try it on `name`."""
    return [
        ("GET", f"/api/rooms/{name}", None),
        ("PATCH", f"/api/rooms/{name}", {"topic": "mine now"}),
        ("DELETE", f"/api/rooms/{name}", None),
        ("POST", f"/api/rooms/{name}/join", None),
        ("POST", f"/api/rooms/{name}/join", {}),
        ("POST", f"/api/rooms/{name}/leave", None),
        ("GET", f"/api/rooms/{name}/messages", None),
        ("GET", f"/api/rooms/{name}/messages?after_seq=0", None),
        ("POST", f"/api/rooms/{name}/messages", {"text": "hello?"}),
        ("POST", f"/api/rooms/{name}/messages", {"text": "#members"}),
        ("GET", f"/api/rooms/{name}/members", None),
        ("POST", f"/api/rooms/{name}/members/carol", None),
        ("POST", f"/api/rooms/{name}/members/alice", None),
        ("DELETE", f"/api/rooms/{name}/members/alice", {"reason": "x"}),
        ("DELETE", f"/api/rooms/{name}/members/carol", None),
        ("POST", f"/api/rooms/{name}/bans/alice", None),
        ("DELETE", f"/api/rooms/{name}/bans/alice", None),
        ("PUT", f"/api/rooms/{name}/members/alice/role", {"role": "member"}),
        ("POST", f"/api/rooms/{name}/read", {"seq": 1}),
    ]


def answers(http, name):
    """(request, status, body bytes) for every route on `name`, each a clean 404."""
    seen = []
    for method, path, body in requests_on(name):
        kwargs = {} if body is None else {"json": body}
        response = http.open(path, method=method, **kwargs)
        assert_error(response, 404, "not_found")
        seen.append((method, path, response.status_code, response.data))
    return seen


def user_id(http):
    return http.get("/api/auth/me").get_json()["user"]["id"]


@pytest.mark.parametrize(
    ("kind", "outsider_is_admin"),
    [("private", False), ("direct", False), ("direct", True)],
)
def test_an_outsider_gets_the_answers_of_a_missing_name(login, runner, kind, outsider_is_admin):
    alice, bob, carol = login("alice"), login("bob"), login("carol")
    if outsider_is_admin:  # admins moderate every room, but not others' direct conversations
        assert runner.invoke(args=["users", "promote", "carol"]).exit_code == 0
    if kind == "private":
        name = "secret"
    else:
        low, high = sorted((user_id(alice), user_id(bob)))
        name = f"~{low}-{high}"
    missing = answers(carol, name)

    if kind == "private":
        created = alice.post("/api/rooms", json={"room": name, "private": True, "topic": "shh"})
        assert created.status_code == 201
        assert alice.post(f"/api/rooms/{name}/members/bob").status_code == 201
    else:
        assert alice.post("/api/direct/bob").status_code == 201
    assert alice.post(f"/api/rooms/{name}/messages", json={"text": "between us"}).status_code == 201
    assert bob.get(f"/api/rooms/{name}").status_code == 200

    assert answers(carol, name) == missing
    # Nothing carol tried changed the room.
    members = alice.get(f"/api/rooms/{name}/members").get_json()["members"]
    assert sorted(m["user"] for m in members) == ["alice", "bob"]
    assert alice.get(f"/api/rooms/{name}").get_json()["room"]["topic"] == (
        "shh" if kind == "private" else None
    )


def test_creating_a_taken_private_name_is_the_documented_conflict(login):
    alice, carol = login("alice"), login("carol")
    assert alice.post("/api/rooms", json={"room": "secret", "private": True}).status_code == 201
    assert_error(carol.post("/api/rooms", json={"room": "secret"}), 409, "conflict")
    joined = carol.post("/api/rooms/secret/join", json={"create": True})
    assert_error(joined, 409, "conflict")
    assert_error(carol.post("/api/rooms/secret/join"), 404, "not_found")


def listed(http, limit=50):
    """Every room name GET /api/rooms shows, following the cursor page by page."""
    names, after = [], ""
    while True:
        page = http.get(f"/api/rooms?limit={limit}&after={after}").get_json()
        names += [room["name"] for room in page["rooms"]]
        if page["next_cursor"] is None:
            return names
        after = page["next_cursor"]


def test_get_rooms_never_lists_someone_elses_private_room(login, runner):
    alice, bob, carol = login("alice"), login("bob"), login("carol")
    for room, private in (("lobby", False), ("secret", True), ("zzz", True)):
        assert alice.post("/api/rooms", json={"room": room, "private": private}).status_code == 201
    direct = alice.post("/api/direct/bob").get_json()["room"]["name"]
    assert runner.invoke(args=["users", "promote", "carol"]).exit_code == 0

    assert listed(carol) == ["lobby"]
    assert listed(carol, limit=1) == ["lobby"]
    assert listed(bob) == ["lobby", direct]
    assert listed(alice) == ["lobby", "secret", "zzz", direct]
    assert listed(alice, limit=1) == ["lobby", "secret", "zzz", direct]

    rooms = {room["name"]: room for room in alice.get("/api/rooms").get_json()["rooms"]}
    assert (rooms["secret"]["role"], rooms["secret"]["unread"], rooms["secret"]["online"]) == (
        "owner",
        0,
        0,
    )
    assert rooms[direct]["with"] == "bob" and rooms[direct]["role"] == "member"
    [lobby] = carol.get("/api/rooms").get_json()["rooms"]
    assert "role" not in lobby and "unread" not in lobby
