"""From a case to the identities searched and the match collected."""

from __future__ import annotations

import uuid

from app.collect.identity import (
    match_from,
    organisations_of,
    requester_identity,
    split_name,
    subject_identity,
)
from app.collect.models import CaseCandidate, Decision
from app.sources.protocol import PersonKind
from tests.unit.api.estate import make_organisation
from tests.unit.cases.factory import new_case
from tests.unit.collect.factory import amelia_case
from tests.unit.sources.factories import MOTHER_EMAIL, TWINS_BORN


def test_split_name_takes_the_last_word_as_surname():
    assert split_name("Amelia Rose O'Brien-Núñez") == ("Amelia Rose", "O'Brien-Núñez")
    assert split_name("  Sam   Pupil ") == ("Sam", "Pupil")
    assert split_name("Cher") == ("Cher", "")
    assert split_name("") == ("", "")


def test_parent_request_searches_the_child_and_the_parent(world, caseworker):
    case = amelia_case(world, caseworker)
    orgs = organisations_of(case)
    assert orgs == frozenset({world.elm.id})

    subject = subject_identity(case, orgs)
    assert (subject.forename, subject.surname, subject.date_of_birth) == (
        "Amelia",
        "O'Brien-Núñez",
        TWINS_BORN,
    )
    # No role: the one ticked on the form never narrows the search for the
    # subject, who is looked for in every person store.
    assert subject.role is None and subject.emails == frozenset()  # the parent's email is not the child's

    requester = requester_identity(case, orgs)
    assert requester is not None
    assert (requester.forename, requester.surname, requester.role) == ("Siobhan", "O'Brien", "parent")
    assert requester.emails == frozenset({MOTHER_EMAIL})


def test_self_request_uses_the_requesters_email_and_searches_no_requester(db_session):
    school = make_organisation("Ash School")
    case = new_case(
        school,
        requester_relationship="self",
        subject_role="staff",
        requester_email="Me@Example.org",
        subject_name="Jo Staff",
        subject_dob=TWINS_BORN.replace(year=1980),
    )
    orgs = organisations_of(case)
    assert subject_identity(case, orgs).emails == frozenset({"me@example.org"})
    assert requester_identity(case, orgs) is None


def test_trust_case_spans_its_member_schools(db_session):
    trust = make_organisation("Rowan Trust", kind="trust")
    member = make_organisation("Rowan Primary", trust=trust)
    make_organisation("Elsewhere School")
    case = new_case(trust)
    assert organisations_of(case) == frozenset({trust.id, member.id})


def test_match_holds_confirmed_subject_records_only(world, caseworker):
    case = amelia_case(world, caseworker)

    def candidate(kind, decision, about="subject", summary='{"email": "x@example.org"}'):
        return CaseCandidate(
            kind=kind, record_id=uuid.uuid4(), decision=decision, about=about, summary_json=summary
        )

    confirmed = candidate(PersonKind.PUPIL, Decision.CONFIRMED)
    rows = [
        confirmed,
        candidate(PersonKind.PUPIL, Decision.REJECTED),
        candidate(PersonKind.CONTACT, Decision.PROPOSED),
        candidate(
            PersonKind.CONTACT, Decision.CONFIRMED, about="requester", summary='{"email": "m@example.org"}'
        ),
    ]
    match = match_from(case, frozenset({world.elm.id}), rows)
    assert match.pupil_ids == frozenset({confirmed.record_id})
    assert match.contact_ids == frozenset() and match.employee_ids == frozenset()
    assert match.emails == frozenset({"x@example.org"})
