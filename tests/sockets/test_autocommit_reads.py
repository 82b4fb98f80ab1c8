"""A connect's reads run outside any transaction, and leave the pool's connections as they were."""

from contextlib import nullcontext

import pytest
import sqlalchemy as sa

from chatapp import dead_connections
from chatapp.database import autocommit_reads
from chatapp.extensions import db
from chatapp.models import Room
from tests.helpers.services import database_backends

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in database_backends(), reason="psycopg2's autocommit only"
    ),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


def backend_state(admin, pid):
    return admin.execute(
        sa.text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
    ).scalar()


def test_reads_hold_no_transaction(app, admin):
    with app.app_context():
        with autocommit_reads() as reads:
            pid = reads.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            assert reads.execute(sa.select(Room.__table__.c.id)).all() == []
            # No BEGIN was sent: the server holds no transaction for this connection.
            assert backend_state(admin, pid) == "idle"
        # The comparison: a session's read opens a transaction and holds it.
        db.session.execute(sa.select(Room.__table__.c.id)).all()
        session_pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        assert backend_state(admin, session_pid) == "idle in transaction"
        db.session.rollback()


@pytest.mark.parametrize("fails", [False, True], ids=["done", "failed"])
def test_the_connection_goes_back_to_the_pool_transactional(app, fails):
    """The next user of the connection gets transactions again: a rollback undoes its write."""
    with app.app_context():
        db.engine.dispose()  # one connection in the pool: the next checkout gets it again
        with pytest.raises(RuntimeError) if fails else nullcontext():
            with autocommit_reads() as reads:
                used = reads.connection.driver_connection
                assert used.autocommit is True
                if fails:
                    raise RuntimeError("a read failed")
        assert used.autocommit is False
        assert db.session.connection().connection.driver_connection is used
        db.session.add(Room(name="rolled-back"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Room)) == 0


def test_a_connection_pinged_at_checkout_can_be_switched(app, monkeypatch):
    """The idle ping at checkout (chatapp.dead_connections) leaves no transaction open."""
    with app.app_context():
        with autocommit_reads() as reads:
            reads.execute(sa.text("SELECT 1"))
        monkeypatch.setattr(dead_connections, "PING_AFTER_IDLE", 0)  # every checkout pings
        for _ in range(3):
            with autocommit_reads() as reads:
                assert reads.execute(sa.text("SELECT 1")).scalar() == 1
