"""Migration 0034: a case gains the portability destination the requester
gave (sealed columns), empty for the cases made before it; going down drops
the columns and keeps the cases. On both engines."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from tests.conftest import environ_for_tests
from tests.functional.test_migrations import _case_row

COLUMNS = {"destination_name", "destination_email"}


def _destination_added_empty(url: str, instance) -> None:
    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade(revision="0033")
        with db.engine.begin() as connection:
            _case_row(connection, "SAR-2020-000003", status="open", request_type="portability")
        upgrade()
        with db.engine.connect() as connection:
            added = {c["name"]: c for c in inspect(connection).get_columns("cases") if c["name"] in COLUMNS}
            upgraded = connection.execute(
                text("SELECT reference, destination_name, destination_email FROM cases")
            ).all()
        downgrade(revision="0033")
        with db.engine.connect() as connection:
            left = {c["name"] for c in inspect(connection).get_columns("cases")} & COLUMNS
            downgraded = connection.execute(text("SELECT reference FROM cases")).all()
        db.engine.dispose()
    assert set(added) == COLUMNS and all(column["nullable"] for column in added.values())
    assert [tuple(row) for row in upgraded] == [("SAR-2020-000003", None, None)]
    assert left == set() and [tuple(row) for row in downgraded] == [("SAR-2020-000003",)]


def test_case_destination_added_empty_on_sqlite(tmp_path):
    _destination_added_empty(f"sqlite:///{tmp_path / 'destination.sqlite'}", tmp_path)


def test_case_destination_added_empty_on_postgresql(postgres_database, tmp_path):
    _destination_added_empty(postgres_database, tmp_path)
