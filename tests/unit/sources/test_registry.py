"""The registry: every store in a fixed order, and search for a subject
and a requester acting for them."""

from __future__ import annotations

import pytest

from app.sources.protocol import Identity, PersonKind
from app.sources.registry import all_sources, find_all, get_source
from tests.unit.sources.conftest import counting_statements
from tests.unit.sources.factories import MOTHER_EMAIL, TWINS_BORN


def test_all_sources_in_fixed_order():
    assert [s.name for s in all_sources()] == [
        "pupils",
        "contacts",
        "employees",
        "correspondence",
        "helpdesk",
        "consent",
        "access_log",
    ]


def test_get_source_by_name_and_unknown_name_refused():
    assert get_source("helpdesk").name == "helpdesk"
    with pytest.raises(KeyError, match="known: pupils"):
        get_source("payroll")


def test_find_all_parent_for_child_marks_requester_candidates(db_session, world):
    orgs = frozenset({world.elm.id})
    child = Identity(orgs, "Millie", "O'Brien-Nunez", date_of_birth=TWINS_BORN, role="pupil")
    parent = Identity(orgs, "Siobhan", "O'Brien", emails=frozenset({MOTHER_EMAIL}))
    found = find_all(db_session, child, requester=parent)
    subject = [c for c in found if c.about == "subject"]
    requester = [c for c in found if c.about == "requester"]
    assert subject[0].record_id == world.amelia.id and subject[0].kind is PersonKind.PUPIL
    assert [c.record_id for c in requester] == [world.mother.id]
    assert "linked_to_subject" in requester[0].reasons and requester[0].kind is PersonKind.CONTACT


def test_find_all_without_role_searches_every_person_store(db_session, world):
    found = find_all(db_session, Identity(frozenset({world.elm.id}), "Margaret", "Hughes"))
    assert {c.kind for c in found} == {PersonKind.EMPLOYEE}
    assert all(c.about == "subject" for c in found)


# A pupil's search among pupils only (UPN, date of birth, names), and a
# case's subject, searched among every person store whatever the role: the
# contacts by surname and postcode, the staff by date of birth and surname.
@pytest.mark.parametrize(("role", "statements"), [("pupil", 3), (None, 7)])
def test_find_statement_count_bounded_whatever_the_pool(db_session, world, role, statements):
    identity = Identity(
        frozenset({world.elm.id}),
        "Isla",
        "O'Brien-Nunez",
        date_of_birth=TWINS_BORN,
        role=role,
        upn="X",
        postcode="LS1 4AP",
    )
    with counting_statements(db_session) as counted:
        find_all(db_session, identity)
    assert counted.count <= statements


def test_demo_seed_consent_ledger_collected_for_a_pupil(app, db_session):
    from datetime import date

    from sqlalchemy import select

    from app.demo.services import SeedOptions, seed_demo
    from app.sources.consent.models import ConsentRecord, wording_sha256
    from app.sources.protocol import Match
    from app.sources.pupils.models import Pupil

    seed_demo(SeedOptions(pupils=60, schools=1, seed=3, as_of=date(2026, 6, 15)))
    records = db_session.scalars(select(ConsentRecord)).all()
    assert records and all(r.wording_sha256 == wording_sha256(r.wording) for r in records)
    assert {r.person_kind.value for r in records} == {"pupil", "contact"}
    record = next(r for r in records if r.person_kind.value == "pupil")
    pupil = db_session.get(Pupil, record.person_id)
    match = Match(frozenset({pupil.organisation_id}), pupil_ids=frozenset({pupil.id}))
    items = list(get_source("consent").collect(db_session, match))
    assert f"consent:{record.id}" in {item.key for item in items}
