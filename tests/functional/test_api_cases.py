"""Cases over the API: scoped list and detail, actions with 422 for bad
input and 409 for a move the lifecycle forbids."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.cases.models import CaseStatus
from app.db import utcnow
from app.extensions import db
from app.mail import OutboxMessage
from tests.evidence_files import pdf_file
from tests.unit.api.estate import build_estate
from tests.unit.cases.factory import new_case, opened_case


@pytest.fixture
def estate(db_session):
    estate = build_estate()
    estate.alder_case = opened_case(estate.alder, estate.users["caseworker"], received_on=date(2024, 9, 3))
    estate.birch_case = new_case(
        estate.birch_primary, requester_email="parent@birch.example.net", received_on=date(2024, 9, 10)
    )
    return estate


def _refs(client, estate, who, query=""):
    response = client.get(f"/api/v1/cases{query}", headers=estate.auth(who))
    assert response.status_code == 200, response.text
    return [item["reference"] for item in response.get_json()["items"]]


def test_case_list_is_scoped_and_sorted_by_due_date(client, estate):
    assert _refs(client, estate, "admin") == [estate.alder_case.reference, estate.birch_case.reference]
    assert _refs(client, estate, "alder") == [estate.alder_case.reference]
    assert _refs(client, estate, "trust") == [estate.birch_case.reference]
    assert _refs(client, estate, "birch") == [estate.birch_case.reference]


def test_case_list_filters_by_status_and_pages(client, estate):
    assert _refs(client, estate, "caseworker", "?status=open") == [estate.alder_case.reference]
    assert _refs(client, estate, "caseworker", "?per_page=1&page=2") == [estate.birch_case.reference]
    response = client.get("/api/v1/cases?status=lost", headers=estate.auth("admin"))
    assert response.status_code == 422 and "status" in response.get_json()["error"]["fields"]


def test_case_list_keeps_answered_cases_apart_when_asked(client, estate):
    closed = new_case(estate.alder, requester_email="old@example.net", received_on=date(2024, 6, 3))
    withdrawn = new_case(estate.alder, requester_email="new@example.net", received_on=date(2024, 8, 5))
    closed.status, withdrawn.status = CaseStatus.CLOSED, CaseStatus.WITHDRAWN
    db.session.commit()
    alder, birch = estate.alder_case.reference, estate.birch_case.reference
    assert _refs(client, estate, "admin") == [closed.reference, withdrawn.reference, alder, birch]
    assert _refs(client, estate, "admin", "?answered=false") == [alder, birch]
    assert _refs(client, estate, "admin", "?answered=true") == [withdrawn.reference, closed.reference]
    assert _refs(client, estate, "admin", "?answered=true&status=closed") == [closed.reference]
    assert _refs(client, estate, "birch", "?answered=true") == []
    response = client.get("/api/v1/cases?answered=maybe", headers=estate.auth("admin"))
    assert response.status_code == 422 and "answered" in response.get_json()["error"]["fields"]


def test_an_answered_case_is_closed_and_an_open_one_is_not(client, estate):
    alder = estate.alder_case
    url = f"/api/v1/cases/{alder.reference}/close"
    early = client.post(url, headers=estate.auth("alder"))
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "illegal_transition"
    detail = client.get(f"/api/v1/cases/{alder.reference}", headers=estate.auth("alder"))
    assert detail.get_json()["closes_on"] is None
    refused = client.post(
        f"/api/v1/cases/{alder.reference}/refuse",
        json={"reason": "manifestly_excessive", "detail": "The fourth request this month."},
        headers=estate.auth("alder"),
    )
    assert refused.status_code == 200, refused.text
    # Answered today: the daily task would close it after RIGHTSDESK_AUTO_CLOSE_DAYS (30).
    assert refused.get_json()["closes_on"] == (utcnow() + timedelta(days=30)).date().isoformat()
    closed = client.post(url, headers=estate.auth("alder"))
    assert closed.status_code == 200, closed.text
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["closes_on"] is None
    assert client.post(url, headers=estate.auth("alder")).status_code == 409
    other = client.post(f"/api/v1/cases/{estate.birch_case.reference}/close", headers=estate.auth("alder"))
    assert other.status_code == 404


def test_case_detail_shows_the_clock_and_timeline(client, estate):
    response = client.get(f"/api/v1/cases/{estate.alder_case.reference}", headers=estate.auth("alder"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["clock"]["start"] == "2024-09-03" and body["clock"]["due"] == "2024-10-03"
    assert body["subject_name"] == "Sam Pupil"
    assert any(event["kind"] == "status_changed" for event in body["events"])


def test_case_of_another_organisation_is_not_found(client, estate):
    for path in ("", "/withdraw"):
        method = client.get if not path else client.post
        body = {"json": {"asked_by": "email"}} if path else {}
        url = f"/api/v1/cases/{estate.birch_case.reference}{path}"
        assert method(url, headers=estate.auth("alder"), **body).status_code == 404
    assert client.get("/api/v1/cases/nonsense", headers=estate.auth("admin")).status_code == 404


def test_identity_accept_opens_the_case(client, estate):
    reference = estate.birch_case.reference
    response = client.post(
        f"/api/v1/cases/{reference}/identity",
        headers=estate.auth("birch"),
        json={
            "decision": "accept",
            "method": "known_to_school",
            "reason": "Known to the office.",
            "authority_evidence": "Parent on the admission form.",
            "authority_received_on": "2024-09-10",
        },
    )
    assert response.status_code == 200, response.text
    assert response.get_json()["status"] == "open"


def test_identity_accept_for_someone_else_needs_the_authority_seen(client, estate):
    reference = estate.birch_case.reference  # a parent asking for their child
    body = {"decision": "accept", "method": "known_to_school", "reason": "Known to the office."}
    response = client.post(f"/api/v1/cases/{reference}/identity", headers=estate.auth("birch"), json=body)
    assert response.status_code == 422, response.text
    assert response.get_json()["error"]["fields"]["authority_evidence"] == [
        "enter how parental responsibility was confirmed (for example, the contact record the school holds "
        "or a birth certificate)"
    ]
    without_method = client.post(
        f"/api/v1/cases/{reference}/identity",
        headers=estate.auth("birch"),
        json={"decision": "accept", "reason": "Known.", "authority_evidence": "Admission form."},
    )
    assert without_method.get_json()["error"]["fields"]["method"] == ["choose how identity was confirmed"]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_identity_accept_with_no_method_and_no_reason_answers_both_in_one_422(client, estate, reason):
    reference = estate.birch_case.reference  # awaiting identity; a parent asking for their child
    body = {"decision": "accept", **({} if reason is None else {"reason": reason})}
    response = client.post(f"/api/v1/cases/{reference}/identity", headers=estate.auth("birch"), json=body)
    assert response.status_code == 422, response.text
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"] == {
        "reason": ["say what was seen, or why the school knows the person"],
        "method": ["choose how identity was confirmed"],
        "authority_evidence": [
            "enter how parental responsibility was confirmed (for example, the contact record the school "
            "holds or a birth certificate)"
        ],
    }
    shown = client.get(f"/api/v1/cases/{reference}", headers=estate.auth("birch")).get_json()
    assert shown["status"] == "awaiting_identity"


def test_bad_input_answers_422_with_field_messages(client, estate):
    reference = estate.alder_case.reference
    cases = [
        ("pause", {"reason": "curious", "question": "?"}, "reason"),
        ("pause", {"reason": "other", "question": "   "}, "question"),
        ("extend", {"reason": "Complex.", "notice_on": "2024-02-30"}, "notice_on"),
        ("refuse", {"reason": "bored", "detail": "x"}, "reason"),
        ("identity", {"decision": "maybe", "reason": "x"}, "decision"),
        ("resume", {"answered_on": "1900-01-01"}, "answered_on"),
    ]
    for action, body, field in cases:
        response = client.post(f"/api/v1/cases/{reference}/{action}", headers=estate.auth("admin"), json=body)
        assert response.status_code == 422, (action, response.text)
        assert field in response.get_json()["error"]["fields"], (action, response.text)


def test_service_rule_answers_422_naming_the_field(client, estate):
    response = client.post(
        f"/api/v1/cases/{estate.alder_case.reference}/extend",
        headers=estate.auth("admin"),
        json={"reason": "Complex.", "notice_on": "2030-01-01"},
    )
    assert response.status_code == 422 and "notice_on" in response.get_json()["error"]["fields"]


def test_illegal_move_answers_409(client, estate):
    response = client.post(
        f"/api/v1/cases/{estate.alder_case.reference}/resume", headers=estate.auth("admin"), json={}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "illegal_transition" and "open" in error["message"]


def test_pause_resume_extend_refuse_walk(client, estate, db_session):
    reference, auth = estate.alder_case.reference, estate.auth("caseworker")
    paused = client.post(
        f"/api/v1/cases/{reference}/pause",
        headers=auth,
        json={"reason": "clarify_scope", "question": "Which years?"},
    )
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    assert paused.get_json()["clock"]["due"] is None
    resumed = client.post(f"/api/v1/cases/{reference}/resume", headers=auth, json={})
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "open"
    assert resumed.get_json()["clock"]["paused_days"] == 1
    refused = client.post(
        f"/api/v1/cases/{reference}/refuse",
        headers=auth,
        json={"reason": "manifestly_unfounded", "detail": "Made only to disrupt the school."},
    )
    assert refused.status_code == 200 and refused.get_json()["status"] == "refused"
    categories = set(db_session.scalars(select(OutboxMessage.category)))
    assert {"case.clarification", "case.refusal"} <= categories


def test_withdraw_says_how_it_was_asked_and_then_withdraw_again_is_409(client, estate):
    url = f"/api/v1/cases/{estate.birch_case.reference}/withdraw"
    unsaid = client.post(url, json={}, headers=estate.auth("trust"))
    assert unsaid.status_code == 422 and "asked_by" in unsaid.get_json()["error"]["fields"]
    odd = client.post(url, json={"asked_by": "telepathy"}, headers=estate.auth("trust"))
    assert odd.status_code == 422
    done = client.post(url, json={"asked_by": "phone"}, headers=estate.auth("trust"))
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"
    moved = [e for e in done.get_json()["events"] if e["kind"] == "status_changed"][-1]
    assert moved["data"]["asked_by"] == "phone"
    assert client.post(url, json={"asked_by": "phone"}, headers=estate.auth("trust")).status_code == 409


def test_identity_request_and_evidence_download_over_the_api(client, estate):
    import io

    from app.cases.evidence import add_evidence

    reference = estate.birch_case.reference
    response = client.post(f"/api/v1/cases/{reference}/identity-request", headers=estate.auth("birch"))
    assert response.status_code == 200, response.text
    assert any(event["kind"] == "identity_requested" for event in response.get_json()["events"])
    [mail] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.category == "case.identity_request")
    )
    assert "/request/status/" in mail.text_body
    pdf = pdf_file()
    item = add_evidence(
        estate.birch_case, "authority", io.BytesIO(pdf), filename="Court order.pdf", declared_type=None
    )
    db.session.commit()
    detail = client.get(f"/api/v1/cases/{reference}", headers=estate.auth("trust")).get_json()
    [listed] = detail["evidence"]
    assert (
        listed["kind"] == "authority"
        and listed["content_type"] == "application/pdf"
        and listed["size"] == len(pdf)
    )
    download = client.get(f"/api/v1/cases/{reference}/evidence/{item.id}", headers=estate.auth("trust"))
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert (
        client.get(f"/api/v1/cases/{reference}/evidence/{item.id}", headers=estate.auth("alder")).status_code
        == 404
    )
    missing = client.get(
        f"/api/v1/cases/{reference}/evidence/{estate.alder.id}", headers=estate.auth("trust")
    )
    assert missing.status_code == 404


def test_identity_request_on_an_open_case_is_a_conflict(client, estate):
    response = client.post(
        f"/api/v1/cases/{estate.alder_case.reference}/identity-request", headers=estate.auth("alder")
    )
    assert response.status_code == 409


def test_assign_over_the_api_is_for_the_company_team_only(client, estate):
    reference = estate.birch_case.reference
    worker = estate.users["caseworker"]
    response = client.post(
        f"/api/v1/cases/{reference}/assign",
        json={"assignee_id": str(worker.id)},
        headers=estate.auth("admin"),
    )
    assert response.status_code == 200 and response.get_json()["assignee_id"] == str(worker.id)
    assert any(event["kind"] == "assigned" for event in response.get_json()["events"])
    school = client.post(
        f"/api/v1/cases/{reference}/assign", json={"assignee_id": None}, headers=estate.auth("birch")
    )
    assert school.status_code == 403
    to_school_user = client.post(
        f"/api/v1/cases/{reference}/assign",
        json={"assignee_id": str(estate.users["birch"].id)},
        headers=estate.auth("caseworker"),
    )
    assert to_school_user.status_code == 422 and "assignee_id" in to_school_user.get_json()["error"]["fields"]
    unassigned = client.post(
        f"/api/v1/cases/{reference}/assign", json={"assignee_id": None}, headers=estate.auth("caseworker")
    )
    assert unassigned.status_code == 200 and unassigned.get_json()["assignee_id"] is None


def test_a_refusal_under_an_exception_says_so_with_the_reason(client, estate):
    alder = estate.alder_case
    detail = "The school must keep admission registers for three years after a pupil leaves (Art 17(3)(b))."
    refused = client.post(
        f"/api/v1/cases/{alder.reference}/refuse",
        json={"reason": "exception_applies", "detail": detail},
        headers=estate.auth("alder"),
    )
    assert refused.status_code == 200, refused.text
    assert refused.get_json()["refusal_reason"] == "exception_applies"
    [letter] = db.session.scalars(select(OutboxMessage).filter_by(case_id=alder.id, category="case.refusal"))
    wording = "the law allows us not to do what you asked, or requires us to keep the information"
    assert wording in letter.text_body
    assert detail in letter.text_body and "ico.org.uk" in letter.text_body
