"""Kicks, bans and invites across two real server processes on one PostgreSQL and one Redis.

A removed user's sessions stop receiving the room at once on every process;
an invited user's sessions receive it without a `join` (issue 13).
"""

import pytest

from tests.helpers.team import RELAXED_LIMITS, api, bare, unique

pytestmark = pytest.mark.slow

SERVER_SETTINGS = RELAXED_LIMITS


class Crowd:
    """alice (owner) on A; bob and carol with a session on each process; all in `room`.

    bob and carol are also in `fence`, a public room of carol's: a message there,
    sent last, has reached each of their sessions once it shows up, and with it
    everything the Redis queue carried before it.
    """

    def __init__(self, servers, clients, private):
        a, b = servers
        self.a, self.b, self.private = a, b, private
        self.names = {who: unique(who) for who in ("alice", "bob", "carol")}
        self.alice = clients(a, self.names["alice"])
        self.room, self.fence = unique("r"), unique("f")
        assert self.alice.call("create", {"room": self.room, "private": private})["ok"]
        self.bob_a = clients(a, self.names["bob"])
        self.carol_a = clients(a, self.names["carol"])
        assert self.carol_a.call("create", {"room": self.fence})["ok"]
        for who in ("bob", "carol"):
            self.add(getattr(self, f"{who}_a"), self.names[who])
            assert getattr(self, f"{who}_a").call("join", {"room": self.fence})["ok"]
        # Connected once the memberships exist: subscribed by the connect itself.
        self.bob_b = clients(b, None, token=self.bob_a.token)
        self.carol_b = clients(b, None, token=self.carol_a.token)
        [listed] = [
            r for r in self.bob_b.wait_for("rooms", bool)["rooms"] if r["name"] == self.room
        ]
        assert listed["private"] is private and listed["role"] == "member"

    def add(self, client, username):
        if self.private:
            reply = self.alice.call("invite", {"room": self.room, "user": username})
        else:
            reply = client.call("join", {"room": self.room})
        assert reply["ok"], reply

    def send(self, client, text, room=None):
        reply = client.call("send", {"room": room or self.room, "text": text})
        assert reply["ok"], reply
        return reply["message"]

    def bobs(self):
        return self.bob_a, self.bob_b

    def fenced(self):
        """After a message in the fence room has reached every session of bob and carol."""
        fence = self.send(self.carol_b, "fence", self.fence)
        for client in (*self.bobs(), self.carol_a, self.carol_b):
            client.wait_for("message", lambda m: m["id"] == fence["id"])

    def seen(self, client):
        return [m["text"] for m in client.received("message") if m["room"] == self.room]


@pytest.fixture(params=[False, True], ids=["public", "private"])
def crowd(request, servers, clients):
    return Crowd(servers, clients, request.param)


@pytest.mark.parametrize("action", ["kick", "ban"])
def test_a_removed_user_stops_receiving_the_room_at_once_on_every_process(crowd, action):
    crowd.send(crowd.carol_b, "before")
    crowd.fenced()
    assert all(crowd.seen(bob) == ["before"] for bob in crowd.bobs())
    bob = crowd.names["bob"]
    reply = crowd.alice.call(action, {"room": crowd.room, "user": bob, "reason": "spam"})
    assert bare(reply) == {"ok": True}
    crowd.send(crowd.carol_b, "after, from B")
    crowd.send(crowd.carol_a, "after, from A")
    crowd.fenced()
    removed = {"room": crowd.room, "by": crowd.names["alice"], "reason": "spam"}
    for session in crowd.bobs():
        assert crowd.seen(session) == ["before"]
        assert session.received("removed") == [{**removed, "banned": action == "ban"}]
    # Those who stay hear of it, and still get the room's messages.
    event = "removed" if action == "kick" else "banned"
    crowd.alice.wait_for("member", lambda e: e["user"] == bob and e["event"] == event)
    assert crowd.seen(crowd.carol_a)[-2:] == ["after, from B", "after, from A"]
    # bob cannot write to it from either session (the second never joined it).
    refused = "not_found" if crowd.private else "not_in_room"
    for session in crowd.bobs():
        reply = session.call("send", {"room": crowd.room, "text": "still here?"})
        assert reply["error"]["code"] == refused
    answer = api(crowd.b, crowd.bob_b.token, "get", f"/api/rooms/{crowd.room}/messages")
    assert answer.json()["error"]["code"] == refused
    members = crowd.alice.call("send", {"room": crowd.room, "text": "#members"})["result"]
    assert bob not in [m["user"] for m in members["members"]]
    rooms = api(crowd.a, crowd.bob_a.token, "get", "/api/me/rooms").json()["rooms"]
    assert crowd.room not in [r["name"] for r in rooms]


