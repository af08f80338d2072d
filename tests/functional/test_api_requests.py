"""The public API door for a rights request: POST /api/v1/requests, no token,
the web form's validation, 201 with the case id (no reference before the
email is confirmed), field messages on 422, a per-address rate limit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.cases.models import Case, CaseStatus
from app.extensions import db
from app.intake.confirmation import CATEGORY
from app.intake.schemas import MESSAGES
from app.mail.addresses import LOCAL_PART_MESSAGE
from app.mail.models import OutboxMessage
from tests.unit.api.estate import build_estate, make_organisation

URL = "/api/v1/requests"


@pytest.fixture
def school(db_session):
    school = make_organisation("Oak Hill Primary School")
    db_session.commit()
    return school


def good_body(school, **changes):
    body = {
        "request_type": "access",
        "requester_relationship": "parent_carer",
        "requester_name": "Sam Example",
        "requester_email": "sam@example.com",
        "requester_phone": None,
        "subject_first_name": "Alex",
        "subject_last_name": "Example",
        "subject_date_of_birth": "2014-03-27",
        "subject_role": "pupil",
        "subject_upn": "B801200005001",
        "organisation_id": str(school.id),
        "description": "Everything about my child's attendance and behaviour records.",
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not ...}


def cases() -> list[Case]:
    db.session.expire_all()
    return list(db.session.scalars(select(Case)))


def mails() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.category == CATEGORY)))


def fields_of(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == 422 and error["code"] == "validation_failed"
    return error["fields"]


def test_good_request_creates_a_submitted_case_and_emails_a_code(client, school):
    response = client.post(URL, json=good_body(school))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    [case] = cases()
    assert body == {
        "id": str(case.id),
        "status": "submitted",
        "confirm_url": f"http://localhost/request/{case.id}/confirm",
        "message": "We have emailed a 6-digit code to confirm the request.",
    }
    assert case.status is CaseStatus.SUBMITTED and case.reference is None
    assert case.organisation_id == school.id and case.subject_name == "Alex Example"
    assert case.subject_upn == "B801200005001"
    [mail] = mails()
    assert "sam@example.com" in mail.recipients
    assert response.headers["Cache-Control"] == "no-store"


def test_no_token_is_needed_and_a_bad_one_is_ignored(client, school):
    response = client.post(URL, json=good_body(school), headers={"Authorization": "Bearer rd_nonsense"})
    assert response.status_code == 201


def test_invalid_upn_is_refused_with_the_form_message(client, school):
    fields = fields_of(client.post(URL, json=good_body(school, subject_upn="A123")))
    assert fields == {"subject_upn": [MESSAGES["subject_upn_format"]]}
    assert cases() == [] and mails() == []


def test_accented_letters_before_the_at_are_refused_with_a_message(client, school):
    # Such an address needs SMTPUTF8, which most mail servers lack: refused
    # where it is typed, not accepted and then a 500 when the code is mailed.
    fields = fields_of(client.post(URL, json=good_body(school, requester_email="zoë@example.org")))
    assert fields == {"requester_email": [LOCAL_PART_MESSAGE]}
    assert cases() == [] and mails() == []


def test_accented_domain_is_accepted_and_kept_as_typed(client, school):
    response = client.post(URL, json=good_body(school, requester_email="zoe@exämple.org"))
    assert response.status_code == 201, response.get_data(as_text=True)
    [case] = cases()
    assert case.requester_email == "zoe@exämple.org"
    [mail] = mails()
    assert "zoe@xn--exmple-cua.org" in mail.recipients


def test_missing_fields_each_get_a_message(client, school):
    fields = fields_of(client.post(URL, json={}))
    assert fields["requester_email"] == [MESSAGES["requester_email"]]
    assert fields["organisation_id"] == [MESSAGES["organisation_id"]]
    assert fields["subject_date_of_birth"] == [MESSAGES["subject_date_of_birth"]]
    assert {"request_type", "requester_name", "description"} <= set(fields)
    assert cases() == []


def test_future_date_of_birth_is_refused(client, school):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    fields = fields_of(client.post(URL, json=good_body(school, subject_date_of_birth=tomorrow)))
    assert fields == {"subject_date_of_birth": [MESSAGES["subject_date_of_birth_past"]]}


def test_date_of_birth_in_another_format_is_refused(client, school):
    fields = fields_of(client.post(URL, json=good_body(school, subject_date_of_birth="27/03/2014")))
    assert fields == {"subject_date_of_birth": [MESSAGES["subject_date_of_birth_real"]]}


def test_unknown_school_is_refused(client, school):
    fields = fields_of(client.post(URL, json=good_body(school, organisation_id=str(uuid.uuid4()))))
    assert fields == {"organisation_id": [MESSAGES["organisation_unknown"]]}


def test_a_trust_is_not_a_school(client, db_session):
    estate = build_estate()
    fields = fields_of(client.post(URL, json=good_body(estate.birch_trust)))
    assert fields == {"organisation_id": [MESSAGES["organisation_unknown"]]}
    assert cases() == []


def test_unknown_fields_are_refused(client, school):
    fields = fields_of(client.post(URL, json=good_body(school, reference="SAR-2026-000001")))
    assert list(fields) == ["reference"]
    assert cases() == []


def test_bad_json_is_400(client, school):
    response = client.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_wrong_content_type_is_415(client, school):
    response = client.post(URL, data={"request_type": "access"})
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_requests_are_rate_limited_per_address(app, client, school):
    app.config["LIMIT_INTAKE_IP"] = "2 per hour"
    for _ in range(2):
        assert client.post(URL, json=good_body(school)).status_code == 201
    response = client.post(URL, json=good_body(school))
    assert response.status_code == 429
    assert response.get_json()["error"] == {
        "status": 429,
        "code": "rate_limited",
        "message": "Too many requests; try again later.",
    }
    assert "Retry-After" in response.headers
    assert len(cases()) == 2
    # Another address has its own allowance.
    other = client.post(URL, json=good_body(school), environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 201


def test_the_document_lists_the_operation_without_security(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/requests"]["post"]
    assert operation["security"] == []
    assert {"201", "400", "415", "422", "429"} <= set(operation["responses"])
    assert "401" not in operation["responses"]
    assert "reference" in operation["description"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].startswith("#/components/schemas/")
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"] == "#/components/schemas/RequestReceived"
