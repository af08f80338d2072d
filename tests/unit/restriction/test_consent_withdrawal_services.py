"""A consent-withdrawal request (Art 7(3)): the consents the subject has given
are withdrawn in the consent ledger at their request, audited and on the
timeline, the requester is sent the confirmation and the case is answered;
only given consents, only once, and never for another request type."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseEvent, CaseStatus
from app.extensions import db
from app.letters.services import ICO_COMPLAINT_URL, format_date
from app.mail.models import OutboxMessage
from app.restriction import answers
from app.restriction import consent_withdrawal as withdrawal
from app.sources.consent import services as consent
from app.sources.consent.models import ConsentDecision, ConsentMethod, ConsentRecord
from app.sources.validation import FieldError
from tests.unit.collect.factory import amelia_case, confirmed_amelia
from tests.unit.restriction.factory import letters_sent, photo_consent

KIND = "consent_withdrawal"


def _letters(case) -> list[OutboxMessage]:
    return letters_sent(case, withdrawal.MAIL_CATEGORY)


def _withdrawals(person) -> list[ConsentRecord]:
    return [r for r in consent.history(person) if r.decision is ConsentDecision.WITHDRAWN]


def _states(person) -> dict[str, ConsentDecision]:
    return {s.purpose: s.decision for s in consent.current_state(person)}


def test_withdraw_consents_records_dated_ledger_rows_at_the_subjects_request(app, world, caseworker):
    person = photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    done = withdrawal.withdraw_consents(case, caseworker, ["photos_website"])
    db.session.commit()
    assert _states(person) == {
        "photos_public_website": ConsentDecision.GRANTED,  # not chosen, so still given
        "photos_website": ConsentDecision.WITHDRAWN,
    }
    (row,) = _withdrawals(person)
    assert row.purpose == "photos_website" and row.recorded_at is not None
    assert row.recorded_by == caseworker.name and row.method is ConsentMethod.WEB
    assert row.evidence == f"Withdrawn at the data subject's request, case {case.reference}"
    assert row.wording == "Photographs of my child may appear on the school website."
    assert [(w.purpose, w.records) for w in done] == [("photos_website", 1)]
    assert case.status is CaseStatus.RESPONDED
    assert [w.purpose for w in withdrawal.withdrawn_on_case(case)] == ["photos_website"]


def test_withdraw_consents_takes_several_at_once_each_once(app, world, caseworker):
    person = photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    withdrawal.withdraw_consents(
        case, caseworker, ["photos_website", "photos_public_website", "photos_website"]
    )
    db.session.commit()
    assert set(_states(person).values()) == {ConsentDecision.WITHDRAWN}
    assert sorted(r.purpose for r in _withdrawals(person)) == ["photos_public_website", "photos_website"]


def test_withdraw_consents_refuses_a_consent_not_given_naming_those_given(app, world, caseworker):
    person = photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    with pytest.raises(FieldError) as refused:
        withdrawal.withdraw_consents(case, caseworker, ["photos_website", "photos_site"])
    assert refused.value.field == "purposes"
    assert refused.value.message == (
        "The subject has no consent given for photos_site: "
        "choose one of photos_public_website, photos_website"
    )
    db.session.rollback()
    assert not _withdrawals(person) and case.status is CaseStatus.OPEN and not _letters(case)


@pytest.mark.parametrize(
    ("purposes", "message"),
    [
        ([], "Choose at least one consent to withdraw: the subject has given photos_public_website"),
        (["  "], "Choose at least one consent to withdraw"),
        (["Not A Code"], "Use the consent ledger's purpose code"),
        ("photos", "The subject has no consent given for photos"),
        ([1], "Give the consents to withdraw as a list of purpose codes"),
        (None, "Give the consents to withdraw as a list of purpose codes"),
    ],
)
def test_withdraw_consents_refuses_bad_choices_by_field(app, world, caseworker, purposes, message):
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    with pytest.raises(FieldError, match=r"^purposes: ") as refused:
        withdrawal.withdraw_consents(case, caseworker, purposes)
    assert refused.value.message.startswith(message)
    db.session.rollback()
    assert case.status is CaseStatus.OPEN


def test_withdraw_consents_refuses_one_withdrawn_before_saying_when(app, world, caseworker):
    person = photo_consent(world)
    consent.withdraw(person, "photos_website", method=ConsentMethod.WEB, recorded_by="The person")
    db.session.commit()
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    with pytest.raises(FieldError) as refused:
        withdrawal.withdraw_consents(case, caseworker, ["photos_website"])
    assert "photos_website (it was withdrawn on " in refused.value.message
    assert refused.value.message.endswith("choose one of photos_public_website")
    db.session.rollback()
    assert len(_withdrawals(person)) == 1


def test_withdraw_consents_a_second_time_is_refused_and_records_nothing_more(app, world, caseworker):
    person = photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    withdrawal.withdraw_consents(case, caseworker, ["photos_website"])
    db.session.commit()
    with pytest.raises(IllegalTransition, match="responded case cannot be answered"):
        withdrawal.withdraw_consents(case, caseworker, ["photos_public_website"])
    db.session.rollback()
    assert len(_withdrawals(person)) == 1 and len(_letters(case)) == 1


def test_withdraw_consents_is_audited_and_on_the_timeline(app, world, caseworker):
    photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    withdrawal.withdraw_consents(case, caseworker, ["photos_website"])
    db.session.commit()
    (row,) = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.decision == ConsentDecision.WITHDRAWN)
    ).all()
    recorded = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consent_withdrawal.recorded")
    ).one()
    assert recorded.object_id == case.id and recorded.actor_id == caseworker.id
    assert recorded.data == {"purposes": ["photos_website"], "consent_record_ids": [str(row.id)]}
    ledger = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == row.id)).one()
    assert ledger.action == "consent.withdrawn" and ledger.actor_id == caseworker.id
    answered = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.answered")).one()
    assert answered.data == {"letter": withdrawal.MAIL_CATEGORY}
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    line = next(e for e in events if e.kind == withdrawal.EVENT)
    assert line.actor_id == caseworker.id and line.data["purposes"] == ["photos_website"]
    assert {"status_changed", "mail_sent"} <= {e.kind for e in events}


def test_confirmation_letter_tells_the_parent_what_was_withdrawn_and_from_when(app, world, caseworker):
    photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    (done,) = withdrawal.withdraw_consents(case, caseworker, ["photos_website"])
    db.session.commit()
    (letter,) = _letters(case)
    assert letter.recipients == case.requester_email and case.reference in letter.subject
    for text in (letter.text_body, html.unescape(letter.html_body)):
        assert "your child Amelia O'Brien-Núñez's personal data" in text
        assert (
            "Photos website" in text and "Photographs of my child may appear on the school website." in text
        )
        assert f"from {format_date(done.withdrawn_at)}" in text
        assert "stays lawful" in text and "Article 7(3)" in text
        assert "give consent again" in text
        assert ICO_COMPLAINT_URL in text
    assert "photos public website" not in letter.text_body.lower()


def test_confirmation_letter_to_the_subject_speaks_of_their_own_data(app, world, caseworker):
    photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND, requester_relationship="self")
    withdrawal.withdraw_consents(case, caseworker, ["photos_website"])
    (letter,) = _letters(case)
    assert "the use of your personal data" in letter.text_body and "your child" not in letter.text_body


def test_withdraw_consents_is_refused_for_an_access_request(app, world, caseworker):
    person = photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type="access")
    with pytest.raises(
        IllegalTransition, match="only a consent withdrawal request withdraws consent, not access"
    ):
        withdrawal.withdraw_consents(case, caseworker, ["photos_website"])
    # Nor is it answered by letter any other way.
    with pytest.raises(IllegalTransition, match="only restriction and objection requests"):
        answers.answer(case, caseworker)
    db.session.rollback()
    assert case.status is CaseStatus.OPEN and not _withdrawals(person)


def test_withdraw_consents_is_refused_before_the_subject_is_confirmed(app, world, caseworker):
    photo_consent(world)
    case = amelia_case(world, caseworker, request_type=KIND)
    db.session.commit()
    assert (
        withdrawal.refusal(case) == "confirm the subject's records first: the consents withdrawn are theirs"
    )
    with pytest.raises(IllegalTransition, match="confirm the subject's records first"):
        withdrawal.withdraw_consents(case, caseworker, ["photos_website"])


@pytest.mark.parametrize("status", [CaseStatus.GATHERING, CaseStatus.IN_REVIEW, CaseStatus.APPROVED])
def test_withdraw_consents_answers_from_wherever_the_case_is_worked(app, world, caseworker, status):
    photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    case.status = status
    withdrawal.withdraw_consents(case, caseworker, ["photos_website"])
    assert case.status is CaseStatus.RESPONDED


def test_withdraw_consents_is_refused_while_the_case_is_paused(app, world, caseworker):
    photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    case.status, case.resume_status = CaseStatus.PAUSED, CaseStatus.OPEN
    with pytest.raises(IllegalTransition, match="paused case cannot be answered"):
        withdrawal.withdraw_consents(case, caseworker, ["photos_website"])


def test_answer_sends_a_consent_withdrawal_to_recording_its_consents(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type=KIND)
    with pytest.raises(IllegalTransition, match="answered by recording the consents withdrawn"):
        answers.answer(case, caseworker)
    assert answers.work_left(case).startswith("A consent withdrawal is answered by recording")
