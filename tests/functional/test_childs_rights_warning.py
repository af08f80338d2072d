"""The case page warns when a parent or carer asks about a pupil of 12 or
over: the rights are the child's own (app.cases.children)."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.models import Role
from app.orgs.models import Nation
from tests.signin import make_organisation, make_user, sign_in
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case

RECEIVED = date(2026, 11, 2)


@pytest.fixture
def caseworker_client(app, db_session):
    user, secret = make_user("cw@example.org", Role.CASEWORKER)
    client = app.test_client()
    sign_in(client, user, secret)
    return client


@pytest.fixture
def school(db_session):
    organisation = make_organisation("Oak Academy")
    db_session.commit()
    return organisation


def page_of(client, case) -> str:
    response = client.get(f"/console/cases/{case.id}")
    assert response.status_code == 200
    return response.text


def test_fifteen_year_old_is_warned_of_before_the_identity_decision(caseworker_client, school):
    case = new_case(school, subject_name="Paige Hunt", subject_dob=date(2011, 3, 12), received_on=RECEIVED)
    page = page_of(caseworker_client, case)
    assert 'id="childs-rights"' in page
    assert "Paige Hunt was 15 when the request was received: the rights are Paige Hunt's own." in page
    assert "the ICO takes 12 as a reasonable starting point" in page
    assert "s.208" not in page
    # Shown where the identity decision is made, as that is where it is recorded.
    assert page.index('id="childs-rights"') < page.index('id="identity-heading"')


def test_scottish_school_gets_the_presumption(caseworker_client, school, db_session):
    school.nation = Nation.SCOTLAND
    db_session.commit()
    case = new_case(school, subject_name="Paige Hunt", subject_dob=date(2014, 6, 1), received_on=RECEIVED)
    page = page_of(caseworker_client, case)
    assert "Paige Hunt was 12 when the request was received" in page
    assert "presumed mature enough to understand their rights (Data Protection Act 2018 s.208)" in page


def test_parent_asking_about_an_adult_is_told_they_need_written_authority(caseworker_client, school):
    case = new_case(school, subject_name="Sam Leaver", subject_dob=date(2007, 1, 9), received_on=RECEIVED)
    page = page_of(caseworker_client, case)
    assert "Sam Leaver was 19 when the request was received: an adult." in page
    assert "A parent or carer cannot ask for an adult's data." in page


def test_younger_child_shows_no_warning(caseworker_client, school):
    case = new_case(school, subject_dob=date(2015, 5, 4), received_on=RECEIVED)
    assert 'id="childs-rights"' not in page_of(caseworker_client, case)


def test_api_case_gives_the_childs_rights_rule_and_age(client, db_session):
    estate = build_estate()
    older = new_case(estate.alder, subject_dob=date(2011, 3, 12), received_on=RECEIVED)
    younger = new_case(estate.alder, subject_dob=date(2015, 5, 4), received_on=RECEIVED)
    headers = estate.auth("caseworker")

    body = client.get(f"/api/v1/cases/{older.reference}", headers=headers).get_json()
    assert body["childs_rights"] == {"rule": "may_decide", "age": 15, "received_on": "2026-11-02"}
    body = client.get(f"/api/v1/cases/{younger.reference}", headers=headers).get_json()
    assert body["childs_rights"] is None
