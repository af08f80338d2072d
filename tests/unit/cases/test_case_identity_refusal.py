"""Refusing because identity is not proven (UK GDPR Art 12(2), 12(6)): only
while identity awaits its decision (never once it was accepted), once the
requester was asked for proof and either sent something since (judged not
enough) or had a month to, and never past proof they sent that still waits
for the identity decision. Other refusal reasons are unaffected."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from app.cases import evidence, identity, services
from app.cases.lifecycle import IllegalTransition
from app.cases.models import Case, CaseEvent, CaseStatus
from app.db import utcnow
from app.extensions import db
from app.mail import OutboxMessage
from app.sources.validation import FieldError, FieldErrors
from tests.evidence_files import pdf_file
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
        case, "identity", io.BytesIO(pdf_file()), filename="passport.pdf", declared_type=None
    )


def _asked_on(case: Case, caseworker, day: date) -> None:
    """The requester is asked for proof, the request dated ``day``."""
    evidence.request_identity(case, caseworker)
    asked = update(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == services.IDENTITY_REQUESTED
    )
    db.session.execute(asked.values(at=utcnow().replace(year=day.year, month=day.month, day=day.day)))


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


def test_identity_refusal_is_refused_once_identity_was_accepted_as_known_to_the_school(
    school, caseworker, db_session
):
    case = opened_case(school, caseworker)  # known to the school: nobody asked for proof
    with pytest.raises(IllegalTransition, match="identity was accepted for this request"):
        services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL)
    assert case.status is CaseStatus.OPEN and _refusal_letters(db_session, case) == []


def test_identity_refusal_is_refused_once_identity_was_accepted_on_documents(school, caseworker, db_session):
    case = _asked_and_sent_proof(school, caseworker)
    identity.decide_identity(
        case, caseworker, accepted=True, method="documents_seen", reason="Passport seen.",
        authority_evidence="Named as parent on the admission form.",
    )  # fmt: skip
    with pytest.raises(IllegalTransition, match="would reverse the identity decision"):
        services.refuse(case, caseworker, reason=IDENTITY, detail="The passport was later reported stolen.")
    assert case.status is CaseStatus.OPEN
    # Another ground, where one applies, is still open to the controller.
    services.refuse(
        case, caseworker, reason="manifestly_unfounded", detail="Made only to disrupt the school."
    )
    assert case.status is CaseStatus.REFUSED


def test_identity_refusal_is_refused_within_the_month_after_asking(school, caseworker, db_session):
    case = new_case(school)
    _asked_on(case, caseworker, date(2025, 1, 31))
    for today in (date(2025, 1, 31), date(2025, 2, 27)):
        with pytest.raises(FieldError) as error:
            services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL, today=today)
        assert error.value.field == "reason"
        assert error.value.message.startswith(
            "the requester was asked for proof of identity on 31 January 2025 and has until 28 February 2025"
        )
    assert case.status is CaseStatus.AWAITING_IDENTITY and _refusal_letters(db_session, case) == []


def test_identity_refusal_goes_ahead_a_month_after_asking_with_nothing_sent(school, caseworker, db_session):
    case = new_case(school)
    _asked_on(case, caseworker, date(2025, 1, 31))
    services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL, today=date(2025, 2, 28))
    assert case.status is CaseStatus.REFUSED and case.refusal_reason.value == IDENTITY
    [letter] = _refusal_letters(db_session, case)
    assert "could not confirm your identity" in letter.text_body


def test_identity_decision_cannot_refuse_the_moment_the_requester_was_asked(school, caseworker, db_session):
    case = new_case(school)
    _upload_proof(case)  # sent unasked, then asked for better: the month runs from the request
    db.session.flush()
    evidence.request_identity(case, caseworker)
    with pytest.raises(FieldErrors) as error:
        identity.decide_identity(case, caseworker, accepted=False, reason="Nothing arrived.")
    [message] = error.value.errors["decision"]
    assert message.startswith("the requester was asked for proof of identity on ")
    assert case.status is CaseStatus.AWAITING_IDENTITY and _refusal_letters(db_session, case) == []
    later = utcnow().date() + timedelta(days=31)
    identity.decide_identity(case, caseworker, accepted=False, reason="Nothing arrived.", today=later)
    assert case.status is CaseStatus.REFUSED


def test_identity_refusal_is_refused_while_sent_evidence_awaits_the_decision(school, caseworker, db_session):
    case = _asked_and_sent_proof(school, caseworker)
    with pytest.raises(FieldError) as error:
        services.refuse(case, caseworker, reason=IDENTITY, detail=DETAIL)
    assert error.value.field == "reason"
    assert error.value.message.startswith("decide on the evidence they sent first")
    assert case.status is CaseStatus.AWAITING_IDENTITY


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
