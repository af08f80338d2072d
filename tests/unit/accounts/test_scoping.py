from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.accounts.scoping import NotInScope, get_in_scope, organisation_ids_for, scope_query
from app.orgs.models import Organisation
from app.orgs.services import create_organisation


def _org(name, kind="school", trust=None):
    return create_organisation(
        name=name,
        kind=kind,
        nation="england",
        contract_start=date(2024, 9, 1),
        dp_contact_name="DPO",
        dp_contact_email="dpo@example.org",
        trust=trust,
    )


@pytest.fixture
def estate(db_session):
    trust = _org("Oak Trust", kind="trust")
    db_session.flush()
    member = _org("Oak Primary", trust=trust)
    other = _org("Willow School")
    db_session.flush()
    return trust, member, other


def _user(role, organisation=None):
    return User(
        email=f"{role}@example.org",
        name=role,
        password_hash="x",
        role=role,
        organisation_id=organisation.id if organisation else None,
    )


def test_company_staff_see_every_organisation(estate):
    assert organisation_ids_for(_user(Role.CASEWORKER)) is None


def test_trust_user_sees_the_trust_and_its_schools_only(db_session, estate):
    trust, _member, _other = estate
    user = _user(Role.SCHOOL, trust)
    names = db_session.scalars(scope_query(select(Organisation.name), user, Organisation.id)).all()
    assert sorted(names) == ["Oak Primary", "Oak Trust"]


def test_school_user_asking_for_another_organisation_gets_not_found(estate):
    trust, member, other = estate
    user = _user(Role.SCHOOL, member)
    assert get_in_scope(Organisation, member.id, user, "id") is member
    with pytest.raises(NotInScope):
        get_in_scope(Organisation, other.id, user, "id")
    with pytest.raises(NotInScope):
        get_in_scope(Organisation, trust.id, user, "id")
