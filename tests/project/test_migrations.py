"""The committed migrations build exactly the schema the models describe."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from chatapp import create_app
from chatapp.extensions import db
from tests.helpers.config import BASE_CONFIG


def schema_differences(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_match_the_models(empty_database):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
    try:
        assert schema_differences(app) == []
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_model_change_without_migration_is_detected(empty_database):
    """The check above can fail: a column the migrations lack shows up."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE rooms ADD COLUMN stray INTEGER"))
    try:
        differences = schema_differences(app)
        assert any(diff[0] == "remove_column" and diff[3].name == "stray" for diff in differences)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_migrations_downgrade_to_empty_and_upgrade_again(empty_database):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert {"users", "rooms", "messages", "memberships"} <= set(
            sa.inspect(db.engine).get_table_names()
        )
        db.engine.dispose()


def test_0003_renames_invalid_rooms_and_buries_unpublishable_events(empty_database):
    """Rooms the old `.match(...$)` check let in get whole-string valid, unique names."""
    import re
    from datetime import UTC, datetime

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    now = datetime.now(UTC).replace(tzinfo=None)
    rooms = {
        1: "general",
        2: "x\n",  # -> "x"
        3: "general\n",  # -> "general" is taken -> "general-3"
        4: "\n",  # -> nothing left -> "room-4", taken by room 7 -> "room-4-2"
        5: "b" * 63 + "\n",  # -> "b" * 63 is taken (room 6) -> shortened to fit "-5"
        6: "b" * 63,
        7: "room-4",
    }
    outbox = [
        (1, "e1", "chat.room.x\n.presence"),
        (2, "e2", "chat.room.general.message"),
        (3, "e3", "chat.room..presence"),
        (4, "e4", "chat.room.*.message"),
    ]
    with app.app_context():
        upgrade(revision="0002_outbox")
        with db.engine.begin() as conn:
            for room_id, name in rooms.items():
                conn.execute(
                    sa.text(
                        "INSERT INTO rooms (id, name, created_at, last_seq) VALUES (:i, :n, :t, 0)"
                    ),
                    {"i": room_id, "n": name, "t": now},
                )
            for row_id, event_id, subject in outbox:
                conn.execute(
                    sa.text(
                        "INSERT INTO outbox (id, event_id, subject, payload, created_at)"
                        " VALUES (:i, :e, :s, :p, :t)"
                    ),
                    {"i": row_id, "e": event_id, "s": subject, "p": f'{{"n": {row_id}}}', "t": now},
                )
        upgrade()
        with db.engine.connect() as conn:
            names = dict(conn.execute(sa.text("SELECT id, name FROM rooms")).all())
            pending = conn.execute(sa.text("SELECT event_id FROM outbox")).scalars().all()
            dead = conn.execute(
                sa.text(
                    "SELECT outbox_id, event_id, subject, payload, created_at, error, failed_at"
                    " FROM outbox_dead_letters ORDER BY outbox_id"
                )
            ).all()
        differences = schema_differences(app)
        db.engine.dispose()
    assert names == {
        1: "general",
        2: "x",
        3: "general-3",
        4: "room-4-2",
        5: "b" * 62 + "-5",
        6: "b" * 63,
        7: "room-4",
    }
    assert all(re.fullmatch(r"[a-z0-9_-]{1,64}", name) for name in names.values())
    assert pending == ["e2"]
    assert [(r.outbox_id, r.event_id, r.subject, r.payload) for r in dead] == [
        (1, "e1", "chat.room.x\n.presence", '{"n": 1}'),
        (3, "e3", "chat.room..presence", '{"n": 3}'),
        (4, "e4", "chat.room.*.message", '{"n": 4}'),
    ]
    assert all("invalid NATS subject" in r.error and r.failed_at for r in dead)
    assert differences == []
