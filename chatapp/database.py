"""Database setup: engine options per backend, SQLite pragmas."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from chatapp.extensions import db


def engine_options(uri: str) -> dict:
    """Pool settings fit for many green threads, and recovery after a DB restart."""
    if uri.startswith("sqlite"):
        # Short statements under a 5 s busy timeout; the app is one process.
        return {"connect_args": {"timeout": 5}}
    return {
        "pool_size": 20,
        "max_overflow": 20,
        "pool_timeout": 10,
        # A connection broken by a database restart is noticed and replaced
        # instead of failing the next request.
        "pool_pre_ping": True,
        "pool_recycle": 1800,
    }


def init_app(app: Flask) -> None:
    options = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on (SQLite has them off by default) and WAL for concurrent readers."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def render_item(type_: str, obj, autogen_context):
    """Let Alembic write app-defined column types as plain SQLAlchemy ones.

    Migrations then never import application code, which may change later.
    """
    from chatapp.models.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
