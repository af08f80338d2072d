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
from app.cases.lifecycle import IllegalTransition
from app.cases.models import CaseEvent, CaseStatus
from app.collect import nothing_held, services
from app.extensions import db
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
    assert [s.name for s in search.by_details] == ["pupils"]  # a pupil is looked for among pupils
    assert "- Pupil records" in sent.text_body or all(
        f"- {s.title}" in sent.text_body for s in search.by_details
    )
    assert search.by_email == [] and {s.name for s in search.not_searched} >= {"correspondence", "helpdesk"}
    assert "hold data only under a person's record or their own email address" in sent.text_body
    assert f"{case.organisation.name} may hold other records" in sent.text_body
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
    assert "for the email address you wrote from" in sent.text_body
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
