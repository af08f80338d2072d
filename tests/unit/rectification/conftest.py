import pytest

from app.accounts.models import Role
from tests.unit.api.estate import make_user
from tests.unit.rectification.factory import rectification_case
from tests.unit.sources.factories import build_world


@pytest.fixture
def world(app, db_session):
    app.config["REDIS_URL"] = None  # jobs run inline (CI also sets REDIS_URL)
    return build_world(db_session)


@pytest.fixture
def caseworker(db_session):
    user = make_user("case.worker@rightsdesk.example", Role.CASEWORKER)
    db_session.commit()
    return user


@pytest.fixture
def case(world, caseworker):
    return rectification_case(world, caseworker)
