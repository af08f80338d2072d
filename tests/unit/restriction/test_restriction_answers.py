"""Answering a restriction or objection request by letter (Art 12(3), 12(4)):
the requester is told what was done, in their own words as a parent, and the
case is answered; never before the work is done, and never for a request
answered with a response pack."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.lifecycle import IllegalTransition, move
from app.cases.models import CaseEvent, CaseStatus, RequestType
from app.cases.next_action import CaseState, next_action
from app.console.services import case_overview
from app.extensions import db
from app.letters.services import ICO_COMPLAINT_URL
from app.mail.models import OutboxMessage
from app.restriction import answers, lifting, objections, services
from app.sources.validation import FieldError
from tests.unit.collect.factory import confirmed_amelia
from tests.unit.restriction.factory import photo_consent


def _letters(case, category: str) -> list[OutboxMessage]:
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.category == category)
    ).all()


def test_answer_restriction_tells_the_parent_what_is_restricted_and_answers_the_case(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="restriction")
    services.restrict(case, caseworker, "The parent disputes the attendance marks.")
    answers.answer(case, caseworker)
    db.session.commit()
    assert case.status is CaseStatus.RESPONDED
    (letter,) = _letters(case, answers.RESTRICTION_MAIL_CATEGORY)
    assert letter.recipients == case.requester_email and case.reference in letter.subject
    text = letter.text_body
    assert "restrict the use of your child Amelia O'Brien-Núñez's personal data" in text
    assert "the pupil record" in text and "kept in storage only" in text
    assert "make, exercise or defend legal claims" in text
    assert "We will tell you before the restriction is lifted." in text
    # The record's reason is for staff; the letter names kinds of record, not values.
    assert "attendance marks" not in text and "your personal data" not in text
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.answered")).one()
    assert audit.object_id == case.id and audit.data == {"letter": answers.RESTRICTION_MAIL_CATEGORY}
    kinds = [e.kind for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert "mail_sent" in kinds and "status_changed" in kinds
    assert case_overview(case).action.title == "Close the case"


def test_answer_objection_gives_each_decision_with_grounds_and_the_right_to_complain(app, world, caseworker):
    photo_consent(world)
    case = confirmed_amelia(world, caseworker, request_type="objection")
    upheld = objections.record_objection(
        case, caseworker, purpose="Photographs on the website", consent_purpose="photos_website"
    )
    rejected = objections.record_objection(case, caseworker, purpose="Attendance reports to the council")
    objections.decide_objection(case, upheld, caseworker, uphold=True)
    objections.decide_objection(
        case, rejected, caseworker, uphold=False, grounds="The council needs them to safeguard pupils."
    )
    answers.answer(case, caseworker)
    db.session.commit()
    assert case.status is CaseStatus.RESPONDED
    (letter,) = _letters(case, answers.OBJECTION_MAIL_CATEGORY)
    text = letter.text_body
    assert "uses your child Amelia O'Brien-Núñez's personal data" in text
    assert "Photographs on the website\nDecision: upheld" in text and "photos website is withdrawn" in text
    assert "Attendance reports to the council\nDecision: not upheld" in text
    assert "Our grounds: The council needs them to safeguard pupils." in text
    assert "compelling legitimate grounds" in text
    assert ICO_COMPLAINT_URL in text and "judicial remedy" in text


def test_answer_restriction_is_refused_before_anything_is_restricted(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="restriction")
    with pytest.raises(FieldError, match="Restrict the subject's records") as refused:
        answers.answer(case, caseworker)
    assert refused.value.field == "case"
    assert case.status is CaseStatus.OPEN and not _letters(case, answers.RESTRICTION_MAIL_CATEGORY)


def test_answer_restriction_after_the_lift_says_it_was_lifted(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="restriction")
    services.restrict(case, caseworker, "Accuracy disputed.")
    day = lifting.today() + timedelta(days=1)
    lifting.schedule_lift(case, caseworker, "Checked against the register.", day)
    lifting.lift_due(on=day)
    answers.answer(case, caseworker)
    (letter,) = _letters(case, answers.RESTRICTION_MAIL_CATEGORY)
    assert "The restriction has since been lifted" in letter.text_body


def test_answer_objection_is_refused_until_every_objection_is_decided(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="objection")
    with pytest.raises(FieldError, match="Record the objection"):
        answers.answer(case, caseworker)
    objections.record_objection(case, caseworker, purpose="Attendance reports to the council")
    with pytest.raises(FieldError, match="1 still to decide"):
        answers.answer(case, caseworker)
    assert case.status is CaseStatus.OPEN


def test_answer_is_refused_for_an_access_request(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="access")
    with pytest.raises(IllegalTransition, match="only restriction and objection"):
        answers.answer(case, caseworker)


def test_answer_is_refused_once_the_case_is_answered(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="restriction")
    services.restrict(case, caseworker, "Accuracy disputed.")
    answers.answer(case, caseworker)
    with pytest.raises(IllegalTransition, match="from responded to responded"):
        answers.answer(case, caseworker)
    assert len(_letters(case, answers.RESTRICTION_MAIL_CATEGORY)) == 1


@pytest.mark.parametrize("status", [CaseStatus.OPEN, CaseStatus.GATHERING, CaseStatus.IN_REVIEW])
def test_access_request_still_cannot_jump_to_responded(app, world, caseworker, status):
    case = confirmed_amelia(world, caseworker, request_type="access")
    case.status = status
    with pytest.raises(IllegalTransition, match="only restriction and objection requests"):
        move(case, CaseStatus.RESPONDED)
    assert case.status is status


@pytest.mark.parametrize("status", [CaseStatus.GATHERING, CaseStatus.IN_REVIEW, CaseStatus.APPROVED])
def test_restriction_request_is_answered_from_wherever_its_work_was_done(app, world, caseworker, status):
    case = confirmed_amelia(world, caseworker, request_type="restriction")
    services.restrict(case, caseworker, "Accuracy disputed.")
    case.status = status
    answers.answer(case, caseworker)
    assert case.status is CaseStatus.RESPONDED


def test_next_action_leads_to_the_answer_once_the_work_is_done(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="restriction")
    assert case_overview(case).action.title == "Restrict the records"
    services.restrict(case, caseworker, "Accuracy disputed.")
    action = case_overview(case).action
    assert (action.title, action.endpoint, action.anchor) == (
        "Send the answer to the requester",
        "console.case_restriction",
        "answer-heading",
    )


@pytest.mark.parametrize(
    ("objections_recorded", "pending", "title"),
    [
        (0, 0, "Record the objection"),
        (2, 1, "Decide 1 objection"),
        (2, 0, "Send the answer to the requester"),
    ],
)
def test_next_action_for_an_objection_follows_its_decisions(objections_recorded, pending, title):
    state = CaseState(
        status=CaseStatus.OPEN,
        request_type=RequestType.OBJECTION,
        candidates=1,
        confirmed=1,
        objections=objections_recorded,
        objections_pending=pending,
    )
    assert next_action(state).title == title


@pytest.mark.parametrize(
    ("pending", "outside", "said"),
    [
        (2, 0, ["reject it on compelling legitimate grounds"]),
        (
            1,
            1,
            ["Its processing is on a basis the right to object does not reach", "decide it as outside it"],
        ),
        (2, 2, ["Their processing is on a basis", "uphold them, or decide them as outside it"]),
        (3, 1, ["reject it on compelling legitimate grounds", "1 of them is on a basis the right to object"]),
    ],
)
def test_next_action_for_pending_objections_says_which_are_outside_the_right(pending, outside, said):
    state = CaseState(
        status=CaseStatus.OPEN,
        request_type=RequestType.OBJECTION,
        confirmed=1,
        objections=pending,
        objections_pending=pending,
        objections_outside=outside,
    )
    detail = next_action(state).detail
    assert all(part in detail for part in said)
    assert ("outside" in detail) is bool(outside)
    # Nothing the right does not reach is offered for rejection.
    assert ("reject" in detail) is (outside < pending)


def test_case_page_next_action_counts_an_objection_outside_the_right(app, world, caseworker):
    from app.register.models import RegisterEntry

    case = confirmed_amelia(world, caseworker, request_type="objection")
    is_access_log = (RegisterEntry.source == "access_log", RegisterEntry.category == "access_log")
    access_log = db.session.scalars(select(RegisterEntry).where(*is_access_log)).one()
    objection = objections.record_objection(case, caseworker, register_entry_id=access_log.id)
    assert case_overview(case).state.objections_outside == 1
    assert "decide it as outside it" in case_overview(case).action.detail
    objections.decide_no_right(case, objection, caseworker, not_direct_marketing=True)
    assert case_overview(case).state.objections_outside == 0


def test_next_action_for_an_access_request_is_still_the_gather():
    state = CaseState(status=CaseStatus.OPEN, candidates=1, confirmed=1, restrictions=1)
    assert next_action(state).title == "Start the gather"


def test_lift_notice_and_its_cancellation_speak_of_the_child_when_a_parent_asked(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="restriction")
    services.restrict(case, caseworker, "Accuracy disputed.")
    lifting.schedule_lift(
        case, caseworker, "Checked against the register.", lifting.today() + timedelta(days=3)
    )
    lifting.cancel_lift(case, caseworker)
    for category in (lifting.LIFT_NOTICE_MAIL_CATEGORY, lifting.LIFT_CANCELLED_MAIL_CATEGORY):
        (letter,) = _letters(case, category)
        assert "your child Amelia O'Brien-Núñez's personal data" in letter.text_body
        assert "your personal data" not in letter.text_body and "your data" not in letter.text_body


def test_lift_notice_to_someone_asking_for_themselves_says_your_personal_data(app, world, caseworker):
    case = confirmed_amelia(world, caseworker, request_type="restriction", requester_relationship="self")
    services.restrict(case, caseworker, "Accuracy disputed.")
    lifting.schedule_lift(
        case, caseworker, "Checked against the register.", lifting.today() + timedelta(days=3)
    )
    (letter,) = _letters(case, lifting.LIFT_NOTICE_MAIL_CATEGORY)
    assert "restrict the use of your personal data" in letter.text_body
