"""Fixtures shared by the unit packages that work on the demo world's stores
(exports, review, rectification, collect): the world, with jobs run inline,
and a member of the company's case team."""

import pytest

from app.accounts.models import Role
from tests.unit.api.estate import make_user
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
