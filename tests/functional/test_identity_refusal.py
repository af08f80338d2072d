"""Refusing for identity not proven from the console refusal form and over
the API: refused, saying what to do, until the requester was asked for
proof, had a month to send it, and what they sent has its identity
decision; never once identity was accepted."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from app.accounts.models import Role
from app.cases import evidence, services
from app.cases.models import CaseEvent, CaseStatus
from app.db import utcnow
from app.extensions import db
from tests.evidence_files import pdf_file
from tests.signin import csrf_token, make_organisation, make_user, sign_in
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case, opened_case

DETAIL = "We asked for a passport and nothing arrived in six weeks."


def _upload_proof(case) -> None:
    evidence.add_evidence(
        case, "identity", io.BytesIO(pdf_file()), filename="passport.pdf", declared_type=None
    )
    db.session.commit()


def _asked_weeks_ago(case, caseworker, weeks: int = 5) -> None:
    """The requester was asked for proof ``weeks`` ago (and sent nothing)."""
    evidence.request_identity(case, caseworker)
    asked = update(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == services.IDENTITY_REQUESTED
    )
    db.session.execute(asked.values(at=utcnow() - timedelta(weeks=weeks)))
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


def test_console_identity_refusal_just_after_asking_says_when_it_can_be_made(console):
    client, caseworker, case = console
    _asked_weeks_ago(case, caseworker, weeks=0)
    response = _refuse_in_console(client, case)
    assert response.status_code == 422
    [(field_id, message)] = _summary(response.text)
    assert field_id == "refuse-reason"
    assert (
        message.startswith("The requester was asked for proof of identity on ") and " has until " in message
    )
    db.session.expire_all()
    assert case.status is CaseStatus.AWAITING_IDENTITY


def test_console_identity_refusal_a_month_after_asking_is_recorded(console):
    client, caseworker, case = console
    _asked_weeks_ago(case, caseworker)
    response = _refuse_in_console(client, case)
    assert response.status_code == 302
    db.session.expire_all()
    assert case.status is CaseStatus.REFUSED


def test_console_identity_refusal_once_identity_was_accepted_is_refused(console):
    client, caseworker, case = console
    opened = opened_case(case.organisation, caseworker, requester_email="kim@example.net")
    db.session.commit()
    path = f"/console/cases/{opened.id}"
    response = client.post(
        f"{path}/refuse",
        data={
            "csrf_token": csrf_token(client, path),
            "refuse-reason": "identity_not_proven",
            "refuse-detail": DETAIL,
        },
    )
    assert response.status_code == 409
    assert 'class="error-summary" role="alert"' in response.text
    assert "identity was accepted for this request" in response.text
    db.session.expire_all()
    assert opened.status is CaseStatus.OPEN


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
    too_soon = _refuse_over_api(client, estate)
    assert too_soon.status_code == 422, too_soon.text
    [message] = too_soon.get_json()["error"]["fields"]["reason"]
    assert message.startswith("the requester was asked for proof of identity on ")

    earlier = update(CaseEvent).where(
        CaseEvent.case_id == estate.waiting.id, CaseEvent.kind == services.IDENTITY_REQUESTED
    )
    db.session.execute(earlier.values(at=utcnow() - timedelta(weeks=5)))
    db.session.commit()
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


def test_api_identity_refusal_answers_409_once_identity_was_accepted(client, estate):
    opened = opened_case(estate.alder, estate.users["caseworker"], requester_email="kim@example.net")
    db.session.commit()
    response = client.post(
        f"/api/v1/cases/{opened.reference}/refuse",
        json={"reason": "identity_not_proven", "detail": DETAIL},
        headers=estate.auth("caseworker"),
    )
    assert response.status_code == 409, response.text
    error = response.get_json()["error"]
    assert (
        error["code"] == "illegal_transition" and "identity was accepted for this request" in error["message"]
    )
