"""A parent asking for a child: once the pupil is confirmed, the case says
whether the school records the requester as one of the child's contacts
with parental responsibility, and the case page warns when it does not."""

from __future__ import annotations

from sqlalchemy import update

from app.accounts.models import Role
from app.collect import services
from app.collect.authority import ParentalLink, parental_link
from app.extensions import db
from app.sources.contacts.models import PupilContact
from tests.signin import make_user, sign_in
from tests.unit.collect.factory import amelia_case, candidate_for, confirmed_amelia


def _confirm_mother(world, case, actor) -> None:
    services.decide_candidate(case, candidate_for(case, world.mother.id).id, actor, True)
    db.session.commit()


def test_the_mother_confirmed_as_a_contact_with_parental_responsibility(world, caseworker):
    case = confirmed_amelia(world, caseworker)
    assert parental_link(case) is ParentalLink.NOT_A_CONTACT  # her own record not confirmed yet
    _confirm_mother(world, case, caseworker)
    assert parental_link(case) is ParentalLink.RESPONSIBLE


def test_a_contact_without_parental_responsibility_is_told_apart(world, caseworker):
    db.session.execute(update(PupilContact).values(parental_responsibility=False))
    db.session.commit()
    case = confirmed_amelia(world, caseworker)
    _confirm_mother(world, case, caseworker)
    assert parental_link(case) is ParentalLink.NO_RESPONSIBILITY


def test_a_contact_of_another_pupil_is_not_a_contact_of_this_one(world, caseworker):
    db.session.execute(update(PupilContact).where(PupilContact.pupil_id == world.amelia.id).values(
        pupil_id=world.oak_amelia.id  # the mother is now linked only to a pupil of another school
    ))  # fmt: skip
    db.session.commit()
    case = confirmed_amelia(world, caseworker)
    _confirm_mother(world, case, caseworker)
    assert parental_link(case) is ParentalLink.NOT_A_CONTACT


def test_it_does_not_apply_before_the_pupil_is_confirmed_or_to_other_requesters(world, caseworker):
    case = amelia_case(world, caseworker)
    services.propose_candidates(case, caseworker)
    db.session.commit()
    assert parental_link(case) is None  # nothing confirmed yet
    own = confirmed_amelia(world, caseworker, requester_relationship="self", requester_name="Amelia O'Brien")
    assert parental_link(own) is None


def test_the_case_page_warns_until_parental_responsibility_is_shown(app, world, caseworker):
    user, secret = make_user("cw.parental@example.org", Role.CASEWORKER)
    client = app.test_client()
    sign_in(client, user, secret)
    case = confirmed_amelia(world, caseworker)
    page = client.get(f"/console/cases/{case.id}").text
    assert 'id="parental-warning"' in page and "not confirmed as one of the pupil's recorded contacts" in page
    _confirm_mother(world, case, caseworker)
    assert 'id="parental-warning"' not in client.get(f"/console/cases/{case.id}").text
