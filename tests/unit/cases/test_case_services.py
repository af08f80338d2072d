"""Case services: submission, references, duplicates, identity, pauses,
extension, refusal, withdrawal, and the mail each sends."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from app.audit.models import AuditEvent
from app.cases import clock_changes, evidence, identity, services
from app.cases.clock_inputs import clock_for
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseStatus, Relationship
from app.cases.references import format_reference, next_reference
from app.db import utcnow
from app.mail import OutboxMessage
from app.sources.validation import FieldError, FieldErrors
from tests.unit.cases.factory import new_case, opened_case


def _mail(db_session, category: str) -> list[OutboxMessage]:
    return list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.category == category)))


def test_submit_creates_an_unconfirmed_case_without_reference(school, db_session):
    case = new_case(school, confirm=False)
    assert case.status is CaseStatus.SUBMITTED
    assert case.reference is None
    assert case.due_on == date(2024, 10, 3)


def test_submit_encrypts_personal_fields_at_rest(school, db_session):
    new_case(school, confirm=False)
    raw = db_session.execute(
        text("SELECT requester_email, subject_name FROM cases WHERE reference IS NULL")
    ).one()
    assert b"jo.parent" not in bytes(raw[0]) and b"Sam" not in bytes(raw[1])


def test_submit_refuses_bad_fields_naming_them(school, db_session):
    with pytest.raises(FieldError) as error:
        new_case(school, confirm=False, requester_email="not-an-email")
    assert error.value.field == "requester_email"
    with pytest.raises(FieldError) as error:
        new_case(school, confirm=False, request_type="gossip")
    assert error.value.field == "request_type"
    with pytest.raises(FieldError) as error:
        new_case(school, confirm=False, subject_upn="A12345678901X")
    assert error.value.field == "subject_upn"


def test_confirm_issues_a_reference_and_notifies_school_and_requester(school, db_session):
    case = new_case(school)
    assert case.status is CaseStatus.AWAITING_IDENTITY
    assert re.fullmatch(r"SAR-2024-\d{6}", case.reference)
    acknowledgement = _mail(db_session, "case.acknowledgement")
    notice = _mail(db_session, "case.school_notice")
    assert len(acknowledgement) == 1 and "jo.parent@example.net" in acknowledgement[0].recipients
    assert case.reference in acknowledgement[0].subject
    assert len(notice) == 1 and school.dp_contact_email in notice[0].recipients
    assert "Sam Pupil" not in notice[0].subject


def test_references_are_sequential_per_year_and_unique(school, db_session):
    first = new_case(school)
    second = new_case(school, requester_email="other@example.net")
    other_year = new_case(school, requester_email="third@example.net", received_on=date(2025, 1, 6))
    assert first.reference == "SAR-2024-000001"
    assert second.reference == "SAR-2024-000002"
    assert other_year.reference == "SAR-2025-000001"
    assert next_reference(2024) == "SAR-2024-000003"
    assert format_reference(2026, 123) == "SAR-2026-000123"


def test_duplicate_within_90_days_is_flagged_not_blocked(school, db_session):
    first = new_case(school)
    again = new_case(
        school,
        requester_email=" JO.Parent@Example.net ",
        subject_name="sam  pupil",
        received_on=date(2024, 10, 1),
    )
    assert again.duplicate_of_id == first.id
    assert again.status is CaseStatus.AWAITING_IDENTITY


def test_duplicate_is_flagged_when_confirmed_not_when_submitted(school, db_session):
    first = new_case(school)
    again = new_case(school, confirm=False, received_on=date(2024, 10, 1))
    assert again.duplicate_of_id is None  # an unconfirmed submission is not a request yet

    services.confirm(again)
    db_session.commit()

    assert again.duplicate_of_id == first.id
    confirmed = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.confirmed", AuditEvent.object_id == again.id)
    ).one()
    assert confirmed.data["duplicate_of"] == str(first.id)


def test_duplicate_search_sees_changes_not_yet_flushed(school, db_session):
    # The first case leaves "submitted" (unconfirmed submissions are not
    # duplicates' originals) in this transaction, unflushed, just before
    # the second arrives: the search sees it, as any query in the session
    # sees what the transaction did before it.
    first = new_case(school, confirm=False)
    assert school.nation and first.id  # loaded again after the commit, before the change
    first.status = CaseStatus.AWAITING_IDENTITY  # as confirm() moves it; not flushed
    assert first in db_session.dirty
    again = services.submit(**_case_values(school, received_on=date(2024, 10, 1)))
    assert again.duplicate_of_id is None  # not looked for until the email is confirmed
    services.confirm(again)
    assert again.duplicate_of_id == first.id


def _case_values(school, **changes):
    values = {
        "organisation": school,
        "request_type": "access",
        "requester_name": "Jo Parent",
        "requester_email": "jo.parent@example.net",
        "requester_relationship": "parent_carer",
        "subject_name": "Sam Pupil",
        "subject_dob": date(2015, 5, 4),
        "subject_role": "pupil",
        "description": "Everything you hold about my child, please.",
        "received_on": date(2024, 9, 3),
    }
    return {**values, **changes}


def test_duplicate_is_not_flagged_after_90_days_or_for_another_type(school, db_session):
    new_case(school)
    later = new_case(school, received_on=date(2025, 1, 2))
    other_type = new_case(school, request_type="erasure", received_on=date(2024, 9, 10))
    assert later.duplicate_of_id is None
    assert other_type.duplicate_of_id is None


def test_identity_accepted_opens_the_case_and_keeps_the_start(school, caseworker, db_session):
    case = opened_case(school, caseworker)
    assert case.status is CaseStatus.OPEN
    assert case.identity_method.value == "known_to_school"
    assert clock_for(case).start == date(2024, 9, 3)


def test_identity_documents_seen_later_moves_the_start(school, caseworker, db_session):
    case = new_case(school, requester_relationship="self")
    identity.decide_identity(
        case,
        caseworker,
        accepted=True,
        method="documents_seen",
        reason="Passport seen.",
        identity_received_on=date(2024, 9, 10),
        today=date(2024, 9, 11),
    )
    assert clock_for(case).start == date(2024, 9, 10)
    assert case.due_on == date(2024, 10, 10)


def test_identity_for_someone_else_needs_the_authority(school, caseworker, db_session):
    case = new_case(school)
    with pytest.raises(FieldError) as error:
        identity.decide_identity(
            case, caseworker, accepted=True, method="known_to_school", reason="Known.", today=date(2024, 9, 4)
        )
    assert error.value.field == "authority_evidence"
    assert "parental responsibility" in error.value.message  # a parent's authority is that

    agent = new_case(school, requester_relationship="authorised_third_party", requester_email="a@example.net")
    with pytest.raises(FieldError) as error:
        identity.decide_identity(
            agent, caseworker, accepted=True, method="known_to_school", reason="Known", today=date(2024, 9, 5)
        )
    assert "letter of authority" in error.value.message


def test_identity_decision_reports_every_problem_at_once_when_accepted_with_nothing(
    school, caseworker, db_session
):
    case = new_case(school)  # a parent asking for their child
    with pytest.raises(FieldErrors) as error:
        identity.decide_identity(
            case,
            caseworker,
            accepted=True,
            reason="  ",
            identity_received_on=date(2024, 9, 1),  # before the request arrived
            today=date(2024, 9, 4),
        )
    assert error.value.errors == {
        "reason": ["say what was seen, or why the school knows the person"],
        "method": ["choose how identity was confirmed"],
        "identity_received_on": ["must be between the day the request arrived and today"],
        "authority_evidence": [identity.AUTHORITY_EXAMPLES[Relationship.PARENT_CARER]],
    }
    assert case.status is CaseStatus.AWAITING_IDENTITY


def test_identity_refusal_reports_a_missing_reason_with_the_request_not_yet_made(
    school, caseworker, db_session
):
    case = new_case(school)  # never asked for proof
    with pytest.raises(FieldErrors) as error:
        identity.decide_identity(case, caseworker, accepted=False, reason="")
    assert error.value.errors == {
        "reason": ["say why identity is not proven"],
        "decision": [services.ASK_FOR_IDENTITY_FIRST],
    }
    assert case.status is CaseStatus.AWAITING_IDENTITY


def test_identity_refused_sends_the_refusal_with_the_ico(school, caseworker, db_session):
    case = new_case(school)
    evidence.request_identity(case, caseworker)  # refusing needs them asked first (Art 12(6))
    later = utcnow().date() + timedelta(days=31)  # and a month to answer
    identity.decide_identity(case, caseworker, accepted=False, reason="No documents were sent.", today=later)
    assert case.status is CaseStatus.REFUSED
    assert case.refusal_reason.value == "identity_not_proven"
    letters = _mail(db_session, "case.refusal")
    assert len(letters) == 1 and "Information Commissioner" in letters[0].text_body


def test_pause_and_resume_add_the_paused_days(school, caseworker, db_session):
    case = opened_case(school, caseworker)
    clock_changes.pause(
        case,
        caseworker,
        reason="clarify_scope",
        question="Which years?",
        asked_on=date(2024, 9, 5),
        today=date(2024, 9, 5),
    )
    assert case.status is CaseStatus.PAUSED and case.resume_status is CaseStatus.OPEN
    assert case.due_on is None
    assert len(_mail(db_session, "case.clarification")) == 1
    clock_changes.resume(case, caseworker, answered_on=date(2024, 9, 7), today=date(2024, 9, 8))
    assert case.status is CaseStatus.OPEN
    assert clock_for(case).paused_days == 3
    assert case.due_on == date(2024, 10, 7)  # 3 Oct + 3 = 6 Oct (Sunday) → Monday
    # The clarification letter promised the new date: it goes with the resumption.
    db_session.flush()
    [told] = _mail(db_session, "case.clock_restarted")
    assert told.case_id == case.id and told.recipient_list == [case.requester_email]
    assert "We received your answer on 7 September 2024" in told.text_body
    assert "We must now respond to your request by 7 October 2024." in told.text_body


def test_pause_from_awaiting_identity_is_illegal(school, caseworker, db_session):
    case = new_case(school)
    with pytest.raises(IllegalTransition, match="awaiting_identity to paused"):
        clock_changes.pause(
            case, caseworker, reason="clarify_scope", question="Which years?", today=date(2024, 9, 4)
        )


def test_resume_rejects_an_answer_before_the_question(school, caseworker, db_session):
    case = opened_case(school, caseworker)
    clock_changes.pause(
        case, caseworker, reason="other", question="?", asked_on=date(2024, 9, 5), today=date(2024, 9, 5)
    )
    with pytest.raises(FieldError) as error:
        clock_changes.resume(case, caseworker, answered_on=date(2024, 9, 4), today=date(2024, 9, 6))
    assert error.value.field == "answered_on"


def test_extend_needs_a_reason_and_a_notice_by_the_original_due_date(school, caseworker, db_session):
    case = opened_case(school, caseworker, received_on=date(2025, 1, 31))
    with pytest.raises(FieldError) as error:
        clock_changes.extend(case, caseworker, reason="  ", today=date(2025, 2, 10))
    assert error.value.field == "reason"
    with pytest.raises(FieldError) as error:
        clock_changes.extend(
            case, caseworker, reason="Complex.", notice_on=date(2025, 3, 1), today=date(2025, 3, 1)
        )
    assert error.value.field == "notice_on"
    clock_changes.extend(case, caseworker, reason="Many records in many systems.", today=date(2025, 2, 20))
    assert case.due_on == date(2025, 4, 30)
    assert case.extension_notice_sent_on == date(2025, 2, 20)
    notice = _mail(db_session, "case.extension")
    assert (
        len(notice) == 1 and "Many records" in notice[0].text_body and "30 April 2025" in notice[0].text_body
    )


def test_extend_twice_is_refused(school, caseworker, db_session):
    case = opened_case(school, caseworker)
    clock_changes.extend(case, caseworker, reason="Complex.", today=date(2024, 9, 10))
    with pytest.raises(FieldError):
        clock_changes.extend(case, caseworker, reason="Again.", today=date(2024, 9, 11))


def test_refuse_records_the_reason_and_sends_the_letter(school, caseworker, db_session):
    case = opened_case(school, caseworker)
    services.refuse(
        case, caseworker, reason="manifestly_excessive", detail="The fifth identical request this month."
    )
    assert case.status is CaseStatus.REFUSED
    body = _mail(db_session, "case.refusal")[0].text_body
    assert "manifestly excessive" in body and "ico.org.uk" in body


def test_withdraw_ends_the_case_and_closes_an_open_pause(school, caseworker, db_session):
    case = opened_case(school, caseworker)
    clock_changes.pause(
        case, caseworker, reason="other", question="?", asked_on=date(2024, 9, 5), today=date(2024, 9, 5)
    )
    services.withdraw(case, caseworker, asked_by="email")
    assert case.status is CaseStatus.WITHDRAWN
    assert case.open_pause is None
    with pytest.raises(IllegalTransition):
        services.withdraw(case, caseworker, asked_by="email")
    moved = [event for event in case.events if event.kind == "status_changed"][-1]
    assert moved.data["to"] == "withdrawn" and moved.data["asked_by"] == "email"


@pytest.mark.parametrize("asked_by", [None, "", "carrier pigeon"])
def test_staff_withdrawing_must_say_how_the_requester_asked(school, caseworker, db_session, asked_by):
    case = opened_case(school, caseworker)
    with pytest.raises(FieldError) as refused:
        services.withdraw(case, caseworker, asked_by=asked_by)
    assert refused.value.field == "asked_by"
    assert case.status is CaseStatus.OPEN


def test_every_action_is_audited_with_codes_only(school, caseworker, db_session):
    case = opened_case(school, caseworker)
    db_session.commit()
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.object_id == case.id)).all()
    actions = [event.action for event in events]
    assert "case.submitted" in actions and "case.confirmed" in actions and "case.identity_accepted" in actions
    assert actions.count("case.status_changed") == 2
    text = str([event.data for event in events])
    assert "Sam" not in text and "jo.parent" not in text
    count = db_session.scalar(select(func.count()).select_from(AuditEvent))
    assert count >= 5


def test_sort_cache_always_equals_the_computed_due_date(school, caseworker, db_session):
    case = opened_case(school, caseworker)
    steps = [
        lambda: clock_changes.pause(
            case, caseworker, reason="other", question="?", asked_on=date(2024, 9, 5), today=date(2024, 9, 5)
        ),
        lambda: clock_changes.resume(case, caseworker, answered_on=date(2024, 9, 9), today=date(2024, 9, 9)),
        lambda: clock_changes.extend(case, caseworker, reason="Complex.", today=date(2024, 9, 20)),
    ]
    for step in steps:
        step()
        db_session.commit()
        assert case.due_on == clock_for(case).due
    assert case.due_on == date(2024, 12, 9)  # 3 Dec + 5 paused days = 8 Dec (Sunday) → Monday


def test_days_left_is_not_shown_once_a_case_has_ended(school, caseworker, db_session):
    from app.cases.clock_inputs import clock_summary

    case = opened_case(school, caseworker)
    assert clock_summary(case, date(2024, 10, 10)).working_days_left == -5
    services.withdraw(case, caseworker, asked_by="email")
    assert clock_summary(case, date(2024, 10, 10)).working_days_left is None


def test_extending_an_unopened_case_is_an_illegal_action(school, caseworker, db_session):
    case = new_case(school)
    with pytest.raises(IllegalTransition, match="not possible while the case is awaiting_identity"):
        clock_changes.extend(case, caseworker, reason="Complex.", today=date(2024, 9, 4))
