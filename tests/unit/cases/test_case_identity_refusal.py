"""Refusing because identity is not proven (UK GDPR Art 12(6)): only once the
requester was asked for proof, and never past proof they sent that still
waits for the identity decision. Other refusal reasons are unaffected."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.cases import evidence, identity, services
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseStatus
from app.mail import OutboxMessage
from app.sources.validation import FieldError
from tests.unit.cases.factory import new_case, opened_case

IDENTITY = "identity_not_proven"
DETAIL = "We asked for a passport or birth certificate and nothing arrived."


def _refusal_letters(db_session, case: Case) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(
        OutboxMessage.case_id == case.id, OutboxMessage.category == "case.refusal"
    )
    return list(db_session.scalars(query))


def _upload_proof(case: Case) -> None:
    evidence.add_evidence(
        case, "identity", io.BytesIO(b"%PDF-1.7 passport"), filename="passport.pdf", declared_type=None
    )


def _asked_and_sent_proof(school, caseworker) -> Case:
    """A case whose requester was asked for proof and uploaded a file."""
    case = new_case(school)
    evidence.request_identity(case, caseworker)
    _upload_proof(case)
    return case


def test_identity_refusal_is_refused_when_the_requester_was_never_asked(school, caseworker, db_session):
    case = new_case(school)
    with pytest.raises(FieldError) as error:
        services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL)
    assert error.value.field == "reason"
    assert error.value.message.startswith("ask the requester for proof of identity first")
    assert case.status is CaseStatus.AWAITING_IDENTITY
    assert _refusal_letters(db_session, case) == []


def test_identity_refusal_is_refused_on_an_opened_case_never_asked(school, caseworker, db_session):
    case = opened_case(school, caseworker)  # known to the school: nobody asked for proof
    with pytest.raises(FieldError) as error:
        services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL)
    assert error.value.message == services.ASK_FOR_IDENTITY_FIRST
    assert case.status is CaseStatus.OPEN


def test_identity_refusal_goes_ahead_once_asked_and_nothing_was_sent(school, caseworker, db_session):
    case = new_case(school)
    evidence.request_identity(case, caseworker)
    services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL)
    assert case.status is CaseStatus.REFUSED and case.refusal_reason.value == IDENTITY
    [letter] = _refusal_letters(db_session, case)
    assert "could not confirm your identity" in letter.text_body


def test_identity_refusal_is_refused_while_sent_evidence_awaits_the_decision(school, caseworker, db_session):
    case = _asked_and_sent_proof(school, caseworker)
    with pytest.raises(FieldError) as error:
        services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL)
    assert error.value.field == "reason"
    assert error.value.message.startswith("decide on the evidence they sent first")
    assert case.status is CaseStatus.AWAITING_IDENTITY


def test_identity_refusal_goes_ahead_once_the_evidence_was_decided(school, caseworker, db_session):
    case = _asked_and_sent_proof(school, caseworker)
    identity.decide_identity(
        case,
        caseworker,
        accepted=True,
        method="documents_seen",
        reason="Passport seen.",
        authority_evidence="Named as parent on the admission form.",
    )
    services.refuse(case, caseworker, reason=IDENTITY, detail="The passport was later reported stolen.")
    assert case.status is CaseStatus.REFUSED


def test_identity_decision_refuses_the_evidence_sent_once_asked(school, caseworker, db_session):
    case = _asked_and_sent_proof(school, caseworker)
    identity.decide_identity(
        case, caseworker, accepted=False, reason="The photograph is not of the requester."
    )
    assert case.status is CaseStatus.REFUSED and case.refusal_reason.value == IDENTITY
    assert len(_refusal_letters(db_session, case)) == 1


def test_identity_decision_cannot_refuse_when_the_requester_was_never_asked(school, caseworker, db_session):
    case = new_case(school)
    _upload_proof(case)  # sent unasked, from the acknowledgement's status link
    with pytest.raises(FieldError) as error:
        identity.decide_identity(case, caseworker, accepted=False, reason="Not enough.")
    assert error.value.field == "decision" and error.value.message == services.ASK_FOR_IDENTITY_FIRST
    assert case.status is CaseStatus.AWAITING_IDENTITY


def test_other_refusal_reasons_go_ahead_when_never_asked_and_evidence_waits(school, caseworker, db_session):
    case = new_case(school)
    _upload_proof(case)
    services.refuse(case, caseworker, reason="manifestly_excessive", detail="The fifth request this month.")
    assert case.status is CaseStatus.REFUSED


def test_identity_refusal_of_an_ended_case_is_the_lifecycle_s_answer(school, caseworker, db_session):
    case = new_case(school)
    services.withdraw(case, caseworker, asked_by="email")
    with pytest.raises(IllegalTransition):
        services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL)
