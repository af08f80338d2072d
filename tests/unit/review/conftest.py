import pytest

from tests.unit.review.factory import gathered_amelia


@pytest.fixture
def case(world, caseworker):
    return gathered_amelia(world, caseworker)
