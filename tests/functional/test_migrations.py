"""Every migration builds the whole schema and tears it down again, on both
engines, and the models never drift from the migrations."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.conftest import environ_for_tests


def _migration_round_trip(url: str, instance) -> None:
    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables

        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert drift == [], f"models differ from migrations: {drift}"

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        upgrade()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_migrations_round_trip_on_sqlite(tmp_path):
    _migration_round_trip(f"sqlite:///{tmp_path / 'fresh.sqlite'}", tmp_path)


def test_migrations_round_trip_on_postgresql(postgres_database, tmp_path):
    assert make_url(postgres_database).get_backend_name() == "postgresql"
    _migration_round_trip(postgres_database, tmp_path)


@pytest.mark.parametrize("operation", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_audit_table_refuses_changes_at_database_level(app, db_session, operation):
    from sqlalchemy import text

    from app.audit.services import record

    record("test.event")
    db_session.commit()
    with pytest.raises(Exception, match="append-only"):
        db_session.execute(text(operation))
        db_session.flush()
    db_session.rollback()
