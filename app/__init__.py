"""Rights Desk: UK GDPR data-subject rights for schools' data."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from app.config import Settings, load_settings


def create_app(config: Settings | Mapping[str, str] | None = None) -> Flask:
    """Build the application.

    ``config`` is for tests and scripts: either ready ``Settings`` or a mapping
    read in place of ``os.environ``. Everything else comes from the environment.
    """
    settings = config if isinstance(config, Settings) else load_settings(config)

    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=True)
    app.config.update(settings.flask_config())
    app.extensions["rightsdesk.settings"] = settings
    if not settings.is_production:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO)
    # Alembic announces every autogenerate plugin it loads; that is noise.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from app import crypto, jobs, mail, security
    from app.audit import services as audit
    from app.extensions import csrf, db, migrate

    crypto.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    security.init_app(app)
    jobs.init_app(app)
    audit.init_app(app)
    mail.init_app(app)

    from app import models  # noqa: F401  (every table registered before Alembic looks)

    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    _register_blueprints(app)
    security.skip_limiter_middleware(app)
    _register_cli(app)
    _sqlite_pragmas(app)
    _postgres_liveness(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.console.views import bp as console_bp
    from app.exports.views import bp as downloads_bp
    from app.health.views import bp as health_bp
    from app.intake.views import bp as intake_bp
    from app.sources.consent.views import bp as consent_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(downloads_bp)
    app.register_blueprint(consent_bp)

    from app import api

    api.init_app(app)  # /api/v1; exempts itself from CSRF (bearer tokens, no cookies)


def _register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)


def _postgres_liveness(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from app.dbpool import ping_when_idle
    from app.extensions import db

    with app.app_context():
        ping_when_idle(db.engine)


def _sqlite_pragmas(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from app.extensions import db
    from app.rights.messages import sqlite_regexp_replace

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # PostgreSQL's regexp_replace, which taking people off messages uses.
        dbapi_connection.create_function("regexp_replace", 4, sqlite_regexp_replace, deterministic=True)
