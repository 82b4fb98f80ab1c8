"""The committed migrations build exactly the schema the models describe."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from chatapp import create_app
from chatapp.extensions import db
from tests.conftest import BASE_CONFIG
from tests.services import create_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url, drop = create_postgres_database("chatapp_migrate")
    yield url
    drop()


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
