"""Per-room sequence numbers stay gap-free and unique under concurrent senders."""

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from chatapp.extensions import db
from chatapp.models import Message, Room
from chatapp.services import accounts, messages, rooms


def seqs(app, room_id):
    with app.app_context():
        return db.session.scalars(
            select(Message.seq).where(Message.room_id == room_id).order_by(Message.seq)
        ).all()


def test_sequence_starts_at_one_and_counts_per_room(app, two_users):
    (alice_id, _), room_id = two_users
    with app.app_context():
        alice = db.session.get(accounts.User, alice_id)
        room = db.session.get(Room, room_id)
        other = rooms.create_room(alice, "other")
        first, _ = messages.store_message(alice, room, "one")
        second, _ = messages.store_message(alice, room, "two")
        elsewhere, _ = messages.store_message(alice, other, "three")
        assert (first.seq, second.seq, elsewhere.seq) == (1, 2, 1)
        assert room.last_seq == 2
        assert db.session.get(Room, room_id, populate_existing=True).last_seq == 2


def test_same_client_id_is_stored_once(app, two_users):
    (alice_id, bob_id), room_id = two_users
    with app.app_context():
        alice = db.session.get(accounts.User, alice_id)
        bob = db.session.get(accounts.User, bob_id)
        room = db.session.get(Room, room_id)
        original, created = messages.store_message(alice, room, "hi", "c-1")
        again, created_again = messages.store_message(alice, room, "hi (retry)", "c-1")
        bobs, bob_created = messages.store_message(bob, room, "hi", "c-1")
        assert created and not created_again and bob_created
        assert again.id == original.id and again.text == "hi"
        assert bobs.id != original.id
    assert seqs(app, room_id) == [1, 2]


def test_concurrent_senders_get_gap_free_sequences(app, two_users):
    """Threads with their own connections race to send; numbers stay 1..N."""
    (alice_id, bob_id), room_id = two_users
    senders, per_sender = 8, 25
    errors = []
    barrier = threading.Barrier(senders)

    def send(index):
        try:
            with app.app_context():
                user = db.session.get(accounts.User, alice_id if index % 2 else bob_id)
                room = db.session.get(Room, room_id)
                barrier.wait(timeout=30)
                for n in range(per_sender):
                    messages.store_message(user, room, f"{index}-{n}", f"t{index}-{n}")
                    # Retries of the same client id race with the original.
                    messages.store_message(user, room, f"{index}-{n}", f"t{index}-{n}")
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert seqs(app, room_id) == list(range(1, senders * per_sender + 1))
    with app.app_context():
        assert db.session.get(Room, room_id).last_seq == senders * per_sender


def test_a_failed_send_gives_its_number_back(app, two_users):
    (alice_id, _), room_id = two_users
    with app.app_context():
        alice = db.session.get(accounts.User, alice_id)
        room = db.session.get(Room, room_id)
        messages.store_message(alice, room, "one")
        with pytest.raises(IntegrityError):
            # A text the database refuses (NULL) fails after the seq was taken.
            messages.store_message(alice, room, None)
        db.session.rollback()
        after, _ = messages.store_message(alice, room, "two")
        assert after.seq == 2


def test_a_send_waiting_for_a_kick_stores_nothing(app, two_users):
    """A send blocked on the room lock a kick holds sees the kick once it commits."""
    from sqlalchemy import text

    from chatapp.errors import ChatError
    from chatapp.services import moderation
    from chatapp.services.rooms import end_membership
    from tests.helpers.wait import wait_for

    (alice_id, bob_id), room_id = two_users
    holding, outcome = threading.Event(), {}

    def send():
        with app.app_context():
            bob = db.session.get(accounts.User, bob_id)
            holding.wait(10)
            try:
                outcome["sent"] = messages.send_message(
                    bob, rooms.RoomKey(room_id, "general"), "x", None
                )
            except ChatError as error:
                outcome["refused"] = error.code

    sender = threading.Thread(target=send)
    sender.start()
    with app.app_context():
        alice = db.session.get(accounts.User, alice_id)
        found = moderation.acting(alice, "general")  # the room's row lock (PostgreSQL)
        end_membership(bob_id, found.room)  # not committed yet
        holding.set()
        if db.engine.dialect.name == "postgresql":
            # Commit only once the send waits for the lock: the race under test.
            with db.engine.connect() as watcher:
                waiting = text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                )
                wait_for(lambda: watcher.execute(waiting).scalar(), 10, message="the send to wait")
        db.session.commit()
    sender.join(30)
    assert outcome == {"refused": "not_in_room"}
    assert seqs(app, room_id) == []
