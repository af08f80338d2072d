"""A small demo data set, seeded once per module into its own database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from shutil import copyfile

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from app import create_app
from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    environ_for_tests,
    migrate_to_head,
)

AS_OF = date(2026, 6, 15)
SEED_ARGS = ["demo", "seed", "--pupils", "240", "--schools", "4", "--seed", "7", "--as-of", AS_OF.isoformat()]


@pytest.fixture(scope="module")
def seeded_app(migrated_database: str, tmp_path_factory) -> Iterator[Flask]:
    """Its own database, so the per-test clean-up of the shared one cannot
    empty it while the module's read-only tests run."""
    instance = tmp_path_factory.mktemp("demo_instance")
    name = None
    if migrated_database.startswith("sqlite"):
        url = f"sqlite:///{instance / 'seeded.sqlite'}"
        copyfile(Path(make_url(migrated_database).database), instance / "seeded.sqlite")
    else:
        name = f"rd_demo_{uuid.uuid4().hex[:10]}"
        url = create_postgres_database(name)
    application = create_app(environ_for_tests(url, instance / "instance"))
    if name:
        migrate_to_head(application)
    result = application.test_cli_runner().invoke(args=SEED_ARGS)
    assert result.exit_code == 0, result.output
    application.config["DEMO_SEED_OUTPUT"] = result.output
    yield application
    with application.app_context():
        from app.extensions import db

        db.engine.dispose()
    if name:
        drop_postgres_database(name)


@pytest.fixture
def seeded(seeded_app: Flask):
    """The seeded database's session, inside an application context."""
    from app.extensions import db

    with seeded_app.app_context():
        yield db.session
        db.session.remove()
