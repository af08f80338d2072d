from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.register.models import RegisterEntry
from app.restriction import objections
from app.restriction.models import ObjectionDecision
from app.restriction.services import RestrictionConflict, RestrictionError
from app.sources.consent import services as consent
from app.sources.consent.models import ConsentDecision, ConsentMethod
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.restriction.factory import photo_consent


def test_upheld_objection_to_a_consent_purpose_withdraws_it_in_the_ledger(app, world, caseworker):
    person = photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type="objection")
    objection = objections.record_objection(
        case, caseworker, purpose="Photographs on the website", consent_purpose="photos_website"
    )
    objections.decide_objection(case, objection, caseworker, uphold=True)
    db.session.commit()
    assert objection.decision is ObjectionDecision.UPHELD
    assert objection.decided_by_id == caseworker.id and objection.decided_at is not None
    state = {s.purpose: s for s in consent.current_state(person)}["photos_website"]
    assert state.decision is ConsentDecision.WITHDRAWN
    # The ledger appended a withdrawal; the grant is still there.
    assert [r.decision for r in consent.history(person) if r.purpose == "photos_website"] == [
        ConsentDecision.GRANTED,
        ConsentDecision.WITHDRAWN,
    ]
    # Recorded as a consent-withdrawal request records it (one piece of code).
    withdrawn = consent.history(person)[-1]
    assert withdrawn.evidence == f"Withdrawn at the data subject's request, case {case.reference}"
    assert withdrawn.recorded_by == caseworker.name


def test_rejected_objection_needs_compelling_grounds(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    entry = db.session.scalars(select(RegisterEntry).where(RegisterEntry.source == "pupils")).first()
    objection = objections.record_objection(case, caseworker, register_entry_id=entry.id)
    assert objection.purpose == entry.title
    with pytest.raises(RestrictionError) as refused:
        objections.decide_objection(case, objection, caseworker, uphold=False)
    assert set(refused.value.errors) == {"grounds"}
    objections.decide_objection(
        case,
        objection,
        caseworker,
        uphold=False,
        grounds="Attendance records are a legal duty of the school.",
    )
    db.session.commit()
    assert objection.decision is ObjectionDecision.REJECTED
    assert objection.grounds.startswith("Attendance records")


def test_direct_marketing_objection_cannot_be_rejected(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    objection = objections.record_objection(case, caseworker, purpose="Newsletters", direct_marketing=True)
    with pytest.raises(RestrictionError) as refused:
        objections.decide_objection(case, objection, caseworker, uphold=False, grounds="We like newsletters.")
    assert "decision" in refused.value.errors
    objections.decide_objection(case, objection, caseworker, uphold=True)
    assert objection.decision is ObjectionDecision.UPHELD


def test_an_objection_is_decided_once(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    objection = objections.record_objection(case, caseworker, purpose="Class photographs")
    objections.decide_objection(case, objection, caseworker, uphold=True)
    # A conflict with the objection's state (409 on the API), not a field error.
    with pytest.raises(RestrictionConflict) as again:
        objections.decide_objection(case, objection, caseworker, uphold=True)
    assert again.value.errors == {"objection": objections.ALREADY_DECIDED}


@pytest.mark.parametrize(
    ("values", "field"),
    [({}, "purpose"), ({"purpose": "x", "consent_purpose": "Not A Code"}, "consent_purpose")],
)
def test_record_objection_refuses_incomplete_input(app, world, caseworker, values, field):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    with pytest.raises(RestrictionError) as refused:
        objections.record_objection(case, caseworker, **values)
    assert field in refused.value.errors


def test_record_objection_refuses_a_consent_the_subject_has_not_given(app, world, caseworker):
    # Upholding it would withdraw nothing while the case says the processing stops.
    person = photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type="objection")
    with pytest.raises(RestrictionError) as refused:
        objections.record_objection(case, caseworker, purpose="Photographs", consent_purpose="photos_site")
    assert refused.value.errors == {
        "consent_purpose": "The subject has no consent given for photos_site: "
        "choose one of photos_public_website, photos_website"
    }
    for purpose in objections.consents_given(case):
        consent.withdraw(person, purpose, method=ConsentMethod.WEB, recorded_by="School office")
    with pytest.raises(RestrictionError) as withdrawn:
        objections.record_objection(case, caseworker, purpose="Photographs", consent_purpose="photos_website")
    assert "or for anything else" in withdrawn.value.errors["consent_purpose"]
