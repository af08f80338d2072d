"""Migration 0032 will not go down while an objection is decided as
no_right (outside the right to object): the code before it cannot load that
decision, and no other one says what was decided. It says so and changes
nothing; with no such objection it goes down. On both engines."""

from __future__ import annotations

import pytest
from alembic import command
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.conftest import environ_for_tests
from tests.functional.test_migrations import _case_row, _plausible_row


def _refused_while_no_right(url: str, instance) -> None:
    def stored() -> list[tuple]:
        with db.engine.connect() as connection:
            return sorted(tuple(row) for row in connection.execute(text("SELECT decision FROM objections")))

    def version() -> str:
        with db.engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    app = create_app(environ_for_tests(url, instance))
    with app.app_context():
        upgrade(revision="0032")
        with db.engine.begin() as connection:
            case = _case_row(connection, "SAR-2020-000004", status="responded", request_type="objection")
            for decision in ("no_right", "upheld"):
                _plausible_row(
                    connection,
                    "objections",
                    {"case_id": case, "purpose": f"Objected to, {decision}", "decision": decision},
                )
        # Alembic's own command: Flask-Migrate's prints the message and exits 1.
        config = current_app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match=r"1 objection\(s\) are decided as 'no_right'"):
            command.downgrade(config, "0031")
        refused = (version(), stored())
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM objections WHERE decision = 'no_right'"))
        command.downgrade(config, "0031")
        gone_down = (version(), stored())
        db.engine.dispose()
    assert refused == ("0032", [("no_right",), ("upheld",)])
    assert gone_down == ("0031", [("upheld",)])


def test_objection_no_right_refuses_the_downgrade_on_sqlite(tmp_path):
    _refused_while_no_right(f"sqlite:///{tmp_path / 'no_right.sqlite'}", tmp_path)


def test_objection_no_right_refuses_the_downgrade_on_postgresql(postgres_database, tmp_path):
    _refused_while_no_right(postgres_database, tmp_path)
