"""Migration 0036: an organisation says whether it is a public authority,
backfilled true for schools and trusts and false for nurseries; the column
is required afterwards, the table keeps its checks, and going down drops the
column and keeps the organisations. On both engines."""

from __future__ import annotations

import uuid

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from app.orgs.models import public_authority_by_kind
from tests.conftest import environ_for_tests
from tests.functional.test_migrations import _plausible_row

NAMES = {"trust": "Rowan Trust", "school": "Rowan Academy", "nursery": "Little Acorns Nursery"}


def _backfilled_by_kind(url: str, instance) -> None:
    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade(revision="0035")
        with db.engine.begin() as connection:
            sqlite = connection.dialect.name == "sqlite"
            trust = uuid.uuid4().hex if sqlite else uuid.uuid4()
            # The trust first, as its school refers to it.
            for kind, link in (("trust", {"id": trust}), ("school", {"trust_id": trust}), ("nursery", {})):
                given = {"name": NAMES[kind], "kind": kind, "nation": "england", **link}
                _plausible_row(connection, "organisations", given)
        upgrade()
        with db.engine.connect() as connection:
            column = next(
                c for c in inspect(connection).get_columns("organisations") if c["name"] == "public_authority"
            )
            upgraded = {
                name: bool(flag)
                for name, flag in connection.execute(text("SELECT name, public_authority FROM organisations"))
            }
            checks = {c["name"] for c in inspect(connection).get_check_constraints("organisations")}
        downgrade(revision="0035")
        with db.engine.connect() as connection:
            left = {c["name"] for c in inspect(connection).get_columns("organisations")}
            downgraded = sorted(row[0] for row in connection.execute(text("SELECT name FROM organisations")))
        db.engine.dispose()
    assert column["nullable"] is False
    assert upgraded == {"Rowan Trust": True, "Rowan Academy": True, "Little Acorns Nursery": False}
    # The migration's copy of the rule agrees with the app's default.
    assert all(upgraded[name] is public_authority_by_kind(kind) for kind, name in NAMES.items())
    # SQLite rebuilds the table to make the column required: its checks survive.
    assert checks >= {"ck_organisations_trust_not_nested", "ck_organisations_contract_dates_ordered"}
    assert "public_authority" not in left and downgraded == sorted(NAMES.values())


def test_public_authority_backfilled_by_kind_on_sqlite(tmp_path):
    _backfilled_by_kind(f"sqlite:///{tmp_path / 'public_authority.sqlite'}", tmp_path)


def test_public_authority_backfilled_by_kind_on_postgresql(postgres_database, tmp_path):
    _backfilled_by_kind(postgres_database, tmp_path)
