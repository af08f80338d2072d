import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from app import create_app
from tests.conftest import environ_for_tests

BLOB_TABLES = {"data_keys", "blobs", "blob_chunks"}


@pytest.fixture
def empty_database(request, tmp_path) -> str:
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")):
        return request.getfixturevalue("postgres_database")
    return f"sqlite:///{tmp_path / 'migration.sqlite'}"


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migration_0002_upgrades_and_downgrades(empty_database, tmp_path):
    app = create_app(environ_for_tests(empty_database, tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="0002")
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        assert _tables(url) >= BLOB_TABLES
        downgrade(revision="0001")
        assert not BLOB_TABLES & _tables(url)
        assert "users" in _tables(url)
        upgrade(revision="0002")
        assert _tables(url) >= BLOB_TABLES
        from app.extensions import db

        db.engine.dispose()
