"""Shared fixtures.

The suite runs on the engine named by ``DATABASE_URL`` (PostgreSQL in CI) or,
when unset, on a SQLite file. Services a test needs (PostgreSQL, Redis) come
from the environment; outside CI a missing one skips the test, but with
``RIGHTSDESK_REQUIRE_SERVICES=1`` (set by ``.ci/run``) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import new_master_key_entry, normalise_database_url

REQUIRE_SERVICES = os.environ.get("RIGHTSDESK_REQUIRE_SERVICES") == "1"
TEST_MASTER_KEYS = ",".join([new_master_key_entry("test1")])


def service_missing(what: str) -> None:
    """Skip outside CI; fail in CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (RIGHTSDESK_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


def environ_for_tests(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    environ = {
        "RIGHTSDESK_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "RIGHTSDESK_MASTER_KEYS": TEST_MASTER_KEYS,
        "RIGHTSDESK_INSTANCE": str(instance),
        "RIGHTSDESK_BASE_URL": "http://localhost",
    }
    environ.update(extra)
    return environ


def migrate_to_head(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_POSTGRES_ADMIN_URL") or (
        _admin_from(os.environ["DATABASE_URL"]) if _env_is_postgres() else None
    )


def _env_is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))


def _admin_from(url: str) -> str:
    return (
        make_url(normalise_database_url(url)).set(database="postgres").render_as_string(hide_password=False)
    )


def create_postgres_database(name: str) -> str:
    """Create a throwaway database; returns its URL."""
    admin = postgres_admin_url()
    if admin is None:
        service_missing("PostgreSQL (set DATABASE_URL or TEST_POSTGRES_ADMIN_URL)")
    admin_url = make_url(normalise_database_url(admin))
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server down or refused
        service_missing(f"PostgreSQL at {admin_url.host}: {type(exc).__name__}")
    finally:
        engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    admin = postgres_admin_url()
    if admin is None:
        return
    engine = create_engine(make_url(normalise_database_url(admin)), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Iterator[str]:
    """The suite's database at the latest migration: a SQLite template file,
    or the PostgreSQL database named by ``DATABASE_URL``."""
    instance = tmp_path_factory.mktemp("instance")
    if _env_is_postgres():
        url = normalise_database_url(os.environ["DATABASE_URL"])
    else:
        url = f"sqlite:///{instance / 'template.sqlite'}"
    app = create_app(environ_for_tests(url, instance))
    migrate_to_head(app)
    with app.app_context():
        from app.extensions import db

        if _env_is_postgres():
            _remember_seeded_rows(db.engine)
        db.engine.dispose()
    yield url


# Reference data the migrations seed (table -> rows). On PostgreSQL every
# test empties every table, so these are put back afterwards; SQLite tests
# start from a copy of the migrated file and keep them anyway.
SEEDED_TABLES = ("processing_register", "retention_rules")
_seeded_rows: dict[str, list[dict]] = {}


def _seeded_table(name: str):
    from app.db import Base

    return Base.metadata.tables[name]


def _remember_seeded_rows(engine) -> None:
    with engine.connect() as conn:
        for name in SEEDED_TABLES:
            _seeded_rows[name] = [dict(row) for row in conn.execute(select(_seeded_table(name))).mappings()]


@pytest.fixture
def app(migrated_database: str, tmp_path: Path) -> Iterator[Flask]:
    """A fresh application on an empty, fully migrated database."""
    if migrated_database.startswith("sqlite"):
        template = Path(make_url(migrated_database).database)
        copy = tmp_path / "test.sqlite"
        shutil.copyfile(template, copy)
        url = f"sqlite:///{copy}"
    else:
        url = migrated_database
        _empty_postgres_tables(url)
    extra = {}
    if os.environ.get("REDIS_URL"):
        extra["REDIS_URL"] = os.environ["REDIS_URL"]
    application = create_app(environ_for_tests(url, tmp_path / "instance", **extra))
    with application.app_context():
        yield application
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


def _empty_postgres_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename != 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            # Replica mode switches off the audit table's append-only triggers
            # for this clean-up only; the application never runs like this.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        for name, rows in _seeded_rows.items():
            if rows:
                conn.execute(insert(_seeded_table(name)), rows)
    engine.dispose()


@pytest.fixture
def db_session(app: Flask):
    from app.extensions import db

    return db.session


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database emptied for this test."""
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("Redis (set REDIS_URL)")
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(url)
    try:
        connection.flushdb()
    except RedisError as exc:
        service_missing(f"Redis at {url}: {type(exc).__name__}")
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture
def smtp(app: Flask):
    """A real SMTP server (aiosmtpd, in a thread on 127.0.0.1) that ``app``
    delivers to: ``SMTP_URL`` points at it and jobs run inline (no Redis), so
    mail arrives when the transaction that sent it commits. Yields the
    server's ``Collector``; ``.messages`` are what it received."""
    from tests.unit.mail.smtpd import smtp_server

    with smtp_server() as (collector, port):
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        app.config["REDIS_URL"] = None
        yield collector


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A throwaway, empty PostgreSQL database for this test."""
    name = f"rd_test_{uuid.uuid4().hex[:12]}"
    url = create_postgres_database(name)
    yield url
    drop_postgres_database(name)


# The demo world's stores, with jobs run inline, and a member of the company's
# case team: shared by the unit packages and the functional tests that work
# on them (a module's own ``world`` or ``caseworker`` replaces these).
@pytest.fixture
def world(app, db_session):
    from tests.unit.sources.factories import build_world

    app.config["REDIS_URL"] = None  # jobs run inline (CI also sets REDIS_URL)
    return build_world(db_session)


@pytest.fixture
def caseworker(db_session):
    from app.accounts.models import Role
    from tests.unit.api.estate import make_user

    user = make_user("case.worker@rightsdesk.example", Role.CASEWORKER)
    db_session.commit()
    return user
