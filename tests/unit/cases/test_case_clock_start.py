"""When the statutory month starts (Art 12(3), DESIGN §5): on the day the
request arrived, unless the controller asked for evidence of identity or
authority and waited on it; never on the day staff decide."""

from __future__ import annotations

from datetime import date

import pytest

from app.cases import identity
from app.cases.clock_inputs import clock_for
from app.sources.validation import FieldErrors
from tests.unit.cases.factory import new_case

RECEIVED = date(2026, 11, 5)
DECIDED = date(2026, 11, 25)


def test_parent_known_to_school_keeps_the_day_received_when_decided_weeks_later(
    school, caseworker, db_session
):
    case = new_case(school, received_on=RECEIVED)  # a parent asking for their child
    assert case.due_on == date(2026, 12, 7)
    identity.decide_identity(
        case,
        caseworker,
        accepted=True,
        method="known_to_school",
        reason="The office knows the mother.",
        authority_evidence="MIS contact record: mother, parental responsibility",
        today=DECIDED,
    )
    assert case.authority_received_on is None and case.identity_received_on is None
    assert clock_for(case).start == RECEIVED
    assert case.due_on == date(2026, 12, 7)


def test_documents_seen_without_a_date_keeps_the_day_received(school, caseworker, db_session):
    case = new_case(school, received_on=RECEIVED, requester_relationship="self")
    identity.decide_identity(
        case, caseworker, accepted=True, method="documents_seen", reason="Passport seen.", today=DECIDED
    )
    assert case.identity_received_on is None
    assert clock_for(case).start == RECEIVED and case.due_on == date(2026, 12, 7)


def test_authority_asked_for_moves_the_start_to_the_day_it_arrived(school, caseworker, db_session):
    case = new_case(school, received_on=RECEIVED)
    identity.decide_identity(
        case,
        caseworker,
        accepted=True,
        method="documents_seen",
        reason="Passport seen at the office.",
        authority_evidence="Birth certificate brought in.",
        identity_received_on=date(2026, 11, 10),
        authority_received_on=date(2026, 11, 12),
        today=DECIDED,
    )
    assert clock_for(case).start == date(2026, 11, 12)
    assert case.due_on == date(2026, 12, 14)  # 12 Dec is a Saturday


def test_identity_day_with_identity_from_the_schools_records_is_refused(school, caseworker, db_session):
    case = new_case(school, received_on=RECEIVED)
    with pytest.raises(FieldErrors) as error:
        identity.decide_identity(
            case,
            caseworker,
            accepted=True,
            method="matched_school_records",
            reason="Matched the contact record.",
            authority_evidence="MIS contact record",
            identity_received_on=date(2026, 11, 20),
            today=DECIDED,
        )
    assert error.value.errors == {"identity_received_on": [identity.NO_EVIDENCE_AWAITED]}


def test_authority_day_for_someone_asking_for_themself_is_refused(school, caseworker, db_session):
    case = new_case(school, received_on=RECEIVED, requester_relationship="self")
    with pytest.raises(FieldErrors) as error:
        identity.decide_identity(
            case,
            caseworker,
            accepted=True,
            method="documents_seen",
            reason="Passport seen.",
            authority_received_on=date(2026, 11, 20),
            today=DECIDED,
        )
    assert list(error.value.errors) == ["authority_received_on"]


@pytest.mark.parametrize("day", [date(2026, 11, 4), date(2026, 11, 26)])
def test_authority_day_before_receipt_or_in_the_future_is_refused(school, caseworker, db_session, day):
    case = new_case(school, received_on=RECEIVED)
    with pytest.raises(FieldErrors) as error:
        identity.decide_identity(
            case,
            caseworker,
            accepted=True,
            method="known_to_school",
            reason="Known.",
            authority_evidence="Birth certificate brought in.",
            authority_received_on=day,
            today=DECIDED,
        )
    assert error.value.errors == {
        "authority_received_on": ["must be between the day the request arrived and today"]
    }
