"""submit_request: the adapter from a validated submission to a case."""

from __future__ import annotations

from datetime import date

import pytest

from app.cases.models import CaseStatus
from app.intake.schemas import RequestSubmission
from app.intake.services import submit_request
from app.sources.validation import FieldError
from tests.signin import make_organisation


def submission(organisation_id, **changes) -> RequestSubmission:
    values = {
        "request_type": "access",
        "requester_relationship": "parent_carer",
        "requester_name": "Sam Example",
        "requester_email": "sam@example.com",
        "requester_phone": None,
        "subject_first_name": "Alex",
        "subject_last_name": "Example",
        "subject_date_of_birth": date(2014, 3, 27),
        "subject_role": "pupil",
        "subject_upn": "B801200005001",
        "subject_staff_number": None,
        "organisation_id": organisation_id,
        "description": "All my child's records.",
    }
    values.update(changes)
    return RequestSubmission(**values)


def test_submit_request_creates_a_submitted_case(db_session):
    school = make_organisation("Oak Hill Primary School")
    case = submit_request(submission(school.id), ip="192.0.2.1", today=date(2026, 3, 2))
    db_session.commit()
    assert case.status is CaseStatus.SUBMITTED and case.reference is None
    assert case.organisation_id == school.id and case.received_on == date(2026, 3, 2)
    assert case.subject_name == "Alex Example" and case.subject_upn == "B801200005001"
    assert case.requester_relationship.value == "parent_carer"


def test_submit_request_refuses_a_trust(db_session):
    trust = make_organisation("Oak Trust", kind="trust")
    with pytest.raises(FieldError) as refused:
        submit_request(submission(trust.id), ip=None)
    assert refused.value.field == "organisation_id"
