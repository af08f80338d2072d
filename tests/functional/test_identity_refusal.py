"""Refusing for identity not proven from the console refusal form and over
the API: refused, saying what to do, until the requester was asked for
proof and what they sent has its identity decision."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest

from app.accounts.models import Role
from app.cases import evidence
from app.cases.models import CaseStatus
from app.extensions import db
from tests.signin import csrf_token, make_organisation, make_user, sign_in
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case

DETAIL = "We asked for a passport and nothing arrived in six weeks."


def _upload_proof(case) -> None:
    evidence.add_evidence(
        case, "identity", io.BytesIO(b"%PDF-1.7 passport"), filename="passport.pdf", declared_type=None
    )
    db.session.commit()


@pytest.fixture
def console(app, db_session):
    oak = make_organisation("Oak Primary")
    db_session.commit()
    caseworker, secret = make_user("cw@example.org", Role.CASEWORKER)
    client = app.test_client()
    sign_in(client, caseworker, secret)
    case = new_case(oak, received_on=date(2024, 9, 3))  # awaiting identity, never asked
    return client, caseworker, case


def _refuse_in_console(client, case):
    path = f"/console/cases/{case.id}"
    token = csrf_token(client, path)
    return client.post(
        f"{path}/refuse",
        data={"csrf_token": token, "refuse-reason": "identity_not_proven", "refuse-detail": DETAIL},
    )


def _summary(page: str) -> list[tuple[str, str]]:
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def test_console_identity_refusal_never_asked_shows_the_error_and_keeps_the_form(console):
    client, _, case = console
    response = _refuse_in_console(client, case)
    assert response.status_code == 422
    [(field_id, message)] = _summary(response.text)
    assert field_id == "refuse-reason" and message.startswith("Ask the requester for proof of identity first")
    assert re.search(r'<option selected value="identity_not_proven">', response.text)
    assert re.search(rf'id="refuse-detail"[^>]*>\s*{re.escape(DETAIL)}</textarea>', response.text)
    db.session.expire_all()
    assert case.status is CaseStatus.AWAITING_IDENTITY


def test_console_identity_refusal_with_evidence_waiting_says_to_decide_first(console):
    client, caseworker, case = console
    evidence.request_identity(case, caseworker)
    _upload_proof(case)
    response = _refuse_in_console(client, case)
    assert response.status_code == 422
    [(field_id, message)] = _summary(response.text)
    assert field_id == "refuse-reason" and message.startswith("Decide on the evidence they sent first")


def test_console_identity_refusal_once_asked_is_recorded(console):
    client, caseworker, case = console
    evidence.request_identity(case, caseworker)
    db.session.commit()
    response = _refuse_in_console(client, case)
    assert response.status_code == 302
    db.session.expire_all()
    assert case.status is CaseStatus.REFUSED


@pytest.fixture
def estate(db_session):
    estate = build_estate()
    estate.waiting = new_case(estate.alder, requester_email="jo@example.net", received_on=date(2024, 9, 3))
    return estate


def _refuse_over_api(client, estate):
    return client.post(
        f"/api/v1/cases/{estate.waiting.reference}/refuse",
        json={"reason": "identity_not_proven", "detail": DETAIL},
        headers=estate.auth("caseworker"),
    )


def test_api_identity_refusal_answers_422_on_the_reason_until_asked(client, estate):
    never_asked = _refuse_over_api(client, estate)
    assert never_asked.status_code == 422, never_asked.text
    [message] = never_asked.get_json()["error"]["fields"]["reason"]
    assert message.startswith("ask the requester for proof of identity first")

    asked = client.post(
        f"/api/v1/cases/{estate.waiting.reference}/identity-request", headers=estate.auth("caseworker")
    )
    assert asked.status_code == 200, asked.text
    refused = _refuse_over_api(client, estate)
    assert refused.status_code == 200, refused.text
    assert refused.get_json()["status"] == "refused"
    assert refused.get_json()["refusal_reason"] == "identity_not_proven"


def test_api_identity_refusal_answers_422_while_evidence_waits(client, estate):
    evidence.request_identity(estate.waiting, estate.users["caseworker"])
    _upload_proof(estate.waiting)
    response = _refuse_over_api(client, estate)
    assert response.status_code == 422, response.text
    [message] = response.get_json()["error"]["fields"]["reason"]
    assert message.startswith("decide on the evidence they sent first")
