import pytest

from app.accounts.models import Role
from app.extensions import db
from tests.unit.api.estate import make_user
from tests.unit.sources.factories import build_world


@pytest.fixture
def world(db_session):
    built = build_world(db_session)
    db_session.commit()
    return built


@pytest.fixture
def teacher(world):
    user = make_user("mhughes@elm.sch.uk", Role.SCHOOL, world.elm, name="Margaret Hughes")
    db.session.commit()
    return user


@pytest.fixture
def agent(world):
    user = make_user("priya.desai@rightsdesk.example", Role.CASEWORKER, name="Priya Desai")
    db.session.commit()
    return user
