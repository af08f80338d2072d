"""Legitimate interests are refused at a public authority (UK GDPR Art 6(1),
last sentence) and at a school of a trust that is one, as the trust's basis
is what the school inherits; a private nursery may use them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.register import authority, bases
from app.register.models import LawfulBasis, OrganisationBasis
from app.register.services import RegisterError
from tests.signin import make_organisation, make_user
from tests.unit.register.test_organisation_bases import _identity

INTERESTS = "Legitimate interests (UK GDPR Art 6(1)(f)): to care for the child safely."
LAST_SENTENCE = "UK GDPR Article 6(1), last sentence"


@pytest.fixture
def admin(db_session):
    return make_user("ada@company.example", Role.ADMIN)[0]


def _refusal(organisation, admin) -> str:
    values = {"basis": "legitimate_interests", "lawful_basis": INTERESTS}
    with pytest.raises(RegisterError) as raised:
        bases.set_basis(organisation, _identity(), values, admin)
    db.session.rollback()
    assert db.session.scalars(select(OrganisationBasis)).all() == []
    assert set(raised.value.errors) == {"basis"}
    return raised.value.errors["basis"]


def test_legitimate_interests_refused_at_a_state_school(admin):
    message = _refusal(make_organisation("Alder Primary School"), admin)
    assert message.startswith("Alder Primary School is a public authority")
    assert LAST_SENTENCE in message and "public task (Article 6(1)(e))" in message


def test_legitimate_interests_refused_at_a_public_authority_trust(admin):
    message = _refusal(make_organisation("Rowan Trust", kind="trust"), admin)
    assert message.startswith("Rowan Trust is a public authority") and LAST_SENTENCE in message


def test_legitimate_interests_refused_at_a_school_of_a_public_authority_trust(admin):
    trust = make_organisation("Rowan Trust", kind="trust")
    # An independent school in the trust would inherit the trust's basis.
    school = make_organisation("Rowan Prep", "school", trust, public_authority="no")
    message = _refusal(school, admin)
    assert message.startswith("Rowan Prep's trust, Rowan Trust, is a public authority")
    assert "public task (Article 6(1)(e))" in message


def test_legitimate_interests_allowed_at_a_private_nursery(admin):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    assert nursery.public_authority is False
    values = {"basis": "legitimate_interests", "lawful_basis": INTERESTS}
    assert bases.set_basis(nursery, _identity(), values, admin) is True
    db.session.commit()
    assert bases.own_basis(nursery, _identity()).basis is LawfulBasis.LEGITIMATE_INTERESTS


def test_other_bases_allowed_at_a_public_authority(admin):
    school = make_organisation("Alder Primary School")
    values = {"basis": "consent", "lawful_basis": "Consent (UK GDPR Art 6(1)(a)): the family agreed."}
    assert bases.set_basis(school, _identity(), values, admin) is True


def test_public_authority_refusal_is_none_for_a_private_school_outside_a_trust(admin):
    school = make_organisation("Hollybank Prep", "school", public_authority=False)
    assert authority.public_authority_of(school) is None
    assert authority.legitimate_interests_refusal(school) is None
