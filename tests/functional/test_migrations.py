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


_PHONES = [
    ("+44 (0)7700 900123", "0044 113 496 0000"),
    ("07700 900123", "12345"),
    (None, "+44 7700 900999"),
    (None, None),
]


def _phone_keys_filled_in(url: str, instance) -> None:
    """Migration 0019 fills in the keys of contacts already stored, as
    ``phone_key`` computes them (in SQL on PostgreSQL, in Python elsewhere)."""
    import uuid

    from sqlalchemy import text

    from app.sources.names import phone_key

    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade(revision="0018")
        org = uuid.uuid4()
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (id, created_at, name, kind, nation, contract_start, "
                    "dp_contact_name, dp_contact_email) VALUES (:id, CURRENT_TIMESTAMP, 'Elm', 'school', "
                    "'england', '2020-01-01', 'DPO', 'dpo@elm.example')"
                ),
                {"id": org.hex if connection.dialect.name == "sqlite" else org},
            )
            for mobile, home in _PHONES:
                row = uuid.uuid4()
                connection.execute(
                    text(
                        "INSERT INTO contacts (id, created_at, organisation_id, forename, surname, "
                        "surname_key, forename_key, mobile_phone, home_phone) VALUES (:id, "
                        "CURRENT_TIMESTAMP, :org, 'Siobhan', 'Byrne', 'byrne', 'siobhan', :mobile, :home)"
                    ),
                    {
                        "id": row.hex if connection.dialect.name == "sqlite" else row,
                        "org": org.hex if connection.dialect.name == "sqlite" else org,
                        "mobile": mobile,
                        "home": home,
                    },
                )
        upgrade()
        with db.engine.connect() as connection:
            stored = connection.execute(
                text("SELECT mobile_phone, home_phone, mobile_key, home_key FROM contacts")
            ).all()
        db.engine.dispose()
    assert sorted(stored, key=str) == sorted(
        [(mobile, home, phone_key(mobile), phone_key(home)) for mobile, home in _PHONES], key=str
    )
    assert {row[2] for row in stored} == {"07700900123", None}


def test_phone_keys_filled_in_on_sqlite(tmp_path):
    _phone_keys_filled_in(f"sqlite:///{tmp_path / 'keys.sqlite'}", tmp_path)


def test_phone_keys_filled_in_on_postgresql(postgres_database, tmp_path):
    _phone_keys_filled_in(postgres_database, tmp_path)


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
