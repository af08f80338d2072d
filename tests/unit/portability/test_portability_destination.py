"""The destination rules where a case is made (``cases.services.submit``):
the same refusals as the form and the API, for any caller of the service."""

from __future__ import annotations

import pytest

from app.portability.destination import MESSAGES, destination_problems
from app.sources.validation import FieldError
from tests.signin import make_organisation
from tests.unit.cases.factory import new_case

BIRCH = {"destination_name": "Birch Academy", "destination_email": "admissions@birch.sch.example"}


@pytest.fixture
def school(db_session):
    return make_organisation("Oak Hill Primary School")


def test_submit_keeps_a_portability_destination_trimmed(school):
    case = new_case(
        school,
        request_type="portability",
        destination_name=" Birch Academy ",
        destination_email=" admissions@birch.sch.example",
    )
    assert (case.destination_name, case.destination_email) == tuple(BIRCH.values())


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"request_type": "access"},
            {
                "destination_name": [MESSAGES["destination_name_type"]],
                "destination_email": [MESSAGES["destination_email_type"]],
            },
        ),
        ({"destination_name": ""}, {"destination_name": [MESSAGES["destination_name"]]}),
        ({"destination_email": None}, {"destination_email": [MESSAGES["destination_email"]]}),
        ({"destination_email": "nobody"}, {"destination_email": ["'nobody' is not an email address"]}),
        ({"destination_name": "B" * 201}, {"destination_name": ["use at most 200 characters"]}),
    ],
)
def test_submit_refuses_a_destination_against_the_rules(school, changes, expected):
    values = {"request_type": "portability", **BIRCH, **changes}
    with pytest.raises(FieldError) as refused:
        new_case(school, confirm=False, **values)
    assert refused.value.errors == expected


def test_only_the_pairing_is_checked_while_the_request_type_is_unknown():
    assert destination_problems(None, "Birch Academy", None) == {
        "destination_email": MESSAGES["destination_email"]
    }
    assert destination_problems(None, None, None) == {} and destination_problems("access", "", "") == {}
