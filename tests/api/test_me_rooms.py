"""GET /api/me/rooms: the caller's memberships, which the terminal client rejoins on start."""

from sqlalchemy import update

from chatapp.extensions import db
from chatapp.models import Membership
from tests.helpers.errors import assert_error
from tests.helpers.sockets import ack


def test_requires_login(client):
    assert_error(client.get("/api/me/rooms"), 401, "unauthorized")


def test_lists_my_memberships_by_name_with_seqs(app, connect):
    alice = connect("alice")
    bob = connect("bob")
    for room in ("zeta", "alpha", "mid"):
        assert ack(alice, "join", {"room": room, "create": True})["ok"]
    assert ack(bob, "join", {"room": "bobs", "create": True})["ok"]
    assert ack(bob, "join", {"room": "alpha", "create": True})["ok"]
    for text in ("one", "two"):
        assert ack(bob, "send", {"room": "alpha", "text": text})["ok"]
    assert ack(alice, "send", {"room": "zeta", "text": "z"})["ok"]
    with app.app_context():
        db.session.execute(update(Membership).values(last_read_seq=1))
        db.session.commit()

    answer = alice.http.get("/api/me/rooms")
    assert answer.status_code == 200
    # alice's rooms only (not #bobs), sorted by name: MEMBERSHIP, with the room's
    # newest seq and the messages of others after last_read_seq.
    rooms = answer.get_json()["rooms"]
    for room in rooms:
        assert room.pop("created").endswith("Z")
    assert rooms == [
        {
            "name": "alpha",
            "private": False,
            "kind": "room",
            "topic": None,
            "members": 2,
            "role": "owner",
            "seq": 2,
            "last_read_seq": 1,
            "unread": 1,
        },
        {
            "name": "mid",
            "private": False,
            "kind": "room",
            "topic": None,
            "members": 1,
            "role": "owner",
            "seq": 0,
            "last_read_seq": 1,
            "unread": 0,
        },
        {
            "name": "zeta",
            "private": False,
            "kind": "room",
            "topic": None,
            "members": 1,
            "role": "owner",
            "seq": 1,
            "last_read_seq": 1,
            "unread": 0,
        },
    ]
    # A leave ends the membership; a disconnect does not.
    assert ack(alice, "leave", {"room": "mid"})["ok"]
    alice.disconnect()
    names = [r["name"] for r in alice.http.get("/api/me/rooms").get_json()["rooms"]]
    assert names == ["alpha", "zeta"]


def test_a_user_without_rooms_gets_an_empty_list(auth, client):
    auth.signup("carol")
    assert client.get("/api/me/rooms").get_json() == {"rooms": []}
