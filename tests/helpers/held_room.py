"""Holding a room's lock from outside the app, so the group commit's batch waits on it."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from sqlalchemy import text

from chatapp.extensions import db
from chatapp.models import User
from chatapp.services import messages
from chatapp.services.rooms import RoomKey
from tests.helpers.wait import wait_for


def committer(app):
    return app.extensions["chatapp.group_commit"]


@contextmanager
def room_locked(app, room_id: int):
    """An uncommitted UPDATE of the room's row: PostgreSQL's row lock, SQLite's write lock."""
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("UPDATE rooms SET last_seq = last_seq WHERE id = :id"), {"id": room_id})
        try:
            yield
        finally:
            conn.rollback()


def send_in_thread(app, username: str, room: RoomKey, text_: str, client_id=None) -> dict:
    """Start a service-level send in a thread; its result lands in the returned dict."""
    outcome: dict = {}

    def run():
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == username))
            try:
                outcome["sent"] = messages.send_message(user, room, text_, client_id)
            except Exception as error:  # reported to the test through `outcome`
                outcome["error"] = error

    outcome["thread"] = threading.Thread(target=run)
    outcome["thread"].start()
    return outcome


def start_leader(app, username: str, room: RoomKey, text_: str = "first") -> dict:
    """A send that leads a batch stuck on the room's lock (held by the caller)."""
    outcome = send_in_thread(app, username, room, text_)
    # Leading, and its batch taken off the queue (so the queue counts only later sends).
    wait_for(
        lambda: committer(app)._leading and committer(app).waiting == 0,
        10,
        message="a batch in flight",
    )
    return outcome


def queue_sends(app, sends) -> list[dict]:
    """Start `sends` (tuples of send_in_thread's arguments after `app`), one queued at a time.

    Each waits in the queue before the next starts, so the queue's order is the list's.
    """
    before = committer(app).waiting
    started = []
    for args in sends:
        started.append(send_in_thread(app, *args))
        expected = before + len(started)
        wait_for(lambda e=expected: committer(app).waiting >= e, 10, message="sends queued")
    return started


def finish(*outcomes: dict) -> None:
    for outcome in outcomes:
        outcome["thread"].join(30)
        assert not outcome["thread"].is_alive()
