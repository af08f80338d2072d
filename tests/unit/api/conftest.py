import pytest

from tests.unit.api.estate import Estate, build_estate


@pytest.fixture
def estate(db_session) -> Estate:
    return build_estate()
