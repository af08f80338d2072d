"""The console and a public authority: the organisation page says whether
the organisation is one and what that means for its lawful bases, flags
legitimate interests in effect there, and the basis form refuses them
(UK GDPR Art 6(1), last sentence) with the error summary linking to the
basis field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.register.models import LawfulBasis, OrganisationBasis
from tests.functional.test_organisation_bases_pages import Estate, _admin, _entry, _own, _path, _row
from tests.signin import csrf_token, make_organisation

IDENTITY = "Pupil identity and contact details"
INTERESTS = "Legitimate interests (UK GDPR Art 6(1)(f)): to care for the child safely."


@pytest.fixture
def estate(db_session) -> Estate:
    return Estate()


def _post_interests(app, estate: Estate, organisation):
    client = _admin(app, estate)
    path = _path(organisation, _entry("pupils", "identity"))
    data = {
        "basis": "legitimate_interests",
        "lawful_basis": INTERESTS,
        "csrf_token": csrf_token(client, path),
    }
    return client.post(path, data=data)


def test_basis_form_is_422_linking_to_basis_when_a_state_school_chooses_legitimate_interests(app, estate):
    response = _post_interests(app, estate, estate.alder)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and 'href="#basis"' in page
    assert "Alder Academy is a public authority" in page
    assert "UK GDPR Article 6(1), last sentence" in page and "public task (Article 6(1)(e))" in page
    assert '<option value="legitimate_interests" selected>' in page
    assert _own(estate.alder, _entry("pupils", "identity")) is None


def test_basis_form_is_422_when_the_schools_trust_is_a_public_authority(app, estate):
    # An independent school in the trust: the trust's basis is what it inherits.
    prep = make_organisation("Birch Prep", "school", estate.trust, public_authority="no")
    db.session.commit()
    response = _post_interests(app, estate, prep)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#basis"' in page
    assert "Birch Prep&#39;s trust, Birch Learning Trust, is a public authority" in page
    assert _own(prep, _entry("pupils", "identity")) is None


def test_basis_form_saves_legitimate_interests_at_a_private_nursery(app, estate):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    db.session.commit()
    response = _post_interests(app, estate, nursery)
    assert response.status_code == 302
    assert _own(nursery, _entry("pupils", "identity")).basis is LawfulBasis.LEGITIMATE_INTERESTS


def test_organisation_page_says_whether_it_is_a_public_authority(app, estate):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    db.session.commit()
    client = _admin(app, estate)
    school = client.get(f"/console/organisations/{estate.alder.id}").get_data(as_text=True)
    assert "<dt>Public authority</dt><dd>Yes" in school
    assert "A public authority cannot use legitimate interests (Article 6(1)(f)) for its tasks" in school
    private = client.get(f"/console/organisations/{nursery.id}").get_data(as_text=True)
    assert "<dt>Public authority</dt><dd>No" in private
    assert "legitimate interests (Article 6(1)(f)) may be a basis here" in private


def _stored_before_the_rule(organisation, category: str) -> None:
    db.session.add(
        OrganisationBasis(
            organisation_id=organisation.id,
            register_entry_id=_entry("pupils", category).id,
            basis=LawfulBasis.LEGITIMATE_INTERESTS,
            lawful_basis=INTERESTS,
            updated_at=organisation.created_at,
        )
    )
    db.session.commit()


def test_organisation_page_flags_legitimate_interests_in_effect_at_a_public_authority(app, estate):
    prep = make_organisation("Birch Prep", "school", estate.trust, public_authority="no")
    _stored_before_the_rule(estate.alder, "identity")
    _stored_before_the_rule(estate.trust, "enrolment")
    client = _admin(app, estate)
    alder = client.get(f"/console/organisations/{estate.alder.id}").get_data(as_text=True)
    assert "Warning: not open to a public authority; set public task." in _row(alder, IDENTITY)
    assert alder.count("Warning:") == 1
    school = client.get(f"/console/organisations/{prep.id}").get_data(as_text=True)
    flagged = "Warning: not open to a school of a trust that is a public authority; set public task."
    assert flagged in _row(school, "Enrolment")
    assert "<dt>Public authority</dt><dd>No" in school and "Its trust is one" in school
    member = client.get(f"/console/organisations/{estate.school.id}").get_data(as_text=True)
    assert "Warning: not open to a public authority; set public task." in _row(member, "Enrolment")


def test_organisation_page_flags_nothing_when_a_private_nursery_uses_legitimate_interests(app, estate):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    _stored_before_the_rule(nursery, "identity")
    page = _admin(app, estate).get(f"/console/organisations/{nursery.id}").get_data(as_text=True)
    assert "Legitimate interests (Article 6(1)(f))" in _row(page, IDENTITY) and "Warning:" not in page
    assert db.session.scalars(select(OrganisationBasis)).one().organisation_id == nursery.id
