import pytest

from tests.unit.sources.factories import build_world


@pytest.fixture
def inline_jobs(app):
    # CI also runs the suite with REDIS_URL set; these tests run jobs inline.
    app.config["REDIS_URL"] = None
    return app


@pytest.fixture
def world(db_session):
    return build_world(db_session)

