"""The role ticked on the form never narrows the search for the subject:
every person store is searched, so a member of staff who asks about herself
but ticks "parent" has her staff record found, and is not told that nothing
is held. A search recorded before every store was searched must be run again
before that answer; the letter lists exactly the stores the last search
covered."""

from __future__ import annotations

from datetime import date

import pytest

from app.cases import lifecycle
from app.collect import nothing_held, services
from app.collect.searched import SEARCHED, SEARCHED_STORES
from app.extensions import db
from app.sources.protocol import PersonKind
from app.sources.registry import person_sources
from app.sources.validation import FieldError
from tests.unit.collect.factory import amelia_case, candidate_for
from tests.unit.restriction.factory import letters_sent

# Margaret Hughes teaches at Elm (the sources' test world); she writes from home.
MARGARET = {
    "subject_name": "Margaret Hughes",
    "subject_dob": date(1980, 2, 3),
    "requester_name": "Margaret Hughes",
    "requester_email": "margaret.hughes@example.net",
    "requester_relationship": "self",
}


def test_a_staff_record_is_found_when_the_member_of_staff_ticked_parent(world, caseworker):
    case = amelia_case(world, caseworker, **MARGARET, subject_role="parent")
    services.propose_candidates(case, caseworker)
    db.session.commit()
    found = candidate_for(case, world.teacher.id)
    assert found.kind is PersonKind.EMPLOYEE and found.about == "subject" and found.score >= 0.8
    assert not found.fits_role("parent") and found.fits_role("staff")
    with pytest.raises(FieldError, match="Confirm or reject each record"):
        nothing_held.answer(case, caseworker)
    assert letters_sent(case, nothing_held.MAIL_CATEGORY) == []


def test_an_ordinary_parent_request_finds_no_record_of_another_kind_for_the_child(world, caseworker):
    case = amelia_case(world, caseworker)  # the mother asks for Amelia's data
    candidates = services.propose_candidates(case, caseworker)
    subject = [c for c in candidates if c.about == "subject"]
    assert {c.kind for c in subject} == {PersonKind.PUPIL}  # her twin is listed too, as now
    assert [c.kind for c in candidates if c.about == "requester"] == [PersonKind.CONTACT]


def test_the_search_records_every_person_store_it_covered(world, caseworker):
    case = amelia_case(world, caseworker, **MARGARET, subject_role="pupil")
    services.propose_candidates(case, caseworker)
    db.session.commit()
    (searched,) = [event for event in case.events if event.kind == SEARCHED]
    assert searched.data[SEARCHED_STORES] == ["pupils", "contacts", "employees"]
    search = nothing_held.search_of(case)
    assert search.by_details == person_sources() and search.missed == []


def test_a_search_from_before_every_store_was_searched_must_be_run_again(world, caseworker):
    case = amelia_case(world, caseworker, subject_name="Zebedee Quartermaine", subject_dob=date(2009, 2, 3))
    # The line such a search left: the count only (it covered the pupil store, the role's).
    lifecycle.add_event(case, SEARCHED, caseworker, {"found": 0})
    db.session.commit()
    search = nothing_held.search_of(case)
    assert [s.name for s in search.by_details] == ["pupils"]
    assert [s.name for s in search.missed] == ["contacts", "employees"]
    with pytest.raises(FieldError, match=r"The last search did not cover .*: search the records again"):
        nothing_held.answer(case, caseworker)
    services.propose_candidates(case, caseworker)
    db.session.commit()
    assert nothing_held.problem(case) is None
    nothing_held.answer(case, caseworker)
    db.session.commit()
    (sent,) = letters_sent(case, nothing_held.MAIL_CATEGORY)
    assert all(f"- {s.title}" in sent.text_body for s in person_sources())
