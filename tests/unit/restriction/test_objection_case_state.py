"""Objections are recorded and decided only on an objection request still
to be answered: once the answer has gone, a decision would reach the
requester in no letter (Art 12(4)). And an objection is decided outside the
right to object only when the decider says it is not direct marketing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus
from app.cases.services import close
from app.db import new_uuid, utcnow
from app.extensions import db
from app.restriction import answers, objections
from app.restriction.models import Objection, ObjectionDecision
from app.restriction.services import RestrictionError
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.restriction.factory import letters_sent, register_entry


def _answered(world, caseworker):
    """An objection case whose one objection was upheld and answered."""
    case = confirmed_amelia(world, caseworker, request_type="objection")
    objection = objections.record_objection(case, caseworker, purpose="Class photographs")
    objections.decide_objection(case, objection, caseworker, uphold=True)
    answers.answer(case, caseworker)
    db.session.commit()
    return case


def test_record_objection_is_refused_once_the_case_is_answered(app, world, caseworker):
    case = _answered(world, caseworker)
    with pytest.raises(IllegalTransition, match="while the case is responded") as refused:
        objections.record_objection(case, caseworker, purpose="Attendance reports to the council")
    assert "still to be answered" in str(refused.value)
    assert objections.refusal(case) is not None
    close(case, caseworker)
    db.session.commit()
    with pytest.raises(IllegalTransition, match="while the case is closed"):
        objections.record_objection(case, caseworker, purpose="Attendance reports to the council")
    db.session.rollback()
    assert len(objections.objections_for(case)) == 1


def test_decide_objection_is_refused_once_the_case_is_answered(app, world, caseworker):
    case = _answered(world, caseworker)
    # One recorded after the answer, as was possible before it was refused.
    late = Objection(
        id=new_uuid(),
        case_id=case.id,
        purpose="Attendance reports to the council",
        direct_marketing=False,
        decision=ObjectionDecision.PENDING,
        created_at=utcnow(),
    )
    db.session.add(late)
    db.session.commit()
    with pytest.raises(IllegalTransition):
        objections.decide_objection(case, late, caseworker, uphold=False, grounds="Needed to safeguard.")
    with pytest.raises(IllegalTransition):
        objections.decide_no_right(case, late, caseworker, not_direct_marketing=True)
    db.session.rollback()
    assert late.decision is ObjectionDecision.PENDING
    assert len(letters_sent(case, answers.OBJECTION_MAIL_CATEGORY)) == 1


@pytest.mark.parametrize("request_type", ["access", "restriction", "consent_withdrawal"])
def test_record_objection_is_refused_on_another_request_type(app, world, caseworker, request_type):
    case = confirmed_amelia(world, caseworker, request_type=request_type)
    with pytest.raises(IllegalTransition, match=f"objection request, not {request_type}"):
        objections.record_objection(case, caseworker, purpose="Class photographs")
    db.session.rollback()
    assert objections.objections_for(case) == []


def test_objection_is_recorded_and_decided_while_gathering(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    case.status = CaseStatus.GATHERING
    objection = objections.record_objection(case, caseworker, purpose="Class photographs")
    objections.decide_objection(case, objection, caseworker, uphold=True)
    assert objection.decision is ObjectionDecision.UPHELD


def _outside(world, caseworker, **values):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    entry = register_entry("access_log", "access_log")
    return case, objections.record_objection(case, caseworker, register_entry_id=entry.id, **values)


def test_no_right_is_refused_without_saying_it_is_not_direct_marketing(app, world, caseworker):
    # Recorded without saying it is marketing: the flag is false by default, which proves nothing.
    case, objection = _outside(world, caseworker)
    assert objection.direct_marketing is False
    with pytest.raises(RestrictionError) as refused:
        objections.decide_no_right(case, objection, caseworker, not_direct_marketing=False)
    assert refused.value.errors == {"not_direct_marketing": objections.NOT_DIRECT_MARKETING}
    assert objection.decision is ObjectionDecision.PENDING
    with pytest.raises(RestrictionError) as both:
        objections.decide_no_right(
            case, objection, caseworker, not_direct_marketing=False, grounds="The law."
        )
    assert set(both.value.errors) == {"grounds", "not_direct_marketing"}


def test_no_right_records_that_the_decider_said_it_is_not_direct_marketing(app, world, caseworker):
    case, objection = _outside(world, caseworker)
    objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    db.session.commit()
    assert objection.decision is ObjectionDecision.NO_RIGHT
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "objection.decided")).one()
    assert audited.data["not_direct_marketing"] is True


def test_no_right_letter_says_what_the_right_covers_and_that_it_is_not_direct_marketing(
    app, world, caseworker
):
    case, objection = _outside(world, caseworker)
    objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    answers.answer(case, caseworker)
    db.session.commit()
    (letter,) = letters_sent(case, answers.OBJECTION_MAIL_CATEGORY)
    for part in (" ".join(letter.text_body.split()), " ".join(letter.html_body.split())):
        assert (
            "The right to object (UK GDPR Article 21(1)) covers personal data used for a public task" in part
        )
        assert "so that right does not reach it" in part
        assert register_entry("access_log", "access_log").lawful_basis in part
        assert "This is not direct marketing. You can always object to direct marketing" in part
        # It did not say the law allows objections only on those two bases.
        assert "right to object only to" not in part
        assert "Information Commissioner" in part and "judicial remedy" in part
