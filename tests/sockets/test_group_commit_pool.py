"""Senders waiting for their batch hold no database connection.

Measured at 500 msg/s: waiters kept the connections their reads had taken (the
login re-check, a room lookup), the pool ran dry, and the batch's leader then
waited the pool's timeout for one while every sender waited for the leader.
"""

import pytest

from chatapp.services.rooms import RoomKey
from tests.helpers.held_room import finish, queue_sends, room_locked, start_leader


@pytest.fixture
def app(make_app):
    # Three connections: the test's lock, the batch in flight, and one for
    # everyone else's reads; nobody waits longer than 2 s for one.
    pool = {"pool_size": 3, "max_overflow": 0, "pool_timeout": 2}
    return make_app(SEND_MAX_WAIT=30, SQLITE_BUSY_TIMEOUT=30, SQLALCHEMY_ENGINE_OPTIONS=pool)


def test_queued_senders_leave_the_pool_to_others(app, two_users):
    _, room_id = two_users
    general = RoomKey(room_id, "general")
    with room_locked(app, room_id):
        leader = start_leader(app, "alice", general)
        # Each reads its user first (a connection), then queues: one at a time
        # fits only if each gave its connection back before waiting.
        queued = queue_sends(
            app, [("bob", general, "b1"), ("alice", general, "a1"), ("bob", general, "b2")]
        )
    finish(leader, *queued)
    errors = [o["error"] for o in (leader, *queued) if "error" in o]
    assert errors == []
    assert [o["sent"][0]["seq"] for o in (leader, *queued)] == [1, 2, 3, 4]
