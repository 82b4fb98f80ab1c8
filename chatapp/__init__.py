"""chatapp: a self-hosted, real-time, room-based chat server."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from chatapp import config as settings
from chatapp.middleware import direct


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then environment, then `config`."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(settings.FIXED)
    app.config.from_mapping(settings.DEFAULTS)
    if not (config or {}).get("TESTING"):
        app.config.update(settings.from_env())
    app.config.update(config or {})
    app.config.update(settings.derived(app.config))
    settings.check(app.config)
    _check_secret_key(app)
    _default_database(app)

    from chatapp import (
        database,
        errors,
        guards,
        health,
        logs,
        metrics,
        models,  # noqa: F401  (registers the tables for migrations)
        outbox,
        presence,
        sockets,
        tracing,
        web,
    )
    from chatapp.auth import login
    from chatapp.extensions import cors, db, limiter, migrate
    from chatapp.services import group_commit

    database.init_app(app)
    # Batch mode lets the same migrations alter tables on SQLite.
    migrations = os.path.join(os.path.dirname(app.root_path), "migrations")
    migrate.init_app(
        app,
        db,
        directory=migrations,
        render_as_batch=True,
        compare_type=True,
        render_item=database.render_item,
    )
    login.init_app(app)
    errors.keep_retry_after(app)  # before the limiter: runs after its header hook
    limiter.init_app(app)
    if app.config["CORS_ORIGINS"]:
        # One setting for REST and Socket.IO; without it, same origin only.
        cors.init_app(
            app,
            resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
            supports_credentials=True,
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    errors.register_error_handlers(app)
    tracing.init_app(app)
    metrics.init_app(app)
    logs.init_app(app)
    presence.init_app(app)
    group_commit.init_app(app)
    outbox.init_app(app)
    sockets.init_app(app)
    guards.init_app(app)  # after sockets: its Host check wraps Socket.IO too

    from chatapp.api import bp as api_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(health.bp)
    web.init_app(app)

    from chatapp.cli import register_commands

    register_commands(app)

    if app.config["PROXY_FIX_X_FOR"]:
        # Behind nginx: trust that many X-Forwarded-For hops for client addresses.
        # Flask's documented way to add WSGI middleware; mypy sees a method.
        app.wsgi_app = direct(  # type: ignore[method-assign]
            ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)
        )
    return app


def _check_secret_key(app: Flask) -> None:
    """Refuse to run in production without a real SECRET_KEY.

    In development a random key is created once and kept in the instance
    folder, so logins survive restarts without anyone choosing a key.
    """
    key = app.config.get("SECRET_KEY")
    if app.config["CHATAPP_ENV"] == "production":
        settings.check_secret_key(key)
        return
    if not key:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "secret_key")
        if not os.path.exists(path):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write(secrets.token_urlsafe(48))
        with open(path) as f:
            app.config["SECRET_KEY"] = f.read().strip()


def _default_database(app: Flask) -> None:
    """SQLite in the instance folder unless DATABASE_URL says otherwise."""
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "chatapp.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
