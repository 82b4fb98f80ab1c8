"""Kicking oneself is refused: it would let the last owner leave a room with no owner."""

from tests.helpers.sockets import ack


def test_the_last_owner_cannot_kick_themselves_out(connect):
    alice, bob = connect("alice"), connect("bob")
    assert ack(alice, "create", {"room": "team"})["ok"]
    assert ack(bob, "join", {"room": "team"})["ok"]
    reply = ack(alice, "kick", {"room": "team", "user": "alice"})
    assert reply["ok"] is False and reply["error"]["code"] == "forbidden"
    assert "leave" in reply["error"]["message"]
    members = ack(alice, "send", {"room": "team", "text": "#members"})["result"]["members"]
    assert [(m["user"], m["role"]) for m in members] == [("alice", "owner"), ("bob", "member")]
