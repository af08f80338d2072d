"""Proposing, diffing, deciding and approving corrections."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus
from app.extensions import db
from app.rectification import diff, services
from app.rectification.models import ProposalStatus
from app.sources.protocol import PersonKind
from app.sources.validation import FieldError
from tests.unit.review.factory import gathered_amelia

P = PersonKind.PUPIL


def _propose(case, world, user, field, value):
    proposal = services.propose(case, user, P, world.amelia.id, field, value)
    db.session.commit()
    return proposal


def test_proposal_keeps_the_stores_value_as_before(case, world, caseworker) -> None:
    proposal = _propose(case, world, caseworker, "date_of_birth", "2018-03-04")
    assert proposal.before_value == world.amelia.date_of_birth.isoformat()
    assert proposal.proposed_value == "2018-03-04"
    assert proposal.status is ProposalStatus.PROPOSED


def test_proposal_values_are_sealed_at_rest(case, world, caseworker) -> None:
    _propose(case, world, caseworker, "preferred_forename", "Mills")
    raw = db.session.execute(text("SELECT proposed_value, before_value FROM rectification_proposals")).one()
    assert b"Mills" not in bytes(raw[0])
    assert b"Millie" not in bytes(raw[1])


def test_proposal_with_bad_upn_is_refused_with_the_fields_message(case, world, caseworker) -> None:
    with pytest.raises(FieldError) as caught:
        services.propose(case, caseworker, P, world.amelia.id, "upn", "B12345")
    assert caught.value.field == "value"
    assert "is not a valid UPN" in caught.value.message


def test_proposal_with_impossible_date_is_refused(case, world, caseworker) -> None:
    with pytest.raises(FieldError, match="is not a date"):
        services.propose(case, caseworker, P, world.amelia.id, "date_of_birth", "2016-13-01")


def test_proposal_of_the_value_held_is_refused(case, world, caseworker) -> None:
    with pytest.raises(FieldError, match="already the value held"):
        services.propose(case, caseworker, P, world.amelia.id, "postcode", "ls1 4ap")


def test_proposal_for_an_unconfirmed_record_is_refused(case, world, caseworker) -> None:
    with pytest.raises(FieldError) as caught:
        services.propose(case, caseworker, P, world.isla.id, "postcode", "LS2 7EW")
    assert caught.value.field == "record_id"


def test_proposal_on_an_access_case_is_refused(world, caseworker) -> None:
    access = gathered_amelia(world, caseworker, mother=False)
    with pytest.raises(IllegalTransition):
        services.propose(access, caseworker, P, world.amelia.id, "postcode", "LS2 7EW")


def test_proposing_a_field_again_replaces_the_proposal_and_decision(case, world, caseworker) -> None:
    first = _propose(case, world, caseworker, "postcode", "LS2 7EW")
    services.decide(case, first.id, caseworker, approve=True)
    again = _propose(case, world, caseworker, "postcode", "LS6 1AA")
    assert again.id == first.id
    assert again.proposed_value == "LS6 1AA"
    assert again.status is ProposalStatus.PROPOSED
    assert again.decided_at is None


def test_diff_marks_the_changed_parts(case, world, caseworker) -> None:
    _propose(case, world, caseworker, "postcode", "LS1 4AB")
    (row,) = diff.diff(case)
    assert (row.before, row.after, row.current) == ("LS1 4AP", "LS1 4AB", "LS1 4AP")
    assert row.changed and not row.drifted
    assert [s.text for s in row.before_segments if s.changed] == ["P"]
    assert [s.text for s in row.after_segments if s.changed] == ["B"]
    assert "".join(s.text for s in row.after_segments) == "LS1 4AB"


def test_diff_shows_a_store_change_since_the_proposal(case, world, caseworker) -> None:
    _propose(case, world, caseworker, "postcode", "LS1 4AB")
    world.amelia.postcode = "LS9 9ZZ"
    db.session.commit()
    (row,) = diff.diff(case)
    assert row.current == "LS9 9ZZ"
    assert row.drifted


def test_viewing_the_diff_is_audited_without_values(case, world, caseworker) -> None:
    _propose(case, world, caseworker, "postcode", "LS1 4AB")
    diff.view(case, caseworker)
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rectification.viewed")).one()
    assert event.data == {"proposals": 1}


def test_refusal_needs_a_reason(case, world, caseworker) -> None:
    proposal = _propose(case, world, caseworker, "postcode", "LS2 7EW")
    with pytest.raises(FieldError) as caught:
        services.decide(case, proposal.id, caseworker, approve=False, reason="  ")
    assert caught.value.field == "reason"


def test_decision_records_who_and_why(case, world, caseworker) -> None:
    proposal = _propose(case, world, caseworker, "postcode", "LS2 7EW")
    services.decide(case, proposal.id, caseworker, approve=False, reason="The admission form gives LS1 4AP.")
    db.session.commit()
    assert proposal.status is ProposalStatus.REFUSED
    assert proposal.decided_by_id == caseworker.id
    assert proposal.reason == "The admission form gives LS1 4AP."


def test_case_is_not_approved_with_an_undecided_proposal(case, world, caseworker) -> None:
    decided = _propose(case, world, caseworker, "postcode", "LS2 7EW")
    _propose(case, world, caseworker, "middle_names", "Rosa")
    services.decide(case, decided.id, caseworker, approve=True)
    with pytest.raises(IllegalTransition, match="1 correction"):
        services.approve_case(case, caseworker)


def test_case_without_proposals_is_not_approved(case, caseworker) -> None:
    with pytest.raises(IllegalTransition, match="at least one"):
        services.approve_case(case, caseworker)


def test_case_with_every_proposal_decided_is_approved(case, world, caseworker) -> None:
    first = _propose(case, world, caseworker, "postcode", "LS2 7EW")
    second = _propose(case, world, caseworker, "middle_names", "Rosa")
    services.decide(case, first.id, caseworker, approve=True)
    services.decide(case, second.id, caseworker, approve=False, reason="Her birth certificate says Rose.")
    services.approve_case(case, caseworker)
    db.session.commit()
    assert case.status is CaseStatus.APPROVED
    assert case.events[-1].data == {"from": "in_review", "to": "approved", "approved": 1, "refused": 1}
