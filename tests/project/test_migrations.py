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


def test_0005_carries_rooms_over_as_public_rooms_whose_creator_is_owner(empty_database):
    """Today's rooms stay public; the creator owns them, rejoined as owner if they had left."""
    from datetime import UTC, datetime

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    now = datetime.now(UTC).replace(tzinfo=None)
    with app.app_context():
        upgrade(revision="0004_invites")
        with db.engine.begin() as conn:
            for user_id, name in ((1, "alice"), (2, "bob")):
                conn.execute(
                    sa.text(
                        "INSERT INTO users (id, username, name_key, password_hash, is_admin,"
                        " is_disabled, created_at) VALUES (:i, :n, :n, 'x', false, false, :t)"
                    ),
                    {"i": user_id, "n": name, "t": now},
                )
            # general: alice made it and is in it; lobby: bob made it and left;
            # orphan: its creator's account is gone.
            for room_id, name, creator in ((1, "general", 1), (2, "lobby", 2), (3, "orphan", None)):
                conn.execute(
                    sa.text(
                        "INSERT INTO rooms (id, name, created_by, created_at, last_seq)"
                        " VALUES (:i, :n, :c, :t, :i)"
                    ),
                    {"i": room_id, "n": name, "c": creator, "t": now},
                )
            for user_id, room_id in ((1, 1), (2, 1), (1, 2), (2, 3)):
                conn.execute(
                    sa.text(
                        "INSERT INTO memberships (user_id, room_id, joined_at, last_read_seq)"
                        " VALUES (:u, :r, :t, 0)"
                    ),
                    {"u": user_id, "r": room_id, "t": now},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO messages (room_id, seq, user_id, text, created_at, client_id)"
                    " VALUES (1, 1, 1, 'kept', :t, 'c1')"
                ),
                {"t": now},
            )
        upgrade()
        with db.engine.connect() as conn:
            # On SQLite, rebuilding `rooms` with foreign keys on cascaded into these.
            kept = conn.execute(sa.text("SELECT text FROM messages")).scalars().all()
            rooms = conn.execute(
                sa.text("SELECT name, private, kind, topic FROM rooms ORDER BY id")
            ).all()
            roles = conn.execute(
                sa.text("SELECT room_id, user_id, role FROM memberships ORDER BY room_id, user_id")
            ).all()
            read = conn.execute(sa.text("SELECT room_id, last_read_seq FROM memberships")).all()
        differences = schema_differences(app)
        downgrade(revision="0004_invites")
        db.engine.dispose()
    assert [tuple(row) for row in rooms] == [
        ("general", False, "room", None),
        ("lobby", False, "room", None),
        ("orphan", False, "room", None),
    ]
    assert [tuple(row) for row in roles] == [
        (1, 1, "owner"),
        (1, 2, "member"),
        (2, 1, "member"),
        (2, 2, "owner"),
        (3, 2, "member"),
    ]
    assert differences == []
    assert kept == ["kept"]
    # Each membership starts with its room read: rooms.last_seq is the room id here.
    assert read and all(room_id == last_read for room_id, last_read in read)


def test_0005_downgrade_refuses_to_make_private_rooms_public(empty_database, caplog):
    import pytest

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO rooms (name, created_at, last_seq, private, kind)"
                    " VALUES ('secret', CURRENT_TIMESTAMP, 0, true, 'room')"
                )
            )
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error, then exits
            downgrade(revision="0004_invites")
        assert "1 private rooms or direct conversations exist" in caplog.text
        with db.engine.connect() as conn:
            private = conn.execute(sa.text("SELECT private FROM rooms")).scalar()
        db.engine.dispose()
    assert private