def test_a_banned_user_stays_out_until_unbanned(crowd):
    bob, room, alice = crowd.names["bob"], crowd.room, crowd.alice
    assert alice.call("ban", {"room": room, "user": bob})["ok"]
    for session in crowd.bobs():
        session.wait_for("removed", lambda e: e["banned"])
    again = crowd.bob_b.call("join", {"room": room})
    # A private room stays invisible to someone no longer in it.
    assert again["error"]["code"] == ("not_found" if crowd.private else "forbidden")
    over_rest = api(crowd.b, crowd.bob_b.token, "post", f"/api/rooms/{room}/join")
    assert over_rest.status_code == (404 if crowd.private else 403)
    invited = alice.call("invite", {"room": room, "user": bob})
    assert invited["error"]["code"] == "forbidden"
    assert alice.call("ban", {"room": room, "user": bob})["error"]["code"] == "conflict"
    assert alice.call("unban", {"room": room, "user": bob})["ok"]
    assert alice.call("unban", {"room": room, "user": bob})["error"]["code"] == "not_found"
    crowd.add(crowd.bob_b, bob)
    if crowd.private:
        crowd.bob_b.wait_for("room_added", lambda e: e["room"]["name"] == room)
    crowd.send(crowd.carol_a, "welcome back")
    crowd.bob_b.wait_for("message", lambda m: m["text"] == "welcome back")


def test_an_invited_user_receives_the_room_on_another_process_without_joining(servers, clients):
    a, b = servers
    alice_name, bob_name = unique("alice"), unique("bob")
    alice = clients(a, alice_name)
    bob_b = clients(b, bob_name)  # connected before the room exists
    bob_a = clients(a, None, token=bob_b.token)
    room = unique("q")
    assert alice.call("create", {"room": room, "private": True, "topic": "hush"})["ok"]
    reply = alice.call("invite", {"room": room, "user": bob_name})
    assert bare(reply) == {"ok": True, "room": room, "user": bob_name}
    for session in (bob_b, bob_a):
        added = session.wait_for("room_added", lambda e: e["room"]["name"] == room)
        assert added["by"] == alice_name
        membership = added["room"]
        assert membership["private"] is True and membership["topic"] == "hush"
        assert membership["role"] == "member" and membership["members"] == 2
    sent = alice.call("send", {"room": room, "text": "hello bob"})["message"]
    for session in (bob_b, bob_a):
        assert session.wait_for("message", lambda m: m["id"] == sent["id"]) == sent
    # bob writes to it without a join, and alice (on the other process) reads it.
    answer = bob_b.call("send", {"room": room, "text": "hi alice"})
    assert answer["ok"], answer
    alice.wait_for("message", lambda m: m["id"] == answer["message"]["id"])
    alice.wait_for("member", lambda e: e["event"] == "added" and e["user"] == bob_name)
    assert alice.call("invite", {"room": room, "user": bob_name})["error"]["code"] == "conflict"


@pytest.mark.parametrize("how", ["create", "join", "rest join"])
def test_a_room_entered_on_one_session_reaches_the_users_others(servers, clients, how):
    """Created or joined on A (socket or REST): bob's session on B receives the room at once."""
    a, b = servers
    bob = unique("bob")
    alice, bob_a = clients(a, unique("alice")), clients(a, bob)
    bob_b = clients(b, None, token=bob_a.token)
    room = unique("e")
    if how == "create":
        entered = bob_a.call("create", {"room": room})
    else:
        assert alice.call("create", {"room": room})["ok"]
        if how == "join":
            entered = bob_a.call("join", {"room": room})
        else:
            entered = api(a, bob_a.token, "post", f"/api/rooms/{room}/join").json()
            entered["ok"] = True
    assert entered["ok"], entered
    added = bob_b.wait_for("room_added", lambda e: e["room"]["name"] == room)
    assert added["by"] == bob
    assert added["room"]["role"] == ("owner" if how == "create" else "member")
    sender = bob_a if how == "create" else alice
    sent = sender.call("send", {"room": room, "text": "everywhere"})["message"]
    for session in (bob_a, bob_b):
        assert session.wait_for("message", lambda m: m["id"] == sent["id"]) == sent
    if how != "rest join":  # the session that did it learns from its ack
        assert [e for e in bob_a.received("room_added") if e["room"]["name"] == room] == []
