"""The identity decision from the console and the API starts the clock on
the day the request arrived unless evidence the controller asked for came
later; the console form takes the day that evidence arrived."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.accounts.models import Role
from app.cases.clock import add_months
from app.cases.models import CaseStatus
from app.cases.services import today_or
from app.extensions import db
from tests.signin import csrf_token, make_organisation, make_user, sign_in
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case, opened_case

KNOWN = {
    "identity-decision": "accept",
    "identity-method": "known_to_school",
    "identity-reason": "The office knows the mother.",
    "identity-authority_evidence": "MIS contact record: mother, parental responsibility",
}


@pytest.fixture
def console(app, db_session):
    school = make_organisation("Oak Primary")
    db_session.commit()
    user, secret = make_user("cw@example.org", Role.CASEWORKER)
    client = app.test_client()
    sign_in(client, user, secret)
    received = today_or(None) - timedelta(days=20)
    case = new_case(school, received_on=received)  # a parent asking for their child
    return client, case, received


def _decide(client, case, data: dict):
    path = f"/console/cases/{case.id}"
    return client.post(f"{path}/identity", data={"csrf_token": csrf_token(client, path), **data})


def _summary(response) -> list[tuple[str, str]]:
    summary = response.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def test_console_decision_from_the_schools_records_keeps_the_day_received(console):
    client, case, _received = console
    due = case.due_on
    assert _decide(client, case, KNOWN).status_code == 302
    db.session.expire_all()
    assert case.status is CaseStatus.OPEN
    assert case.authority_received_on is None and case.due_on == due


def test_console_identity_form_offers_the_day_the_authority_asked_for_arrived(console):
    client, case, received = console
    page = client.get(f"/console/cases/{case.id}").text
    assert 'id="identity-authority_received_on"' in page
    assert "Day the proof of authority you asked for arrived (optional)" in page
    assert 'id="identity-authority_received_on-hint"' in page
    arrived = received + timedelta(days=6)
    response = _decide(client, case, {**KNOWN, "identity-authority_received_on": arrived.isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    assert case.authority_received_on == arrived
    assert case.due_on >= add_months(arrived, 1)


@pytest.mark.parametrize(("offset", "typed"), [(-1, None), (21, None), (None, "yesterday")])
def test_console_authority_day_out_of_range_is_in_the_error_summary(console, offset, typed):
    client, case, received = console
    value = typed or (received + timedelta(days=offset)).isoformat()
    response = _decide(client, case, {**KNOWN, "identity-authority_received_on": value})
    assert response.status_code == 422
    [(field_id, message)] = _summary(response)
    assert field_id == "identity-authority_received_on"
    assert message in (
        "Must be between the day the request arrived and today",
        "Enter a real date, for example 2026-03-27",
    )
    assert 'id="identity-authority_received_on-error"' in response.text
    db.session.expire_all()
    assert case.status is CaseStatus.AWAITING_IDENTITY


def test_api_decision_without_dates_keeps_the_day_received(client, db_session):
    estate = build_estate()
    received = today_or(None) - timedelta(days=20)
    case = new_case(estate.birch_primary, requester_email="parent@birch.example.net", received_on=received)
    due = case.due_on
    response = client.post(
        f"/api/v1/cases/{case.reference}/identity",
        headers=estate.auth("birch"),
        json={
            "decision": "accept",
            "method": "documents_seen",
            "reason": "Passport and birth certificate seen.",
            "authority_evidence": "Birth certificate names the mother.",
        },
    )
    assert response.status_code == 200, response.text
    clock = response.get_json()["clock"]
    assert clock["start"] == received.isoformat() and clock["due"] == due.isoformat()


def test_api_extend_after_the_original_due_date_is_refused_with_a_backdated_notice(client, db_session):
    estate = build_estate()
    worker = estate.users["caseworker"]
    case = opened_case(estate.alder, worker, received_on=today_or(None) - timedelta(days=45))
    due = case.due_on
    response = client.post(
        f"/api/v1/cases/{case.reference}/extend",
        headers=estate.auth("caseworker"),
        json={"reason": "complex", "notice_on": due.isoformat()},
    )
    assert response.status_code == 422, response.text
    [message] = response.get_json()["error"]["fields"]["notice_on"]
    assert "can no longer be extended" in message
    db.session.expire_all()
    assert case.extended_on is None and case.due_on == due


def test_console_extend_after_the_original_due_date_shows_an_error_summary(console):
    client, case, _received = console
    case.received_on = today_or(None) - timedelta(days=45)
    case.status = CaseStatus.OPEN
    db.session.commit()
    path = f"/console/cases/{case.id}"
    page = client.get(path).text
    assert 'name="extend-notice_on"' not in page  # the notice goes the day it is recorded
    response = client.post(
        f"{path}/extend", data={"csrf_token": csrf_token(client, path), "extend-reason": "Complex."}
    )
    assert response.status_code == 422
    [(field_id, message)] = _summary(response)
    assert field_id == "extend-heading" and "can no longer be extended" in message
