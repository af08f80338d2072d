import pytest
from sqlalchemy import select

from app.accounts.scoping import NotInScope
from app.api.services import (
    NotPermitted,
    organisation_for,
    organisations_for,
    paginate,
    staff_list,
)
from app.orgs.models import Organisation
from tests.unit.api.estate import make_organisation


def _names(query):
    return [organisation.name for organisation in paginate(query, 1, 100).items]


def test_organisations_for_school_user_is_own_organisation_only(estate):
    assert _names(organisations_for(estate.users["alder"])) == ["Alder Academy"]
    assert _names(organisations_for(estate.users["birch"])) == ["Birch Primary"]


def test_organisations_for_trust_user_is_trust_and_its_schools(estate):
    assert _names(organisations_for(estate.users["trust"])) == ["Birch Learning Trust", "Birch Primary"]


def test_organisations_for_company_staff_is_every_organisation(estate):
    for who in ("admin", "caseworker"):
        assert len(_names(organisations_for(estate.users[who]))) == 3


def test_organisation_for_outside_scope_is_not_found(estate):
    with pytest.raises(NotInScope):
        organisation_for(estate.users["alder"], estate.birch_primary.id)
    with pytest.raises(NotInScope):
        organisation_for(estate.users["birch"], estate.birch_trust.id)
    assert organisation_for(estate.users["trust"], estate.birch_primary.id) is estate.birch_primary


def test_paginate_counts_pages_and_keeps_order(db_session):
    for index in range(7):
        make_organisation(f"School {index}")
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    pages = [paginate(query, page, 3) for page in (1, 2, 3, 4)]
    assert [len(page.items) for page in pages] == [3, 3, 1, 0]
    assert pages[0].total == 7 and pages[0].pages == 3
    seen = [organisation.name for page in pages for organisation in page.items]
    assert seen == sorted(seen) and len(set(seen)) == 7


def test_paginate_empty_has_zero_pages(db_session):
    page = paginate(select(Organisation).order_by(Organisation.id), 1, 20)
    assert page.items == [] and page.total == 0 and page.pages == 0


@pytest.mark.parametrize(("page", "per_page"), [(0, 10), (1, 0), (1, 101), (100_001, 1)])
def test_paginate_refuses_out_of_range(db_session, page, per_page):
    with pytest.raises(ValueError):
        paginate(select(Organisation).order_by(Organisation.id), page, per_page)


def test_staff_list_is_for_admins_only(estate):
    assert len(paginate(staff_list(estate.users["admin"]), 1, 100).items) == 5
    for who in ("caseworker", "alder", "trust"):
        with pytest.raises(NotPermitted):
            staff_list(estate.users[who])
