import pytest

from app.accounts.models import Role
from tests.unit.api.estate import make_user
from tests.unit.sources.factories import build_world


@pytest.fixture
def world(db_session):
    built = build_world(db_session)
    db_session.commit()
    return built


@pytest.fixture
def caseworker(db_session):
    user = make_user("case.worker@rightsdesk.example", Role.CASEWORKER)
    db_session.commit()
    return user
