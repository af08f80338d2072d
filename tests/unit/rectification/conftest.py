import pytest

from tests.unit.rectification.factory import rectification_case


@pytest.fixture
def case(world, caseworker):
    return rectification_case(world, caseworker)
