import pytest

from app.accounts.models import Role
from tests.unit.api.estate import make_user
from tests.unit.sources.factories import build_world


@pytest.fixture
def inline_jobs(app):
    # CI also runs the suite with REDIS_URL set; these tests run jobs inline.
    app.config["REDIS_URL"] = None
    return app


@pytest.fixture
def world(db_session):
    return build_world(db_session)


@pytest.fixture
def caseworker(db_session):
    user = make_user("case.worker@rightsdesk.example", Role.CASEWORKER)
    db_session.commit()
    return user
