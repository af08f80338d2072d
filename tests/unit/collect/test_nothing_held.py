"""A request about someone no store holds is answered as such: once the
search ran and every record it proposed was rejected, the requester is told
which systems were searched and when, and what holding nothing means for
their request; the case is answered. Not before a search, not while a
record is proposed, not once one is confirmed, and only from open."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.clock_inputs import clock_for
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseEvent, CaseStatus
from app.collect import nothing_held, services
from app.erasure.services import BACKUP_DAYS
from app.extensions import db
from app.letters.services import absolute_url, format_date
from app.sources.validation import FieldError
from tests.unit.collect.factory import amelia_case, candidate_for
from tests.unit.restriction.factory import letters_sent

NOBODY = {"subject_name": "Zebedee Quartermaine", "subject_dob": date(2009, 2, 3)}
ZEB = "zeb.q@example.org"


def _searched(world, actor, **overrides):
    case = amelia_case(world, actor, **{**NOBODY, **overrides})
    services.propose_candidates(case, actor)
    db.session.commit()
    return case


def test_a_search_that_found_nothing_is_answered_with_what_was_searched(world, caseworker):
    case = _searched(world, caseworker)
    assert nothing_held.problem(case) is None
    nothing_held.answer(case, caseworker)
    db.session.commit()
    assert case.status is CaseStatus.RESPONDED
    (sent,) = letters_sent(case, nothing_held.MAIL_CATEGORY)
    assert (
        sent.subject
        == f"Your request {case.reference}: we found no personal data about your child Zebedee Quartermaine"
    )
    search = nothing_held.search_of(case)
    # Every person store, though the request says the subject is a pupil.
    assert [s.name for s in search.by_details] == ["pupils", "contacts", "employees"]
    assert all(f"- {s.title}" in sent.text_body for s in search.by_details)
    assert search.missed == [] and search.by_email == []
    assert {s.name for s in search.by_record} == {"correspondence", "helpdesk", "consent", "access_log"}
    assert f"Our other systems ({', '.join(s.title for s in search.by_record)})" in sent.text_body
    assert "So there is no copy of personal data to send." in sent.text_body
    assert f"On {nothing_held.last_searched_on(case).day} " in sent.text_body
    assert "Information Commissioner's Office" in sent.text_body
    moved = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "status_changed")
    ).all()[-1]
    assert moved.data["to"] == "responded" and moved.data["letter"] == nothing_held.MAIL_CATEGORY
    answered = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.answered")).one()
    assert answered.data["nothing_held"] is True and answered.object_id == case.id


@pytest.mark.parametrize(
    ("request_type", "outcome"),
    [
        ("erasure", "So there is nothing to delete."),
        ("rectification", "So there is nothing to correct."),
        ("restriction", "So there is nothing to restrict."),
        ("objection", "there is nothing to stop"),
        ("portability", "to you or to another organisation"),
        ("consent_withdrawal", "there is none to withdraw"),
    ],
)
def test_each_kind_of_request_is_told_what_holding_nothing_means(world, caseworker, request_type, outcome):
    case = _searched(
        world, caseworker, request_type=request_type, requester_relationship="self", requester_email=ZEB
    )
    nothing_held.answer(case, caseworker)
    db.session.commit()
    (sent,) = letters_sent(case, nothing_held.MAIL_CATEGORY)
    assert outcome in sent.text_body and "no personal data about you" in sent.subject
    assert "We searched them for your email address." in sent.text_body
    assert case.status is CaseStatus.RESPONDED


def test_no_answer_before_the_search(world, caseworker):
    case = amelia_case(world, caseworker, **NOBODY)
    with pytest.raises(FieldError) as refused:
        nothing_held.answer(case, caseworker)
    assert "Search for the subject's records first" in refused.value.message
    assert case.status is CaseStatus.OPEN


def test_a_record_proposed_must_be_rejected_and_one_confirmed_means_data_is_held(world, caseworker):
    case = amelia_case(world, caseworker)
    services.propose_candidates(case, caseworker)
    db.session.commit()
    with pytest.raises(FieldError, match="Confirm or reject each record"):
        nothing_held.answer(case, caseworker)
    services.decide_candidate(case, candidate_for(case, world.amelia.id).id, caseworker, True)
    with pytest.raises(FieldError, match="A record is confirmed as the subject's"):
        nothing_held.answer(case, caseworker)
    for candidate in services.candidates_for(case):
        services.decide_candidate(case, candidate.id, caseworker, False)
    nothing_held.answer(case, caseworker)
    db.session.commit()
    assert case.status is CaseStatus.RESPONDED


def test_only_an_open_case_is_answered_so(world, caseworker):
    case = _searched(world, caseworker)
    nothing_held.answer(case, caseworker)
    db.session.commit()
    with pytest.raises(IllegalTransition):
        nothing_held.answer(case, caseworker)
    assert len(letters_sent(case, nothing_held.MAIL_CATEGORY)) == 1


def test_someone_asking_about_themself_is_not_told_nothing_is_held_when_their_address_is(world, caseworker):
    from tests.unit.sources.factories import MOTHER_EMAIL

    case = _searched(world, caseworker, requester_relationship="self", requester_email=MOTHER_EMAIL)
    with pytest.raises(FieldError, match="held under the requester's own email address"):
        nothing_held.answer(case, caseworker)
    assert case.status is CaseStatus.OPEN and letters_sent(case, nothing_held.MAIL_CATEGORY) == []


def test_the_letter_says_the_school_was_told_and_how_to_make_a_new_request_when_a_parent_asks(
    world, caseworker
):
    case = _searched(world, caseworker)
    nothing_held.answer(case, caseworker)
    db.session.commit()
    (sent,) = letters_sent(case, nothing_held.MAIL_CATEGORY)
    child = "your child Zebedee Quartermaine"
    for part in (sent.text_body, sent.html_body):
        # The request is the school's to answer for all its records: it was told, with the date.
        assert f"We have told it that our systems hold nothing about {child}." in part
        assert f"answer you about them by {format_date(clock_for(case).due)}." in part
        assert "ask it about those directly" not in part
        # No promise of a search on this (answered) case: a new request, by the public form.
        assert "search again" not in part and "look at it again" not in part
        assert "make a new request" in part and absolute_url("intake.request_form") in part
        assert "other names, dates or addresses" in part
        # The stores keyed by record and address: how they are searched, and what that misses.
        assert "are organised by person record and email address, not by name." in part
        assert f"We search them using a person's record, and we found no record of {child}." in part
        assert f"A message that mentions {child} only in its text is not found this way." in part
        assert "nothing in them to search for" not in part
        # The backups the erasure certificate dates.
        assert f"Our backups are kept for {BACKUP_DAYS} days" in part
        assert f"deleted from these systems in the last {BACKUP_DAYS} days may still be in them" in part


def test_the_letter_says_the_stores_keyed_by_address_were_searched_by_the_own_address_when_self(
    world, caseworker
):
    case = _searched(world, caseworker, requester_relationship="self", requester_email=ZEB)
    nothing_held.answer(case, caseworker)
    db.session.commit()
    (sent,) = letters_sent(case, nothing_held.MAIL_CATEGORY)
    assert "We searched them for your email address." in sent.text_body
    assert "A message that mentions you only in its text is not found this way." in sent.text_body
    assert "found no record of" not in sent.text_body


def test_the_school_is_told_nothing_is_held_and_to_check_its_other_records_by_the_due_date(world, caseworker):
    case = _searched(world, caseworker)
    nothing_held.answer(case, caseworker)
    db.session.commit()
    (told,) = letters_sent(case, nothing_held.SCHOOL_MAIL_CATEGORY)
    assert told.recipients == world.elm.dp_contact_email
    assert told.subject == f"Request {case.reference}: our systems hold no personal data about the subject"
    due = format_date(clock_for(case).due)
    for part in (told.text_body, told.html_body):
        assert f"Dear {world.elm.dp_contact_name}," in part
        assert "Please check your other records" in part and due in part
        assert all(f"{s.title}" in part for s in nothing_held.search_of(case).by_details)
        # As at confirmation, nothing about the requester or the subject.
        for detail in ("Zebedee", "Quartermaine", "Siobhan", case.requester_email):
            assert detail not in part
    kinds = db.session.scalars(
        select(CaseEvent.data).where(CaseEvent.case_id == case.id, CaseEvent.kind == "mail_sent")
    ).all()
    assert {"category": nothing_held.SCHOOL_MAIL_CATEGORY} in kinds
