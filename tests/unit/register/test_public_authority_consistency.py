"""Legitimate interests are never put in effect at a public authority, nor at
a school of a trust that is one (UK GDPR Art 6(1), last sentence), by any
change: marking an organisation a public authority
(``authority.set_public_authority``), a trust's own basis that its schools
take, going back to a trust's or the register's basis, or the register's
own basis for a category."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.extensions import db
from app.register import authority, bases, services
from app.register.errors import NotAllowed, RegisterError
from app.register.models import LawfulBasis, OrganisationBasis, RegisterEntry
from tests.signin import make_organisation, make_user

INTERESTS = "Legitimate interests (UK GDPR Art 6(1)(f)): to care for the child safely."
PUBLIC_TASK = "Public task (UK GDPR Art 6(1)(e)): the school's functions as a school."
CONTRACT = "Contract (UK GDPR Art 6(1)(b)): the nursery's contract with the parents for the place."
LAST_SENTENCE = "UK GDPR Article 6(1), last sentence"


def _entry(source: str, category: str) -> RegisterEntry:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.source == source, RegisterEntry.category == category)
    ).one()


def _identity() -> RegisterEntry:
    return _entry("pupils", "identity")


def _enrolment() -> RegisterEntry:
    return _entry("pupils", "enrolment")


@pytest.fixture
def admin(db_session):
    return make_user("ada@company.example", Role.ADMIN)[0]


def _set(organisation, entry, basis: str, wording: str, admin) -> None:
    bases.set_basis(organisation, entry, {"basis": basis, "lawful_basis": wording}, admin)
    db.session.commit()


def _events() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "organisation.public_authority_set")
            .order_by(AuditEvent.seq)
        )
    )


def _refused_flag(organisation, admin) -> str:
    with pytest.raises(RegisterError) as raised:
        authority.set_public_authority(organisation, True, admin)
    db.session.rollback()
    assert set(raised.value.errors) == {"public_authority"}
    db.session.refresh(organisation)
    assert organisation.public_authority is False and _events() == []
    return raised.value.errors["public_authority"]


# -- marking an organisation a public authority --------------------------------


def test_flag_set_and_audited_with_old_and_new_value_when_nothing_stands_in_the_way(admin):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    _set(nursery, _identity(), "contract", CONTRACT, admin)
    assert authority.set_public_authority(nursery, True, admin) is True
    db.session.commit()
    assert nursery.public_authority is True and nursery.updated_at is not None
    assert authority.set_public_authority(nursery, "no", admin) is True
    db.session.commit()
    assert nursery.public_authority is False
    events = _events()
    assert [event.data for event in events] == [
        {"field": "public_authority", "old": False, "new": True},
        {"field": "public_authority", "old": True, "new": False},
    ]
    assert {(event.object_type, event.object_id, event.actor_id) for event in events} == {
        ("organisation", nursery.id, admin.id)
    }


def test_flag_unchanged_stores_and_audits_nothing(admin):
    school = make_organisation("Alder Academy")
    assert authority.set_public_authority(school, "yes", admin) is False
    db.session.commit()
    assert _events() == []


def test_flag_refused_when_not_an_administrator(db_session):
    caseworker = make_user("cas@company.example", Role.CASEWORKER)[0]
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    with pytest.raises(NotAllowed):
        authority.set_public_authority(nursery, True, caseworker)
    assert nursery.public_authority is False


@pytest.mark.parametrize("value", ["maybe", "", None, 1])
def test_flag_refused_with_a_field_message_when_neither_yes_nor_no(admin, value):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    with pytest.raises(RegisterError) as raised:
        authority.set_public_authority(nursery, value, admin)
    assert raised.value.errors == {
        "public_authority": "Say whether Little Acorns Nursery is a public authority"
    }


def test_flag_refused_naming_the_categories_when_legitimate_interests_is_the_own_basis(admin):
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    _set(nursery, _identity(), "legitimate_interests", INTERESTS, admin)
    _set(nursery, _enrolment(), "legitimate_interests", INTERESTS, admin)
    message = _refused_flag(nursery, admin)
    assert message.startswith(
        "Little Acorns Nursery cannot be made a public authority while legitimate interests (Article "
        "6(1)(f)) is its own basis for Enrolment, Pupil identity and contact details."
    )
    assert LAST_SENTENCE in message and "change those bases first" in message


def test_flag_refused_when_the_school_takes_legitimate_interests_from_its_trust(admin):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    school = make_organisation("Hazel Prep", "school", trust, public_authority="no")
    _set(trust, _identity(), "legitimate_interests", INTERESTS, admin)
    message = _refused_flag(school, admin)
    assert (
        "the basis it takes from its trust, Hazel Schools, for Pupil identity and contact details" in message
    )


def test_flag_set_when_the_school_has_its_own_basis_where_its_trust_uses_legitimate_interests(admin):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    school = make_organisation("Hazel Prep", "school", trust, public_authority="no")
    _set(trust, _identity(), "legitimate_interests", INTERESTS, admin)
    _set(school, _identity(), "public_task", PUBLIC_TASK, admin)
    assert authority.set_public_authority(school, True, admin) is True


def test_flag_refused_for_a_trust_whose_schools_take_its_legitimate_interests(admin):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    make_organisation("Hazel Prep", "school", trust, public_authority="no")
    _set(trust, _identity(), "legitimate_interests", INTERESTS, admin)
    message = _refused_flag(trust, admin)
    assert "is its own basis for Pupil identity and contact details" in message


def test_flag_refused_for_a_trust_naming_its_schools_with_legitimate_interests_of_their_own(admin):
    # Its schools would be schools of a public authority, where the basis
    # form refuses legitimate interests.
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    prep = make_organisation("Hazel Prep", "school", trust, public_authority="no")
    infants = make_organisation("Hazel Infants", "school", trust, public_authority="no")
    _set(prep, _enrolment(), "legitimate_interests", INTERESTS, admin)
    _set(infants, _identity(), "legitimate_interests", INTERESTS, admin)
    message = _refused_flag(trust, admin)
    assert "the own basis of its school Hazel Infants for Pupil identity and contact details" in message
    assert "the own basis of its school Hazel Prep for Enrolment" in message


def test_flag_refused_when_the_organisation_takes_the_registers_legitimate_interests(admin):
    # Stored before the register's rule (the register itself refuses it now).
    _identity().basis = LawfulBasis.LEGITIMATE_INTERESTS
    nursery = make_organisation("Little Acorns Nursery", kind="nursery")
    db.session.commit()
    message = _refused_flag(nursery, admin)
    assert "the register's basis, which it takes, for Pupil identity and contact details" in message


# -- a trust's own basis, which its schools take ------------------------------


def _basis_refusal(organisation, admin) -> str:
    with pytest.raises(RegisterError) as raised:
        bases.set_basis(
            organisation, _identity(), {"basis": "legitimate_interests", "lawful_basis": INTERESTS}, admin
        )
    db.session.rollback()
    assert bases.own_basis(organisation, _identity()) is None
    return raised.value.errors["basis"]


def test_trust_basis_refused_naming_the_public_authority_schools_that_take_it(admin):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    make_organisation("Hazel Primary", "school", trust)
    make_organisation("Hazel Academy", "school", trust)
    make_organisation("Hazel Prep", "school", trust, public_authority="no")
    message = _basis_refusal(trust, admin)
    assert message.startswith(
        "These schools of Hazel Schools are public authorities and take the trust's basis for this "
        "category: Hazel Academy, Hazel Primary."
    )
    assert "Hazel Prep" not in message and LAST_SENTENCE in message
    assert "set those schools' own basis for this category first" in message


def test_trust_basis_set_when_its_public_authority_schools_have_their_own(admin):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    primary = make_organisation("Hazel Primary", "school", trust)
    make_organisation("Hazel Prep", "school", trust, public_authority="no")
    _set(primary, _identity(), "public_task", PUBLIC_TASK, admin)
    _set(trust, _identity(), "legitimate_interests", INTERESTS, admin)
    assert bases.own_basis(trust, _identity()).basis is LawfulBasis.LEGITIMATE_INTERESTS


# -- going back to the trust's or the register's basis ------------------------


def test_going_back_refused_at_a_public_authority_school_when_its_trust_uses_legitimate_interests(admin):
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    primary = make_organisation("Hazel Primary", "school", trust)
    _set(primary, _identity(), "public_task", PUBLIC_TASK, admin)
    _set(trust, _identity(), "legitimate_interests", INTERESTS, admin)
    with pytest.raises(RegisterError) as raised:
        bases.clear_basis(primary, _identity(), admin)
    db.session.rollback()
    assert raised.value.errors["basis"].startswith(
        "Hazel Primary is a public authority, and its trust's basis for this category is legitimate interests"
    )
    assert bases.own_basis(primary, _identity()) is not None


def test_going_back_refused_at_a_trust_whose_public_authority_schools_would_take_the_registers(admin):
    _identity().basis = LawfulBasis.LEGITIMATE_INTERESTS  # stored before the register's rule
    trust = make_organisation("Hazel Schools", kind="trust", public_authority="no")
    make_organisation("Hazel Primary", "school", trust)
    db.session.add(
        OrganisationBasis(
            organisation_id=trust.id,
            register_entry_id=_identity().id,
            basis=LawfulBasis.PUBLIC_TASK,
            lawful_basis=PUBLIC_TASK,
        )
    )
    db.session.commit()
    with pytest.raises(RegisterError) as raised:
        bases.clear_basis(trust, _identity(), admin)
    assert (
        "these schools of Hazel Schools are public authorities that would take it"
        in raised.value.errors["basis"]
    )
    assert "Hazel Primary" in raised.value.errors["basis"]


def test_going_back_allowed_when_the_basis_gone_back_to_is_not_legitimate_interests(admin):
    school = make_organisation("Alder Academy")
    _set(school, _identity(), "consent", "Consent (UK GDPR Art 6(1)(a)): the family agreed.", admin)
    assert bases.clear_basis(school, _identity(), admin) is True


# -- the register's own basis --------------------------------------------------


def test_register_basis_refused_naming_the_public_authorities_that_take_it(admin):
    trust = make_organisation("Hazel Schools", kind="trust")
    make_organisation("Hazel Prep", "school", trust, public_authority="no")  # a public authority's school
    make_organisation("Alder Academy")
    make_organisation("Little Acorns Nursery", kind="nursery")
    with pytest.raises(RegisterError) as raised:
        services.update_entry(
            _identity(), {"basis": "legitimate_interests", "lawful_basis": INTERESTS}, admin
        )
    message = raised.value.errors["basis"]
    assert message.startswith(
        "Legitimate interests cannot be the register's basis for this category while public authorities "
        "take the register's basis for it: Alder Academy, Hazel Prep, Hazel Schools."
    )
    assert "Little Acorns Nursery" not in message and LAST_SENTENCE in message


def test_register_basis_refusal_counts_what_it_does_not_name(admin):
    for number in range(authority.NAMED + 3):
        make_organisation(f"School {number:02d}")
    refusal = authority.register_basis_refusal(_identity())
    assert refusal is not None and f"School {authority.NAMED - 1:02d} and 3 more." in refusal


def test_register_basis_set_when_every_public_authority_has_its_own_or_its_trusts(admin):
    trust = make_organisation("Hazel Schools", kind="trust")
    make_organisation("Hazel Primary", "school", trust)
    _set(trust, _identity(), "public_task", PUBLIC_TASK, admin)
    make_organisation("Little Acorns Nursery", kind="nursery")
    changes = {"basis": "legitimate_interests", "lawful_basis": INTERESTS}
    assert services.update_entry(_identity(), changes, admin) == ["basis", "lawful_basis"]


def test_register_entry_already_on_legitimate_interests_can_still_be_corrected(admin):
    _identity().basis = LawfulBasis.LEGITIMATE_INTERESTS  # stored before the rule
    _identity().lawful_basis = INTERESTS
    make_organisation("Alder Academy")
    db.session.commit()
    changes = {"basis": "legitimate_interests", "title": "Pupil identity"}
    assert services.update_entry(_identity(), changes, admin) == ["title"]
