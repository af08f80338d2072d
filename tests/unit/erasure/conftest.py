import pytest

from tests.unit.erasure.factory import erasure_world


@pytest.fixture
def erasure(app, db_session):
    """(world, DPO, Amelia's erasure case in review), jobs inline."""
    return erasure_world(app, db_session)
