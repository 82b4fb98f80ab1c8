"""The subscription sweep: membership changes the live events missed are corrected."""

from sqlalchemy import delete, select

from chatapp.extensions import db
from chatapp.models import Membership, Room, User
from chatapp.sockets.memberships import Reconciler
from tests.helpers.sockets import ack, drain, received


def ids(app, username, room):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        room_id = db.session.scalar(select(Room.id).where(Room.name == room))
        return user_id, room_id


def bob_removed_from_the_database_only(app, connect):
    """alice and bob in #lobby, then bob's membership deleted in the database alone
    (what the admin CLI does on a server without Redis): (alice, bob, bob's id)."""
    alice, bob = connect("alice"), connect("bob")
    ack(alice, "join", {"room": "lobby", "create": True})
    ack(bob, "join", {"room": "lobby"})
    bob_id, room_id = ids(app, "bob", "lobby")
    with app.app_context():
        db.session.execute(
            delete(Membership).where(Membership.user_id == bob_id, Membership.room_id == room_id)
        )
        db.session.commit()
    return alice, bob, bob_id


def test_a_membership_ended_behind_the_servers_back_is_cut_after_two_sweeps(app, connect):
    alice, bob, _ = bob_removed_from_the_database_only(app, connect)
    drain(alice, bob)
    sweeper = Reconciler()
    with app.app_context():
        assert sweeper.sweep() == 0  # seen once: perhaps a race, not acted on
        ack(alice, "send", {"room": "lobby", "text": "still delivered"})
        assert len(received(bob, "message")) == 1
        assert sweeper.sweep() == 1
    assert received(bob, "removed") == [
        {"room": "lobby", "by": None, "reason": None, "banned": False}
    ]
    [left] = received(alice, "presence")
    assert (left["event"], left["user"]) == ("leave", "bob")
    ack(alice, "send", {"room": "lobby", "text": "not for bob"})
    assert received(bob, "message") == []
    with app.app_context():
        assert sweeper.sweep() == 0  # nothing left to correct


def test_a_membership_added_behind_the_servers_back_is_delivered_after_two_sweeps(app, connect):
    alice, bob = connect("alice"), connect("bob")
    ack(alice, "create", {"room": "ops", "private": True})
    bob_id, room_id = ids(app, "bob", "ops")
    with app.app_context():
        db.session.add(Membership(user_id=bob_id, room_id=room_id, role="member"))
        db.session.commit()
    sweeper = Reconciler()
    with app.app_context():
        assert sweeper.sweep() == 0
        assert sweeper.sweep() == 1
    [added] = received(bob, "room_added")
    assert added["by"] is None and added["room"]["name"] == "ops"
    sent = ack(alice, "send", {"room": "ops", "text": "welcome"})["message"]
    assert received(bob, "message") == [sent]


def test_a_difference_seen_once_is_forgotten_when_it_goes_away(app, connect):
    alice = connect("alice")
    ack(alice, "join", {"room": "lobby", "create": True})
    alice_id, room_id = ids(app, "alice", "lobby")
    sweeper = Reconciler()
    with app.app_context():
        db.session.execute(delete(Membership).where(Membership.room_id == room_id))
        db.session.commit()
        assert sweeper.sweep() == 0
        db.session.add(Membership(user_id=alice_id, room_id=room_id, role="owner"))
        db.session.commit()
        assert sweeper.sweep() == 0 and sweeper.sweep() == 0


def test_a_presence_entry_left_behind_by_another_process_is_forgotten(app, connect):
    """A removal on another process unsubscribes this one's socket but cannot clear its
    presence bookkeeping; the sweep does, so no refresh brings the user back online."""
    from chatapp.extensions import socketio
    from chatapp.presence import local_sessions

    alice, bob, bob_id = bob_removed_from_the_database_only(app, connect)
    with app.app_context():
        # What the Socket.IO queue does for the other process's kick: the socket only.
        sid = bob_sid(app, bob_id)
        socketio.server.leave_room(sid, "lobby", namespace="/")
        drain(alice, bob)
        sweeper = Reconciler()
        assert sweeper.sweep() == 0 and sweeper.sweep() == 1
        assert "lobby" not in local_sessions().get(sid).rooms
    [left] = received(alice, "presence")
    assert (left["event"], left["user"], left["online"]) == ("leave", "bob", 1)
    assert received(bob, "removed") == []  # its socket had been told already


def bob_sid(app, user_id):
    from chatapp.presence import local_sessions

    with app.app_context():
        return next(sid for sid, uid in local_sessions().users().items() if uid == user_id)
