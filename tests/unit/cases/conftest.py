import pytest

from app.accounts.models import Role
from tests.unit.api.estate import make_organisation, make_user


@pytest.fixture
def school(db_session):
    organisation = make_organisation("Cedar School")
    db_session.commit()
    return organisation


@pytest.fixture
def caseworker(db_session):
    user = make_user("case.worker@rightsdesk.example", Role.CASEWORKER)
    db_session.commit()
    return user
